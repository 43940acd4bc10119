"""Local competitor websites for the crawler tests (and the browser test): never the internet.

``CompetitorSite("acme")`` serves ``tests/fixtures/competitors/acme`` plus generated
routes (a 500, a 429-then-OK, a slow page, a huge streamed page, a redirect to
127.0.0.1) on ``127.0.0.1:<free port>`` in a thread. ``site.version = 2`` swaps in the
second version of the pricing page, to test re-crawls. ``CompetitorSite("globex")``
serves the Tailwind landing page (no robots.txt).

Run ``.venv/bin/python -m tests.competitor_site [--port-a 8701 --port-b 8702]`` to serve
both until interrupted.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "competitors"


class CompetitorSite:
    """A fixture site on a local port, in a background thread."""

    def __init__(self, name: str = "acme", *, port: int = 0, slow_s: float = 2.0,
                 huge_bytes: int = 8_000_000) -> None:
        self.name = name
        self.version = 1
        self.slow_s = slow_s
        self.huge_bytes = huge_bytes
        self.hits: Counter[str] = Counter()
        self.huge_sent = 0
        self.user_agents: set[str] = set()
        self.active = 0
        self.max_active = 0
        self.times: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                with site._lock:
                    site.hits[path] += 1
                    site.user_agents.add(self.headers.get("User-Agent", ""))
                    site.times.append((path, time.monotonic()))
                    site.active += 1
                    site.max_active = max(site.max_active, site.active)
                try:
                    site._route(self, path)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with site._lock:
                        site.active -= 1

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):  # the crawler hung up (size cap, timeout)
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ---- lifecycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> "CompetitorSite":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "CompetitorSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- routes
    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _file(self, h: BaseHTTPRequestHandler, rel: str, ctype: str = "text/html; charset=utf-8") -> None:
        self._send(h, 200, (FIXTURES / rel).read_bytes(), ctype)

    def _route(self, h: BaseHTTPRequestHandler, path: str) -> None:
        if self.name == "robots-down":  # robots.txt answers 503: a polite crawler then fetches nothing
            if path == "/robots.txt":
                return self._send(h, 503, b"<h1>Service unavailable</h1>")
            return self._file(h, "acme/features.html")
        if self.name == "globex":
            if path in ("/", "/index.html"):
                return self._file(h, "tailwindtoolbox-landing-page.html")
            return self._send(h, 404, b"<h1>Not found</h1>")
        pages = {"/": "acme/index.html", "/index.html": "acme/index.html", "/features.html": "acme/features.html",
                 "/private/plans.html": "acme/private/plans.html"}
        if path in pages:
            return self._file(h, pages[path])
        if path == "/robots.txt":
            return self._file(h, "acme/robots.txt", "text/plain")
        if path == "/pricing.html":
            return self._file(h, "bootstrap-4.6-pricing-example.html" if self.version == 1 else "acme/pricing-v2.html")
        if path == "/catalogue":
            return self._file(h, "acme/catalogue.pdf", "application/pdf")
        if path == "/broken.html":
            return self._send(h, 500, b"<h1>Internal Server Error</h1>")
        if path == "/busy.html":
            if self.hits[path] == 1:
                return self._send(h, 429, b"<h1>Too many requests</h1>", headers={"Retry-After": "1"})
            return self._send(h, 200, b"<html><head><title>Webinars</title></head><body><main><h1>Webinars</h1>"
                                      b"<p>Monthly webinars on attribution and reporting.</p></main></body></html>")
        if path == "/slow.html":
            time.sleep(self.slow_s)
            return self._send(h, 200, b"<html><head><title>Customer stories</title></head><body><main>"
                                      b"<h1>Customer stories</h1><p>Agencies save hours every week.</p></main>"
                                      b"</body></html>")
        if path == "/huge.html":
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Connection", "close")
            h.end_headers()
            chunk = b"<p>" + b"changelog entry " * 4000 + b"</p>\n"
            h.wfile.write(b"<html><head><title>Changelog</title></head><body>")
            while self.huge_sent < self.huge_bytes:
                h.wfile.write(chunk)
                self.huge_sent += len(chunk)
            h.close_connection = True
            return None
        if path == "/go-internal":
            return self._send(h, 302, b"", headers={"Location": f"http://127.0.0.1:{self._server.server_address[1]}"
                                                                 "/pricing.html"})
        return self._send(h, 404, b"<h1>Not found</h1>")


def main() -> None:
    ap = argparse.ArgumentParser(description="Serve the competitor fixture sites locally.")
    ap.add_argument("--port-a", type=int, default=8701)
    ap.add_argument("--port-b", type=int, default=8702)
    ap.add_argument("--version", type=int, default=1, help="pricing page version of acme (1 or 2)")
    args = ap.parse_args()
    a = CompetitorSite("acme", port=args.port_a).start()
    a.version = args.version
    b = CompetitorSite("globex", port=args.port_b).start()
    print(f"acme   {a.url}\nglobex {b.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        a.stop()
        b.stop()


if __name__ == "__main__":
    main()
