"""Outbound HTTP for every way out of the workbench: the SSRF guard and a pinned connection.

The crawler, the content studio's image download and the monitoring webhook all
fetch URLs that someone else chose (a competitor's site and its redirects, a link an
AI service returned, a configured webhook). Two things keep those fetches outside
the machine's own network:

* :func:`blocked_reason` / :func:`check_url` -- only http(s), and every address a host
  resolves to must be public. IPv6 forms that embed an IPv4 address are judged by the
  address inside: IPv4-mapped and -compatible, SIIT, 6to4 (``2002::/16``), Teredo,
  NAT64 (``64:ff9b::/96``, ``64:ff9b:1::/48``) and ISATAP interface ids, so
  ``[2002:7f00:1::]`` is loopback.
* :class:`PinnedBackend` -- the network backend of the HTTP client. It resolves the
  host *once*, checks those addresses with the guard and opens the socket to one of
  them; TLS still uses the original host name (SNI and certificate check, done by
  httpcore from the URL) and so does the ``Host`` header. Checking a name and then
  letting the socket resolve it again is what DNS rebinding exploits (public to the
  check, 127.0.0.1 to the socket): here there is no second resolution, and a refused
  address raises :class:`UnsafeURLError` before a socket exists, so not one byte is sent.

:func:`pinned_client` builds an ``httpx.Client`` on that backend (no proxies from the
environment, no automatic redirects: callers follow them by hand and every hop goes
through the backend again). :func:`fetch_bytes` is a one-shot GET with a size cap.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from core.errors import BadInputError, WorkbenchError

Resolver = Callable[..., list]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOW_HINT = "Set WORKBENCH_ALLOW_PRIVATE_URLS=1 to allow it on a trusted machine."

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")


class UnsafeURLError(BadInputError):
    """A URL the workbench must not fetch (bad scheme, or a private/loopback/metadata address)."""

    title = "URL refused"


class UnreachableError(WorkbenchError):
    """The site could not be reached (no such host, refused, timed out)."""

    title = "Cannot reach the site"


# ------------------------------------------------------------------ the guard


def _reason(ip: IPAddress) -> str | None:
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


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, with the name of the form.

    >>> embedded_ipv4(ipaddress.ip_address("2002:7f00:1::"))
    [('6to4', IPv4Address('127.0.0.1'))]
    """
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    if ip.ipv4_mapped is not None:
        found.append(("IPv4-mapped", ip.ipv4_mapped))
    if ip in _SIIT:
        found.append(("IPv4-translated", low32))
    if ip in _V4_COMPATIBLE and int(ip) > 1:
        found.append(("IPv4-compatible", low32))
    if ip.sixtofour is not None:
        found.append(("6to4", ip.sixtofour))
    if ip.teredo is not None:
        found += [("Teredo server", ip.teredo[0]), ("Teredo client", ip.teredo[1])]
    if any(ip in net for net in _NAT64):
        found.append(("NAT64", low32))
    if (int(ip) >> 32) & 0xFDFFFFFF == 0x00005EFE:  # ISATAP interface id ::0:5efe:a.b.c.d (or ::200:5efe:...)
        found.append(("ISATAP", low32))
    return found


def blocked_reason(ip: IPAddress) -> str | None:
    """Why an address is off-limits, or None for a public one."""
    if isinstance(ip, ipaddress.IPv6Address):
        for form, v4 in embedded_ipv4(ip):
            reason = _reason(v4)
            if reason:
                return f"{form} address embedding {v4}, {reason}"
    return _reason(ip)


def split_url(url: str) -> tuple[str, int]:
    """``(host, port)`` of an http(s) URL that carries no credentials, else :class:`UnsafeURLError`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(f"Only http and https URLs can be fetched, not {url!r}.")
    if not parts.hostname:
        raise UnsafeURLError(f"{url!r} has no host name.")
    if parts.username or parts.password:
        raise UnsafeURLError(f"{url!r} carries credentials; give the plain address.")
    try:
        return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURLError(f"{url!r} has a bad port.") from exc


def is_ip_literal(host: str) -> bool:
    """True when ``host`` is an IP address written out (no name to resolve, so nothing to rebind)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def resolve_checked(host: str, port: int, *, allow_private: bool = False,
                    resolver: Resolver = socket.getaddrinfo, what: str = "") -> list[str]:
    """The addresses of ``host``, all of them checked (one blocked address refuses the host)."""
    try:
        infos = resolver(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise UnreachableError(f"Cannot reach the site {host}: the name does not resolve (check the spelling).",
                               "Unknown host") from None
    addrs = list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos or []))
    if not addrs:
        raise UnreachableError(f"Cannot reach the site {host}: the name does not resolve (check the spelling).",
                               "Unknown host")
    if not allow_private:
        for addr in addrs:
            reason = blocked_reason(ipaddress.ip_address(addr))
            if reason:
                raise UnsafeURLError(f"{what or host} resolves to {addr} ({reason}); the workbench does not fetch "
                                     f"inside its own network. {ALLOW_HINT}")
    return addrs


def check_url(url: str, *, allow_private: bool = False, resolver: Resolver = socket.getaddrinfo) -> str:
    """Return ``url`` if it may be fetched, else raise :class:`UnsafeURLError`.

    Only ``http``/``https`` with a host; every address the host resolves to must be
    public unless ``allow_private``. (The fetch itself re-checks what it connects to.)
    """
    host, port = split_url(url)
    if not allow_private:
        try:
            resolve_checked(host, port, resolver=resolver, what=url)
        except UnreachableError as exc:
            raise UnsafeURLError(exc.message, "Unknown host") from exc
    return url


# ------------------------------------------------------------------ the pinned connection


def tcp_connect(ip: str, port: int, timeout: float | None = None, local_address: str | None = None,
                socket_options: Iterable[Any] | None = None) -> Any:
    """A TCP stream to an IP address (httpcore's own sync backend)."""
    return httpcore.SyncBackend().connect_tcp(ip, port, timeout=timeout, local_address=local_address,
                                              socket_options=socket_options)


class PinnedBackend(httpcore.NetworkBackend):
    """An httpcore network backend that connects only to addresses the guard approved.

    ``connector(ip, port, timeout, local_address, socket_options)`` opens the stream
    (tests pass one that records where the socket goes).
    """

    def __init__(self, *, allow_private: bool = False, resolver: Resolver = socket.getaddrinfo,
                 connector: Callable[..., Any] = tcp_connect) -> None:
        self.allow_private = allow_private
        self.resolver = resolver
        self.connector = connector

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> Any:
        addrs = resolve_checked(host, port, allow_private=self.allow_private, resolver=self.resolver)
        last: Exception | None = None
        for addr in addrs:  # the socket goes to an approved address, never to a fresh resolution of the name
            try:
                return self.connector(addr, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
                last = exc
        if isinstance(last, (httpcore.ConnectError, httpcore.ConnectTimeout)):
            raise last
        raise httpcore.ConnectError(str(last))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> Any:
        raise UnsafeURLError("Unix sockets are not a way out of the workbench.")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool whose network backend is pinned."""

    def __init__(self, backend: PinnedBackend) -> None:
        super().__init__(trust_env=False, retries=0)
        # httpx builds its pool without a way to pass a network backend: rebuild it with ours.
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                             max_connections=10, retries=0, network_backend=backend)


def pinned_client(*, allow_private: bool = False, resolver: Resolver = socket.getaddrinfo,
                  connector: Callable[..., Any] = tcp_connect, timeout_s: float = 10.0,
                  headers: dict[str, str] | None = None) -> Any:
    """An ``httpx.Client`` whose every connection is pinned to a checked address.

    No proxies from the environment (a proxy would connect for us, unchecked) and no
    automatic redirects (follow them by hand; each hop connects through the backend again).
    """
    backend = PinnedBackend(allow_private=allow_private, resolver=resolver, connector=connector)
    return httpx.Client(transport=PinnedTransport(backend), trust_env=False, follow_redirects=False,
                        timeout=httpx.Timeout(timeout_s), headers=headers)


def reach_error(exc: Exception, host: str) -> str:
    """A network failure in a user's words ("cannot reach the site ..."), never an errno."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"{name}: cannot reach the site {host} in time (no answer within the timeout)"
    text = str(exc).lower()
    if "refused" in text:
        why = "the connection was refused"
    elif "unreachable" in text or "no route" in text:
        why = "the network is unreachable"
    elif "reset" in text:
        why = "the connection was reset"
    elif "certificate" in text or "ssl" in text or "tls" in text:
        why = "its TLS certificate could not be verified"
    else:
        why = "the connection failed"
    return f"cannot reach the site {host}: {why}"


def fetch_bytes(url: str, *, allow_private: bool = False, resolver: Resolver = socket.getaddrinfo,
                connector: Callable[..., Any] = tcp_connect, timeout_s: float = 10.0, max_bytes: int = 20_000_000,
                headers: dict[str, str] | None = None, max_redirects: int = 3) -> bytes:
    """GET ``url`` through a pinned client, following redirects by hand, and return at most ``max_bytes``."""
    current = url
    with pinned_client(allow_private=allow_private, resolver=resolver, connector=connector, timeout_s=timeout_s,
                       headers=headers) as client:
        for _ in range(max_redirects + 1):
            host, _port = split_url(current)
            try:
                with client.stream("GET", current) as resp:
                    if resp.is_redirect:
                        current = str(resp.url.join(resp.headers["Location"]))
                        continue
                    resp.raise_for_status()
                    return _read_capped(resp, max_bytes)
            except httpx.HTTPStatusError as exc:
                raise UnreachableError(f"{host} answered HTTP {exc.response.status_code}.") from None
            except httpx.HTTPError as exc:
                raise UnreachableError(reach_error(exc, host) + ".") from None
    raise UnreachableError(f"More than {max_redirects} redirects from {url}.")


def post_json(url: str, body: bytes, *, allow_private: bool = False, resolver: Resolver = socket.getaddrinfo,
              connector: Callable[..., Any] = tcp_connect, timeout_s: float = 5.0,
              headers: dict[str, str] | None = None) -> int:
    """POST a JSON body through a pinned client (no redirects followed) and return the HTTP status.

    Raises :class:`UnsafeURLError` for a refused address (before a socket exists) and
    :class:`UnreachableError` when the connection fails; an HTTP error status is returned, not raised.
    """
    host, _port = split_url(url)
    with pinned_client(allow_private=allow_private, resolver=resolver, connector=connector, timeout_s=timeout_s,
                       headers=headers) as client:
        try:
            resp = client.post(url, content=body, headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            raise UnreachableError(reach_error(exc, host) + ".") from None
        return int(resp.status_code)


def _read_capped(resp: Any, max_bytes: int) -> bytes:
    chunks, size = [], 0
    for chunk in resp.iter_bytes(chunk_size=65536):
        size += len(chunk)
        if size > max_bytes:
            raise UnreachableError(f"The answer is larger than the {max_bytes:,}-byte cap.", "Too large")
        chunks.append(chunk)
    return b"".join(chunks)


__all__ = ["UnsafeURLError", "UnreachableError", "Resolver", "blocked_reason", "embedded_ipv4", "split_url",
           "resolve_checked", "is_ip_literal", "check_url", "PinnedBackend", "PinnedTransport", "pinned_client", "tcp_connect",
           "fetch_bytes", "post_json", "reach_error"]
