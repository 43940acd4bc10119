"""Where a file stops being contract JSON: an incremental locator with bounded memory.

Runs only on failure paths, after DuckDB refused a file, to turn the refusal into one
sentence naming the line, column or record. It reads the file in chunks and decodes
one record at a time, so a file of gigabytes of whitespace, a record nested 100,000
deep or a duplicated key cost at most one record's worth of memory, never the file's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, TextIO

from core.warehouse.sniff import open_text
from core.warehouse.sql import MAX_RECORD_BYTES

CHUNK = 1 << 20
_WS = re.compile(r"[ \t\r\n]*")


class Problem(Exception):
    """The first problem found; its message is the sentence the user sees."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"the key {k!r} appears twice in one object")
        out[k] = v
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates)


def decode(text: str, start: int = 0) -> tuple[Any, int]:
    """One JSON value from ``text[start:]`` (raw_decode) with deep nesting a ValueError, not a crash."""
    try:
        return _DECODER.raw_decode(text, start)
    except RecursionError:
        raise ValueError("nested too deeply to read") from None


class Reader:
    """A text stream read in chunks, with the current line and column for messages."""

    def __init__(self, fh: TextIO, max_value: int = MAX_RECORD_BYTES) -> None:
        self.fh, self.max_value = fh, max_value
        self.buf, self.pos, self.eof = "", 0, False
        self.line, self.line_start = 1, 0  # line_start: offset of the current line in ``buf``

    def where(self, pos: int | None = None) -> str:
        """'line L, column C' of ``pos`` (at or after the read position) in the file."""
        pos = self.pos if pos is None else pos
        last_nl = self.buf.rfind("\n", self.pos, pos)
        start = self.line_start if last_nl < 0 else last_nl + 1
        line = self.line + self.buf.count("\n", self.pos, pos)
        return f"line {line}, column {pos - start + 1}"

    def _advance(self, to: int) -> None:
        n = self.buf.count("\n", self.pos, to)
        if n:
            self.line += n
            self.line_start = self.buf.rfind("\n", self.pos, to) + 1
        self.pos = to

    def _fill(self, size: int = CHUNK) -> bool:
        """Read more text; drop what has been consumed so memory stays bounded."""
        if self.eof:
            return False
        if self.pos > CHUNK:
            self.buf, self.line_start = self.buf[self.pos:], self.line_start - self.pos
            self.pos = 0
        more = self.fh.read(size)
        if not more:
            self.eof = True
            return False
        self.buf += more
        return True

    def _cut_short(self, exc: json.JSONDecodeError) -> bool:
        """Whether the decode failed only because the buffer ends inside the value."""
        return (exc.msg.startswith("Unterminated string") or len(self.buf) - exc.pos <= 16
                or not self.buf[exc.pos:].strip())

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end of the file)."""
        while True:
            self._advance(_WS.match(self.buf, self.pos).end())
            if self.pos < len(self.buf) or not self._fill():
                return self.buf[self.pos:self.pos + 1]

    def expect(self, chars: str, what: str) -> str:
        c = self.peek()
        if not c or c not in chars:
            found = f"found {c!r}" if c else "the file ends"
            raise Problem(f"{self.where()}: malformed or truncated JSON (expected {what}, {found})")
        self._advance(self.pos + 1)
        return c

    def value(self) -> Any:
        """Decode the next JSON value, reading more of the file until it is complete."""
        self.peek()
        while True:
            try:
                obj, end = decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos > self.max_value:
                    raise Problem(f"{self.where()}: a value larger than {self.max_value / 2**20:g} MB") from None
                if self._cut_short(exc) and self._fill(max(CHUNK, len(self.buf) - self.pos)):
                    continue
                raise Problem(f"{self.where(exc.pos)}: malformed or truncated JSON ({exc.msg})") from None
            except ValueError as exc:
                raise Problem(f"{self.where()}: {exc}") from None
            if end == len(self.buf) and not self.eof and self._fill():
                continue  # a number cut at the chunk's end: decode it again whole
            if end - self.pos > self.max_value:
                raise Problem(f"{self.where()}: a value larger than {self.max_value / 2**20:g} MB")
            self._advance(end)
            return obj


def _check_record(rec: Any, where: str) -> None:
    if not isinstance(rec, dict):
        kind = {list: "array", str: "string", type(None): "null", bool: "boolean"}.get(type(rec), "number")
        raise Problem(f"{where}: a record must be a JSON object, got {kind}")


def _records(r: Reader, label: Callable[[int], str]) -> None:
    """The elements of the array whose '[' was just read, each a record."""
    if r.peek() == "]":
        r.expect("]", "']'")
        return
    i = 0
    while True:
        try:
            rec = r.value()
        except Problem as exc:
            raise Problem(f"{label(i)}, {exc}") from None
        _check_record(rec, label(i))
        if r.expect(",]", "',' or ']'") == "]":
            return
        i += 1


def _document(r: Reader) -> None:
    """A workspace object: table arrays read record by record, other values whole."""
    r.expect("{", "'{'")
    if r.peek() == "}":
        r.expect("}", "'}'")
        return
    while True:
        key = r.value()
        if not isinstance(key, str):
            raise Problem(f"{r.where()}: malformed JSON (an object key must be a string)")
        r.expect(":", "':'")
        if r.peek() == "[":
            r.expect("[", "'['")
            _records(r, lambda i, k=key: f"{k} record {i}")
        else:
            r.value()
        if r.expect(",}", "',' or '}'") == "}":
            return


def _ndjson(fh: TextIO) -> None:
    for lineno, line in enumerate(iter(lambda: fh.readline(MAX_RECORD_BYTES + 1), ""), start=1):
        if len(line) >= MAX_RECORD_BYTES:
            raise Problem(f"line {lineno}: a record larger than {MAX_RECORD_BYTES // 2**20} MB")
        if not line.strip():
            continue
        text = line.lstrip("\ufeff") if lineno == 1 else line
        try:
            rec, end = decode(text, _WS.match(text).end())
        except json.JSONDecodeError as exc:
            raise Problem(f"line {lineno}: malformed JSON ({exc.msg} at column {exc.colno})") from None
        except ValueError as exc:
            raise Problem(f"line {lineno}: {exc}") from None
        if text[end:].strip():
            raise Problem(f"line {lineno}: more than one JSON value on the line")
        _check_record(rec, f"line {lineno}")


def locate_json_error(path: Path, is_gzip: bool, layout: str) -> str | None:
    """Where a file stops being valid contract JSON (None if it is valid)."""
    try:
        with open_text(path, is_gzip, errors="strict") as fh:
            if layout == "ndjson":
                _ndjson(fh)
                return None
            r = Reader(fh)
            if r.peek() == "\ufeff":
                r.expect("\ufeff", "a byte order mark")
            if layout == "array":
                r.expect("[", "'['")
                _records(r, lambda i: f"record {i}")
            else:
                _document(r)
            if r.peek():
                raise Problem(f"{r.where()}: more data after the end of the JSON value")
    except Problem as exc:
        return str(exc)
    except UnicodeDecodeError:
        return "not UTF-8 text (save the file as UTF-8)"
    except (OSError, EOFError) as exc:
        return f"the gzip stream is truncated or corrupt ({exc})"
    return None
