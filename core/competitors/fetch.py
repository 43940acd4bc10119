"""Fetching: a polite, SSRF-safe HTTP client for other people's sites.

Every connection goes through :func:`core.net.pinned_client`: the host is resolved once,
the addresses are checked by the guard and the socket goes to one of them, so a name
that resolves to a public address for the check and to 127.0.0.1 for the socket (DNS
rebinding) never reaches the machine's own network.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from core.net import Resolver, UnreachableError, UnsafeURLError, check_url, pinned_client, reach_error, tcp_connect

USER_AGENT = "MarketingWorkbenchBot/1.0 (competitor research; polite crawler; respects robots.txt)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
REDIRECTS = (301, 302, 303, 307, 308)


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
        ``getaddrinfo``-compatible resolver, used once per connection for the check and the socket.
    connector : callable
        Opens the TCP stream to the checked address (tests inject one that records where it goes).
    transport : httpx.BaseTransport, optional
        Another way to the pages instead of the network (the sample's snapshot store).
    """

    def __init__(self, *, user_agent: str = USER_AGENT, delay_s: float = 1.0, timeout_s: float = 10.0,
                 max_bytes: int = 2_000_000, retries: int = 2, backoff_s: float = 0.5, max_redirects: int = 5,
                 allow_private: bool = False, resolver: Resolver = socket.getaddrinfo,
                 connector: Callable[..., Any] = tcp_connect, transport: Any = None) -> None:
        self.user_agent = user_agent
        self.delay_s = delay_s
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self.resolver = resolver
        headers = {"User-Agent": user_agent, "Accept": "text/html,application/xhtml+xml"}
        if transport is not None:
            self._client = httpx.Client(transport=transport, trust_env=False, follow_redirects=False,
                                        timeout=httpx.Timeout(timeout_s), headers=headers)
        else:
            self._client = pinned_client(allow_private=allow_private, resolver=resolver, connector=connector,
                                         timeout_s=timeout_s, headers=headers)
        self._host_locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._robots: dict[str, Protego | None] = {}
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

    def robots(self, url: str) -> Protego | None:
        """The host's robots.txt rules (None: the address was refused).

        Read by RFC 9309 (Protego, the parser Scrapy uses): wildcards, ``$``, the longest
        match wins and Allow wins a tie. A 4xx means no rules (everything allowed); a 5xx
        or an unreachable server means full disallow, as the RFC says.
        """
        host = self._host(url)
        if host not in self._robots:
            res = self._get(host + "/robots.txt", accept_any=True, cap=500_000)
            if res.status == 200 and res.outcome == "ok":
                self._robots[host] = Protego.parse(res.body.decode("utf-8", "replace"))
            elif 400 <= res.status < 500:
                self._robots[host] = Protego.parse("")
            elif res.outcome == "blocked":
                self._robots[host] = None
                self._robots_error[host] = res.error
            else:
                self._robots[host] = Protego.parse("User-agent: *\nDisallow: /\n")
        return self._robots[host]

    def allowed(self, url: str) -> bool:
        rp = self.robots(url)
        return rp is not None and rp.can_fetch(url, self.user_agent)

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
        start = time.monotonic()
        current, hops, attempts = url, 0, 0
        while True:
            attempts += 1
            result = self._attempt(url, current, accept_any=accept_any, cap=cap, started=start)
            result.attempts = attempts
            if result.status in REDIRECTS and result.error.startswith("redirect:"):
                hops += 1
                if hops > self.max_redirects:
                    result.outcome, result.error = "error", f"more than {self.max_redirects} redirects"
                    break
                current = urljoin(current, result.error.removeprefix("redirect:"))
                continue
            if self._retryable(result) and attempts <= self.retries:
                time.sleep(self._backoff(attempts, result))
                continue
            break
        result.elapsed_s = time.monotonic() - start
        return result

    def _attempt(self, url: str, current: str, *, accept_any: bool, cap: int, started: float) -> Fetch:
        """One request, one host at a time; the connection itself is pinned to a checked address."""
        host = self._host(current)
        with self._lock_for(host):
            self._wait_turn(host)
            try:
                with self._client.stream("GET", current) as resp:
                    return self._read(url, current, resp, accept_any=accept_any, cap=cap, started=started)
            except UnsafeURLError as exc:  # refused before the socket was opened: nothing was sent
                return Fetch(url, current, outcome="blocked", error=exc.message)
            except UnreachableError as exc:
                return Fetch(url, current, outcome="error", error=exc.message)
            except httpx.HTTPError as exc:
                return Fetch(url, current, outcome="error", error=reach_error(exc, urlsplit(current).netloc)[:300])
            finally:
                self._last[host] = time.monotonic()

    @staticmethod
    def _retryable(result: Fetch) -> bool:
        return result.status == 429 or result.status >= 500 or (
            result.outcome == "error" and "Timeout" in result.error)

    def _backoff(self, attempt: int, result: Fetch) -> float:
        wait = self.backoff_s * (2 ** (attempt - 1))
        if result.retry_after is not None:
            wait = max(wait, result.retry_after)
        return min(wait, 30.0)

    def _read(self, url: str, current: str, resp: Any, *, accept_any: bool, cap: int, started: float) -> Fetch:
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        res = Fetch(url, current, status=resp.status_code, content_type=ctype)
        refusal = self._refusal(resp, ctype, accept_any=accept_any, cap=cap)
        if refusal is not None:
            res.outcome, res.error = refusal
            ra = resp.headers.get("Retry-After", "")
            if resp.status_code >= 400 and ra.strip().isdigit():
                res.retry_after = float(ra)
            return res
        chunks, size = [], 0
        for chunk in resp.iter_bytes(chunk_size=16384):
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

    @staticmethod
    def _refusal(resp: Any, ctype: str, *, accept_any: bool, cap: int) -> tuple[str, str] | None:
        """Why a response is not read: ``(outcome, error)``, or None to read it."""
        if resp.status_code in REDIRECTS and "Location" in resp.headers:
            return "http_error", "redirect:" + resp.headers["Location"]
        if resp.status_code >= 400:
            return "http_error", f"HTTP {resp.status_code}"
        if not accept_any and ctype not in HTML_TYPES:
            return "not_html", f"not an HTML page ({ctype or 'no content type'})"
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            return "too_large", f"larger than the {cap:,}-byte cap ({int(declared):,} bytes)"
        return None

    def close(self) -> None:
        self._client.close()


def fetcher_from_settings(settings: Any, **overrides: Any) -> PoliteFetcher:
    """A fetcher that allows private addresses only when the settings say so."""
    return PoliteFetcher(allow_private=bool(getattr(settings, "allow_private_urls", False)), **overrides)
