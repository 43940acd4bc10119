"""Crawling: one site breadth-first within its start host and a page budget; one row per attempt."""

from __future__ import annotations

import json
import re
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urldefrag, urlsplit

import pandas as pd

from core.competitors.extract import entities, extract_page
from core.competitors.fetch import Fetch, PoliteFetcher
from core.net import check_url

_SKIP_EXT = re.compile(r"\.(?:pdf|jpe?g|png|gif|svg|webp|ico|css|js|zip|gz|mp4|mp3|woff2?|ttf|xml|json|csv)$", re.I)


def same_site(url: str, start: str) -> bool:
    a, b = urlsplit(url), urlsplit(start)
    return (a.scheme, (a.hostname or "").lower(), a.port) == (b.scheme, (b.hostname or "").lower(), b.port)


def crawl_site(start_url: str, *, fetcher: PoliteFetcher, max_pages: int = 10, competitor: str = "",
               crawl_id: str | None = None, with_entities: bool = True,
               progress: Callable[[int, int, str], None] | None = None) -> pd.DataFrame:
    """Breadth-first crawl of one site within its start host and a page budget.

    Every attempt (robots-refused, blocked, failed, too large, not HTML) is a row, so
    the record shows what was skipped and why; only attempts that reach the server
    count against ``max_pages``.
    """
    start_url = start_url.strip()
    check_url(start_url, allow_private=fetcher.allow_private, resolver=fetcher.resolver)
    crawl_id = crawl_id or new_crawl_id()
    competitor = competitor or (urlsplit(start_url).hostname or start_url)
    queue, seen, rows, spent = deque([urldefrag(start_url)[0]]), {urldefrag(start_url)[0]}, [], 0
    hashes: dict[str, str] = {}
    while queue and spent < max_pages:
        url = queue.popleft()
        if progress:
            progress(spent, max_pages, url)
        res = fetcher.fetch(url)
        if res.outcome not in ("robots", "blocked"):
            spent += 1
        page: dict[str, Any] = {}
        if res.ok and res.content_hash in hashes:  # a redirect or alias of a page we already have
            res.outcome, res.error = "duplicate", f"same content as {hashes[res.content_hash]}"
        if res.ok:
            hashes[res.content_hash] = url
            page = extract_page(res.body, res.final_url)
            if with_entities:
                page["entities"] = entities("\n".join([page["title"], page["description"], page["text"]]))
            for link in page["links"]:
                link = urldefrag(link)[0]
                if link not in seen and same_site(link, start_url) and not _SKIP_EXT.search(urlsplit(link).path):
                    seen.add(link)
                    queue.append(link)
        rows.append(fetch_record(res, page, competitor=competitor, crawl_id=crawl_id))
    if progress:
        progress(spent, max_pages, "")
    return pd.DataFrame(rows, columns=FETCH_COLUMNS)


FETCH_COLUMNS = ["crawl_id", "competitor", "url", "final_url", "fetched_at", "status", "outcome", "error",
                 "content_type", "bytes", "content_hash", "title", "description", "headings", "text", "prices",
                 "offers", "ctas", "entities", "attempts", "elapsed_s"]


def new_crawl_id(at: datetime | None = None) -> str:
    """A crawl id that sorts by time: the UTC time (now, or ``at``) and a random suffix."""
    return (at or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]


def fetch_record(res: Fetch, page: dict[str, Any], *, competitor: str, crawl_id: str) -> dict[str, Any]:
    """One row of ``competitors_fetches`` (lists stored as JSON text)."""
    return {"crawl_id": crawl_id, "competitor": competitor, "url": res.url, "final_url": res.final_url,
            "fetched_at": res.fetched_at, "status": int(res.status), "outcome": res.outcome, "error": res.error,
            "content_type": res.content_type, "bytes": int(len(res.body)), "content_hash": res.content_hash,
            "title": page.get("title", ""), "description": page.get("description", ""),
            "headings": json.dumps(page.get("headings", [])), "text": page.get("text", ""),
            "prices": json.dumps(page.get("prices", [])), "offers": json.dumps(page.get("offers", [])),
            "ctas": json.dumps(page.get("ctas", [])), "entities": json.dumps(page.get("entities", [])),
            "attempts": int(res.attempts), "elapsed_s": float(res.elapsed_s)}
