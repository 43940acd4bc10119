"""The workspace side: remembered sites and stored fetches (``wh.save_state``)."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

import pandas as pd

from core.competitors.crawl import FETCH_COLUMNS, crawl_site, fetch_record, new_crawl_id
from core.competitors.fetch import Fetch, PoliteFetcher
from core.net import Resolver, UnsafeURLError, check_url
from core.errors import BadInputError, NotEnoughDataError

FETCH_TABLE = "competitors_fetches"
SITES_TABLE = "competitors_sites"


def add_site(wh: Any, competitor: str, url: str, *, allow_private: bool = False,
             resolver: Resolver = socket.getaddrinfo) -> pd.DataFrame:
    """Remember a competitor's start URL (checked first); returns the list of sites."""
    competitor, url = competitor.strip(), url.strip()
    if not competitor:
        competitor = urlsplit(url).hostname or ""
    if not competitor:
        raise BadInputError("Give the competitor a name or a URL with a host.")
    check_url(url, allow_private=allow_private, resolver=resolver)
    wh.save_state(SITES_TABLE, pd.DataFrame([{"competitor": competitor, "url": url,
                                              "added_at": datetime.now(timezone.utc)}]), keys=["competitor"])
    return sites(wh)


def sites(wh: Any) -> pd.DataFrame:
    s = wh.load_state(SITES_TABLE)
    return s.sort_values("competitor").reset_index(drop=True) if not s.empty else pd.DataFrame(
        columns=["competitor", "url", "added_at"])


def remove_site(wh: Any, competitor: str) -> None:
    wh.delete_state(SITES_TABLE, competitor=competitor)


def store_fetches(wh: Any, records: pd.DataFrame) -> None:
    """Append a crawl's rows to ``competitors_fetches``."""
    if len(records):
        wh.save_state(FETCH_TABLE, records[FETCH_COLUMNS], keys=["crawl_id", "url"])


def crawl_all(wh: Any, *, fetcher: PoliteFetcher, max_pages: int = 10, with_entities: bool = True,
              progress: Callable[[str, int, int, str], None] | None = None) -> pd.DataFrame:
    """Crawl every remembered competitor as one crawl; store and return the rows."""
    s = sites(wh)
    if s.empty:
        raise NotEnoughDataError("Add at least one competitor URL first.")
    crawl_id = new_crawl_id()
    frames = []
    for _, site in s.iterrows():
        cb = (lambda done, total, url, c=site["competitor"]: progress(c, done, total, url)) if progress else None
        try:
            frame = crawl_site(site["url"], fetcher=fetcher, max_pages=max_pages, competitor=site["competitor"],
                               crawl_id=crawl_id, with_entities=with_entities, progress=cb)
        except UnsafeURLError as exc:
            frame = pd.DataFrame([fetch_record(Fetch(site["url"], site["url"], outcome="blocked",
                                                     error=exc.message), {}, competitor=site["competitor"],
                                               crawl_id=crawl_id)], columns=FETCH_COLUMNS)
        store_fetches(wh, frame)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def fetches(wh: Any) -> pd.DataFrame:
    """Every stored fetch, oldest crawl first."""
    f = wh.load_state(FETCH_TABLE)
    if f.empty:
        return pd.DataFrame(columns=FETCH_COLUMNS)
    return f.sort_values(["fetched_at", "url"]).reset_index(drop=True)


def crawls(all_fetches: pd.DataFrame) -> pd.DataFrame:
    """One row per crawl per competitor: when, pages ok, pages refused or failed."""
    if all_fetches.empty:
        return pd.DataFrame(columns=["crawl_id", "competitor", "started", "pages_ok", "pages_other"])
    f = all_fetches.assign(is_ok=all_fetches["outcome"] == "ok")
    g = f.groupby(["crawl_id", "competitor"], as_index=False).agg(
        started=("fetched_at", "min"), pages_ok=("is_ok", "sum"), attempts=("url", "size"))
    g["pages_other"] = g["attempts"] - g["pages_ok"]
    return g.drop(columns="attempts").sort_values("started").reset_index(drop=True)


def latest(all_fetches: pd.DataFrame) -> pd.DataFrame:
    """The successful pages of each competitor's most recent crawl."""
    if all_fetches.empty:
        return all_fetches
    ok = all_fetches[all_fetches["outcome"] == "ok"]
    if ok.empty:
        return ok
    last = ok.groupby("competitor")["crawl_id"].max()
    return ok[ok["crawl_id"] == ok["competitor"].map(last)].reset_index(drop=True)
