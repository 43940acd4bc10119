"""Fetching: a polite, SSRF-safe HTTP client for other people's sites."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from core.competitors.guard import Resolver, UnsafeURLError, _blocked_ip, check_url

USER_AGENT = "MarketingWorkbenchBot/1.0 (competitor research; polite crawler; respects robots.txt)"
HTML_TYPES = ("text/html", "application/xhtml+xml")


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



def fetcher_from_settings(settings: Any, **overrides: Any) -> PoliteFetcher:
    """A fetcher that allows private addresses only when the settings say so."""
    return PoliteFetcher(allow_private=bool(getattr(settings, "allow_private_urls", False)), **overrides)
