"""The SSRF guard: which URLs the crawler may visit (public http(s) addresses only)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Callable
from urllib.parse import urlsplit

from core.errors import BadInputError

Resolver = Callable[..., list]


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
