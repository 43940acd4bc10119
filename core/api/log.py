"""Request logs as JSON lines: route, status, time, key id. Never the key, never a body."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any


class RequestLog:
    """Appends one JSON object per request to a file (or stderr)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._path = Path(path) if path else None
        self._lock = threading.Lock()

    def write(self, **fields: Any) -> None:
        line = json.dumps({"ts": round(time.time(), 3), **fields}, ensure_ascii=True)
        with self._lock:
            if self._path is None:
                self._emit(sys.stderr, line)
            else:
                with self._path.open("a", encoding="utf-8") as fh:
                    self._emit(fh, line)

    @staticmethod
    def _emit(stream: IO[str], line: str) -> None:
        stream.write(line + "\n")
        stream.flush()
