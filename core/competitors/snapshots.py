"""Competitor sites kept as local snapshots: the sample's three rivals, crawled without a network.

``data/sample/competitors/<host>/<version>/`` holds a site as files (``robots.txt``,
``index.html``, ...), ``sites.json`` names each competitor and its start URL. A
:class:`SnapshotTransport` answers the crawler's HTTP requests from those files, so
:func:`load_snapshots` runs the very crawler the page uses (robots.txt, links,
extraction, storage) on the snapshots, one crawl per version in order; the prices
that moved between ``v1`` and ``v2`` give the change log something to show. Nothing
leaves the machine: a host or path without a file is a 404.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from core.competitors.fetch import PoliteFetcher
from core.competitors.crawl import crawl_site, new_crawl_id
from core.competitors.storage import FETCH_TABLE, add_site, store_fetches

SAMPLE_SNAPSHOTS = Path(__file__).resolve().parents[2] / "data" / "sample" / "competitors"
SNAPSHOT_SPACING_DAYS = 28
_TYPES = {".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


class SnapshotTransport(httpx.BaseTransport):
    """HTTP answered from ``root/<host>/<version>/<path>`` (``/`` is ``index.html``)."""

    def __init__(self, root: str | Path, version: str) -> None:
        self.root = Path(root)
        self.version = version

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        site = (self.root / request.url.host / self.version).resolve()
        path = request.url.path
        path = path + "index.html" if path.endswith("/") else path
        file = (site / path.lstrip("/")).resolve()
        if not file.is_relative_to(site) or not file.is_file():  # no way out of the snapshot folder
            return httpx.Response(404, text="not in the snapshot", request=request)
        ctype = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return httpx.Response(200, headers={"Content-Type": ctype}, content=file.read_bytes(), request=request)


def snapshot_sites(root: str | Path = SAMPLE_SNAPSHOTS) -> list[dict[str, str]]:
    """The competitors of a snapshot folder (``sites.json``): ``[{"competitor", "url"}]``."""
    path = Path(root) / "sites.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def snapshot_versions(root: str | Path = SAMPLE_SNAPSHOTS) -> list[str]:
    """Every version folder any site has, in order (``v1``, ``v2``, ...)."""
    root = Path(root)
    found = {d.name for site in root.iterdir() if site.is_dir() for d in site.iterdir() if d.is_dir()} \
        if root.is_dir() else set()
    return sorted(found, key=lambda v: (len(v), v))


def snapshot_fetcher(root: str | Path, version: str) -> PoliteFetcher:
    """The page's crawler with the snapshot as its network (no delay: nobody's server to spare)."""
    # The address guard has nothing to guard without a network; the transport only reads files.
    return PoliteFetcher(transport=SnapshotTransport(root, version), allow_private=True, delay_s=0.0, retries=0,
                         timeout_s=5.0)


def load_snapshots(wh: Any, root: str | Path = SAMPLE_SNAPSHOTS, *, max_pages: int = 10,
                   with_entities: bool = True) -> dict[str, Any]:
    """Remember the snapshot's competitors and crawl every version, oldest first; a summary.

    Only the snapshot's own sites are crawled (competitors the user added are left alone); a
    second load replaces the first one's crawls, so the change log still compares v1 with v2.
    ``with_entities`` runs spaCy on the last crawl (most of the time: about 2 s warm, the
    model's first load on top of that).
    """
    sites = snapshot_sites(root)
    for site in sites:  # a reload replaces the snapshot crawls (as the sample's ingest replaces its rows)
        wh.delete_state(FETCH_TABLE, competitor=site["competitor"])
        add_site(wh, site["competitor"], site["url"], allow_private=True)
    versions = snapshot_versions(root) if sites else []
    pages = 0
    for i, version in enumerate(versions):
        back = pd.Timedelta(days=SNAPSHOT_SPACING_DAYS * (len(versions) - 1 - i))  # crawls four weeks apart
        fetcher, crawl_id = snapshot_fetcher(root, version), new_crawl_id(pd.Timestamp.now(tz="UTC") - back)
        try:
            for site in sites:  # entities (spaCy) only in the last crawl: the comparison reads the latest pages
                frame = crawl_site(site["url"], fetcher=fetcher, max_pages=max_pages, competitor=site["competitor"],
                                   crawl_id=crawl_id, with_entities=with_entities and i == len(versions) - 1)
                frame["fetched_at"] = frame["fetched_at"] - back
                store_fetches(wh, frame)
                pages += int((frame["outcome"] == "ok").sum())
        finally:
            fetcher.close()
    return {"competitors": len(sites), "crawls": len(versions), "pages": pages}


__all__ = ["SAMPLE_SNAPSHOTS", "SnapshotTransport", "snapshot_sites", "snapshot_versions", "snapshot_fetcher",
           "load_snapshots"]
