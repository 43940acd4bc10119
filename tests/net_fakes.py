"""Fake DNS and a recording connector for the ways out (crawler, image download, webhook).

Nothing here reaches the internet: a "public" address is either refused at once or,
when a test says so, played by a local server on 127.0.0.1.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore

from core.net import tcp_connect

PUBLIC_IP = "93.184.216.34"  # example.com's address: public, and never dialled by these tests


def answer(addr: str, port: int) -> list:
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    return [(family, socket.SOCK_STREAM, 6, "", (addr, port))]


class RebindingResolver:
    """Answers a public address the first ``public_answers`` times, then 127.0.0.1 (DNS rebinding)."""

    def __init__(self, public_answers: int = 1, first: str = PUBLIC_IP, then: str = "127.0.0.1") -> None:
        self.public_answers, self.first, self.then, self.calls = public_answers, first, then, []

    def __call__(self, host, port, *args, **kwargs):
        self.calls.append(host)
        return answer(self.first if len(self.calls) <= self.public_answers else self.then, port)


class StaticResolver:
    """Every name resolves to the given addresses."""

    def __init__(self, *addrs: str) -> None:
        self.addrs = addrs

    def __call__(self, host, port, *args, **kwargs):
        return [a for addr in self.addrs for a in answer(addr, port)]


class RecordingConnector:
    """Records every address a socket is opened to.

    Loopback is dialled for real (that is where a rebinding attack would land, so a bug
    shows as a connection to the local server); ``public_to`` plays a public address
    with a local port; any other address is refused without a packet.
    """

    def __init__(self, public_to: int | None = None) -> None:
        self.public_to = public_to
        self.dialled: list[tuple[str, int]] = []

    def __call__(self, ip, port, timeout=None, local_address=None, socket_options=None):
        self.dialled.append((ip, port))
        if ip == PUBLIC_IP and self.public_to is not None:
            return tcp_connect("127.0.0.1", self.public_to, timeout)
        if ip in ("127.0.0.1", "::1"):
            return tcp_connect(ip, port, timeout)
        raise httpcore.ConnectError(f"[Errno 101] Network is unreachable ({ip}: not dialled in tests)")


class CountingServer:
    """A local HTTP server that counts connections and bytes received (any path answers 200)."""

    def __init__(self, body: bytes = b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type: str = "image/png") -> None:
        outer = self
        self.connections = 0
        self.bytes_received = 0
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def setup(self):
                outer.connections += 1
                super().setup()

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                outer.bytes_received += len(self.requestline) + len(data)
                outer.requests.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "CountingServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
