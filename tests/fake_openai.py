"""A local fake of an OpenAI-compatible server, for tests that must never touch the internet.

``http.server`` in a daemon thread on 127.0.0.1 at a random free port. It speaks the
parts of the API the workbench uses:

- ``POST /v1/chat/completions``: non-streaming (one JSON body) and streaming
  (``text/event-stream``: ``data: {chunk}`` events, then ``data: [DONE]``);
- ``POST /v1/images/generations``: ``b64_json`` of a tiny valid PNG;
- ``GET /v1/models``.

Failure modes are set with ``.mode``:

``"ok"``        normal answers;
``"401"``       invalid API key (``AuthenticationError`` in the client);
``"429"``       rate limited with ``Retry-After: <retry_after>``;
``"500"``       server error;
``"slow"``      sleeps ``slow_s`` seconds before answering (for client timeouts);
``"prose"``     the chat answer wraps its JSON in prose and a code fence;
``"no_json_mode"`` rejects ``response_format`` with 400, like servers without JSON mode.

``fail_times`` limits a failure mode to the first N requests (then the server
answers ``"ok"``); ``None`` keeps failing. Every request is logged in ``.requests``
as ``{"method", "path", "headers" (lower-case names), "body", "time"}`` (``time`` from ``time.monotonic``).

Example
-------
>>> fake = FakeOpenAI()
>>> base_url = fake.start()          # "http://127.0.0.1:PORT/v1"
>>> fake.mode = "429"; fake.fail_times = 1
>>> fake.stop()
"""

from __future__ import annotations

import base64
import json
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("ok", "401", "429", "500", "slow", "prose", "no_json_mode")

DEFAULT_VARIANTS: list[dict[str, Any]] = [
    {"headline": "Book Your Dental Checkup Today",
     "description": "Gentle care from a friendly team. New patients get 20% off the first visit. Book online.",
     "body": "Our clinic is accepting new patients. Book a checkup and get 20% off your first visit.",
     "hashtags": ["dental", "smile"]},
    {"headline": "A Brighter Smile Starts With One Easy Visit Here",  # 48 characters: over Google's 30
     "description": "Modern dentistry, flexible hours and a 20% new-patient offer that makes starting simple.",
     "body": "Modern dentistry with flexible hours. New patients save 20% on the first visit.",
     "hashtags": ["#dentist", "#health"]},
    {"headline": "20% Off Your First Visit",
     "description": "Family dental care close to home. Call or book online in two minutes.",
     "body": "Family dental care close to home, now with 20% off for new patients.",
     "hashtags": ["family"]},
]


def tiny_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 90)) -> bytes:
    """A valid PNG of a solid colour, built by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class FakeOpenAI:
    """A fake OpenAI-compatible HTTP server (see the module docstring)."""

    def __init__(self, *, content: str | None = None, retry_after: float = 1, slow_s: float = 3.0,
                 chunk_chars: int = 12, model: str = "fake-model") -> None:
        self.mode = "ok"
        self.fail_times: int | None = None
        self.content = content if content is not None else json.dumps({"variants": DEFAULT_VARIANTS})
        self.retry_after = retry_after
        self.slow_s = slow_s
        self.chunk_chars = chunk_chars
        self.model = model
        self.png = tiny_png()
        self.requests: list[dict[str, Any]] = []
        self._failures = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> str:
        """Start serving in a daemon thread; returns the base URL (ending in ``/v1``)."""
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeOpenAI":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to ``"ok"`` with an empty request log."""
        with self._lock:
            self.mode, self.fail_times, self._failures = "ok", None, 0
            self.requests.clear()

    # ------------------------------------------------------------------ helpers
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def _current_mode(self) -> str:
        with self._lock:
            if self.mode == "ok":
                return "ok"
            if self.fail_times is not None and self._failures >= self.fail_times:
                return "ok"
            self._failures += 1
            return self.mode


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hung up (a timed-out request) is expected; anything else is printed."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeOpenAI
    protocol_version = "HTTP/1.0"  # one request per connection; a stream ends when the connection closes

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    # ---------------------------------------------------------------- plumbing
    def _log(self, body: Any) -> None:
        fake = self.server_fake
        with fake._lock:
            fake.requests.append({"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                  "body": body, "time": time.monotonic()})

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, kind: str, code: str | None = None,
               headers: dict[str, str] | None = None) -> None:
        self._json(status, {"error": {"message": message, "type": kind, "param": None, "code": code}}, headers)

    def _fail(self, mode: str) -> bool:
        """Answer with the failure of ``mode``; False when the request should go on."""
        fake = self.server_fake
        if mode == "401":
            self._error(401, "Incorrect API key provided: sk-fake. You can find your API key at the service.",
                        "invalid_request_error", "invalid_api_key")
        elif mode == "429":
            self._error(429, "Rate limit reached for requests.", "requests", "rate_limit_exceeded",
                        {"Retry-After": f"{fake.retry_after:g}"})
        elif mode == "500":
            self._error(500, "The server had an error while processing your request.", "server_error")
        elif mode == "slow":
            fake._stopping.wait(fake.slow_s)
            return False
        else:
            return False
        return True

    # ---------------------------------------------------------------- routes
    def do_GET(self) -> None:  # noqa: N802
        self._log(None)
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": self.server_fake.model, "object": "model"}]})
        else:
            self._error(404, f"no route {self.path}", "invalid_request_error")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"_raw": raw.decode(errors="replace")}
        self._log(body)
        mode = self.server_fake._current_mode()
        if self._fail(mode):
            return
        if self.path.endswith("/chat/completions"):
            self._chat(body, mode)
        elif self.path.endswith("/images/generations"):
            self._image(body)
        else:
            self._error(404, f"no route {self.path}", "invalid_request_error")

    def _chat(self, body: dict[str, Any], mode: str) -> None:
        fake = self.server_fake
        if mode == "no_json_mode" and body.get("response_format"):
            self._error(400, "response_format is not supported by this server", "invalid_request_error")
            return
        content = fake.content
        if mode == "prose":
            content = f"Sure! Here are your variants:\n```json\n{content}\n```\nGood luck with the campaign."
        model = body.get("model") or fake.model
        created = int(time.time())
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created, "model": model}
            first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                          "finish_reason": None}]}
            self._event(first)
            step = max(1, fake.chunk_chars)
            for i in range(0, len(content), step):
                self._event({**base, "choices": [{"index": 0, "delta": {"content": content[i:i + step]},
                                                  "finish_reason": None}]})
            self._event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            return
        prompt_tokens = sum(len(str(m.get("content", ""))) // 4 for m in body.get("messages", []))
        self._json(200, {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(content) // 4,
                      "total_tokens": prompt_tokens + len(content) // 4}})

    def _event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
        self.wfile.flush()

    def _image(self, body: dict[str, Any]) -> None:
        fake = self.server_fake
        n = int(body.get("n") or 1)
        b64 = base64.b64encode(fake.png).decode()
        self._json(200, {"created": int(time.time()),
                         "data": [{"b64_json": b64, "revised_prompt": body.get("prompt")} for _ in range(n)]})
