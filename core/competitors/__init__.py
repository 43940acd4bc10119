"""Competitor intelligence: a polite, SSRF-safe crawler, page extraction and comparisons.

One concern per file, each usable alone:

* the SSRF guard and the pinned connection live in :mod:`core.net` (:func:`check_url`):
  every connection goes to the address the guard checked, so DNS rebinding cannot move it.
* ``fetch`` -- :class:`PoliteFetcher` honours robots.txt (RFC 9309, read by Protego), sends one request at a
  time per host with a delay, a clear user agent, timeouts, a size cap (it streams
  and stops), a content-type check and retries with backoff on 429/5xx. It refuses
  URLs that resolve to loopback, private, link-local, metadata or other non-public
  addresses and follows redirects by hand, checking every hop, unless it is built
  with ``allow_private=True`` (``Settings.allow_private_urls``; the tests use it
  against a local server).
* ``extract`` -- :func:`extract_page` reads title, meta description, headings,
  the main text without navigation and boilerplate, prices with their periods,
  offers, calls to action and (with spaCy) organisations, products, money and places.
* ``prices`` -- a currency next to a number, read by price-parser in any decimal
  convention (``€1.299,00``, ``19,99 €``, ``CHF 49``, ``$1,234.56``).
* ``crawl`` -- :func:`crawl_site` walks one site breadth-first within its start host
  and a page budget, one row per attempt.
* ``snapshots`` -- sites kept as local files (the sample's three rivals), crawled by the
  same crawler through a transport that reads them, never the network.
* ``storage`` -- remembered sites and every fetch, stored with
  ``wh.save_state("competitors_fetches", ...)`` so a re-crawl can be compared with the one before.
* ``analysis`` -- distinctive keywords per competitor (TF-IDF against the others),
  NMF topics, a similarity map (cosine similarity, classical MDS to 2-D), a price
  table and a change log between two crawls.
"""

from core.competitors.analysis import (Comparison, asdict_shallow, change_log, classical_mds, compare,
                                       competitor_documents, ctas_table, distinctive_keywords, entities_table,
                                       offers_table, price_table, similarity, topics)
from core.competitors.crawl import FETCH_COLUMNS, crawl_site, fetch_record, new_crawl_id, same_site
from core.competitors.extract import CTA_RE, ENTITY_LABELS, OFFER_PATTERNS, OFFER_RE, entities, extract_page, find_offers
from core.competitors.fetch import HTML_TYPES, USER_AGENT, Fetch, PoliteFetcher, fetcher_from_settings
from core.competitors.prices import CURRENCIES, PRICE_RE, find_prices, read_price
from core.competitors.snapshots import (SAMPLE_SNAPSHOTS, SnapshotTransport, load_snapshots, snapshot_fetcher,
                                        snapshot_sites)
from core.competitors.storage import (FETCH_TABLE, SITES_TABLE, add_site, crawl_all, crawls, fetches, latest,
                                      remove_site, sites, store_fetches)
from core.errors import BadInputError, NotEnoughDataError
from core.net import Resolver, UnsafeURLError, check_url

__all__ = [
    "PoliteFetcher", "Fetch", "UnsafeURLError", "check_url", "extract_page", "find_prices", "find_offers",
    "entities", "crawl_site", "crawl_all", "add_site", "sites", "remove_site", "store_fetches", "fetches",
    "latest", "price_table", "offers_table", "distinctive_keywords", "topics", "similarity", "change_log",
    "compare", "Comparison", "fetcher_from_settings", "classical_mds",
    # also public before the split
    "USER_AGENT", "HTML_TYPES", "FETCH_TABLE", "SITES_TABLE", "FETCH_COLUMNS", "Resolver", "PRICE_RE",
    "OFFER_PATTERNS", "OFFER_RE", "CTA_RE", "ENTITY_LABELS", "same_site", "new_crawl_id", "fetch_record",
    "crawls", "ctas_table", "entities_table", "competitor_documents", "asdict_shallow",
    "BadInputError", "NotEnoughDataError", "CURRENCIES", "read_price",
    "SAMPLE_SNAPSHOTS", "SnapshotTransport", "load_snapshots", "snapshot_fetcher", "snapshot_sites",
]
