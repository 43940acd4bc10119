"""File sniffing: gzip or not, which JSON layout, the first record's keys, and where JSON breaks.

Reads at most the first 64 KB to decide how DuckDB should read the file; the error
locator runs only on failure paths, to name the line and column where a file stops
being valid JSON.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

from core import schema
from core.errors import BadInputError


@dataclass
class Sniff:
    gzip: bool
    layout: str  # 'array' | 'ndjson' | 'object'
    first_keys: list[str]


def open_text(path: Path, is_gzip: bool):
    """The file as UTF-8 text, decompressed when it is gzip; undecodable bytes become U+FFFD."""
    return gzip.open(path, "rt", encoding="utf-8", errors="replace") if is_gzip else open(
        path, "r", encoding="utf-8", errors="replace")


HEAD_CHARS = 65536
_KEY_RE = r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:'


def sniff_file(path: Path, name: str) -> Sniff:
    """How to read ``path``: its compression, JSON layout and first record's keys."""
    is_gzip, text = read_head(path, name)
    if text[0] == "[":
        return Sniff(is_gzip, "array", array_keys(text, name))
    if text[0] != "{":
        shown = text[:20].replace("\n", " ")
        raise BadInputError(
            f"{name}: not JSON: it starts with {shown!r}; expected a JSON object, a JSON array or NDJSON.",
            "Not a JSON file")
    keys = ndjson_keys(text)
    return Sniff(is_gzip, "ndjson", keys) if keys is not None else Sniff(is_gzip, "object", [])


def read_head(path: Path, name: str) -> tuple[bool, str]:
    """(is gzip, the first characters with a BOM and leading whitespace dropped); refuses empty files."""
    if path.stat().st_size == 0:
        raise BadInputError(f"{name}: the file is empty (0 bytes).", "Empty file")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    is_gzip = magic == b"\x1f\x8b"
    try:
        with open_text(path, is_gzip) as fh:
            head = fh.read(HEAD_CHARS)
    except (OSError, EOFError) as exc:
        raise BadInputError(f"{name}: cannot be read as gzip ({exc}).", "Unreadable file") from exc
    text = head.lstrip("\ufeff \t\r\n")
    if not text:
        raise BadInputError(f"{name}: the file holds only whitespace, no JSON.", "Empty file")
    return is_gzip, text


def array_keys(text: str, name: str) -> list[str]:
    """The keys of the first record of a JSON array (read loosely when the record is cut off)."""
    if re.match(r"\[\s*\]\s*$", text):
        raise BadInputError(f"{name}: the file holds no records (an empty array).", "Empty file")
    m = re.match(r"\[\s*(\{.*?\})\s*[,\]]", text, re.S)
    if not m:
        return re.findall(_KEY_RE, text[:4096])
    try:
        return list(json.loads(m.group(1)))
    except ValueError:
        return re.findall(_KEY_RE, m.group(1))


def ndjson_keys(text: str) -> list[str] | None:
    """The first record's keys when ``text`` opens an NDJSON file; None for a workspace object."""
    line = text.split("\n", 1)[0].strip()
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    # One line holding a whole object of arrays is a workspace file, not a record.
    looks_like_workspace = bool(set(obj) & set(schema.TABLE_NAMES)) or bool(
        schema.guess_table(obj) is None and obj and all(isinstance(v, list) for v in obj.values()))
    return None if looks_like_workspace else list(obj)


def locate_json_error(path: Path, is_gzip: bool, layout: str) -> str | None:
    """Where a file stops being valid JSON (None if it is valid); only runs on failure paths."""
    with open_text(path, is_gzip) as fh:
        if layout == "ndjson":
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as exc:
                    return f"line {lineno}: malformed JSON ({exc.msg} at column {exc.colno})"
                if not isinstance(rec, dict):
                    return f"line {lineno}: a record must be a JSON object"
            return None
        try:
            doc = json.load(fh)
        except ValueError as exc:
            return f"line {exc.lineno}, column {exc.colno}: malformed or truncated JSON ({exc.msg})"
    if layout == "array" and isinstance(doc, list):
        for i, rec in enumerate(doc):
            if not isinstance(rec, dict):
                return f"record {i}: a record must be a JSON object, got {type(rec).__name__}"
    return None
