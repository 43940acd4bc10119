"""File sniffing: gzip or not, its text encoding, which JSON layout, the first record's keys.

Reads the file's head (64 KB, or the whole first line of NDJSON up to the largest
record the workbench reads) to decide how DuckDB should read the file. A gzip file is
decompressed once, in bounded memory, before DuckDB sees it: a stream that is cut short
or that expands far beyond what real data does (a "gzip bomb") is refused here.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from core import schema
from core.errors import BadInputError
from core.warehouse.sql import MAX_RECORD_BYTES

HEAD_CHARS = 65536
# A gzip file may expand to this, or to GZIP_MAX_RATIO times its own size if larger.
# Real exports compress 5-30 times; 2 MB of gzip that expands to 2.3 GB (1,000 times) is an attack.
GZIP_MIN_BUDGET = 256 * 2**20
GZIP_MAX_RATIO = 100
_KEY_RE = r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:'
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


@dataclass
class Sniff:
    gzip: bool
    layout: str  # 'array' | 'ndjson' | 'object'
    first_keys: list[str]
    bom: bool = False  # the text starts with a UTF-8 byte order mark


# DuckDB expands these in any path it reads (and, once globbing, splits names at '\\').
_GLOB_CHARS = re.compile(r"[*?\[\]{}\\]")


@contextmanager
def literal_path(path: Path) -> Iterator[str]:
    """A path DuckDB's readers open as exactly ``path``, never as a pattern.

    ``read_json('glob[1].json')`` would read ``glob1.json``. A name that holds a glob
    character is read through a symbolic link with a plain name in a private folder.
    """
    target = str(Path(path).absolute())
    if not _GLOB_CHARS.search(target):
        yield target
        return
    with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
        link = os.path.join(tmp, "input")
        os.symlink(target, link)
        yield link


def open_text(path: Path, is_gzip: bool, errors: str = "replace"):
    """The file as UTF-8 text, decompressed when it is gzip (undecodable bytes as ``errors`` says)."""
    return gzip.open(path, "rt", encoding="utf-8", errors=errors) if is_gzip else open(
        path, "r", encoding="utf-8", errors=errors)


def loads(text: str) -> Any:
    """json.loads where nesting too deep for Python is a ValueError like any other bad JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def sniff_file(path: Path, name: str) -> Sniff:
    """How to read ``path``: its compression, JSON layout and first record's keys."""
    is_gzip, raw, whole = read_head(path, name)
    text = raw.lstrip("\ufeff \t\r\n")
    bom = raw.startswith("\ufeff")
    if text[0] == "[":
        return Sniff(is_gzip, "array", array_keys(text, name), bom)
    if text[0] != "{":
        shown = text[:20].replace("\n", " ")
        raise BadInputError(
            f"{name}: not JSON: it starts with {shown!r}; expected a JSON object, a JSON array or NDJSON.",
            "Not a JSON file")
    if "\n" not in text and not whole:
        text = first_line(path, is_gzip, name, text)  # a first record longer than the head: read all of it
    keys = ndjson_keys(text)
    return Sniff(is_gzip, "ndjson", keys, bom) if keys is not None else Sniff(is_gzip, "object", [], bom)


def read_head(path: Path, name: str) -> tuple[bool, str, bool]:
    """(is gzip, the text's first 64 KB, whether that is the whole file); refuses empty and UTF-16/32 files."""
    if path.stat().st_size == 0:
        raise BadInputError(f"{name}: the file is empty (0 bytes).", "Empty file")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    is_gzip = magic[:2] == b"\x1f\x8b"
    try:
        with (gzip.open(path, "rb") if is_gzip else open(path, "rb")) as fh:
            head_bytes = fh.read(HEAD_CHARS)
    except (OSError, EOFError, zlib.error) as exc:
        raise BadInputError(f"{name}: cannot be read as gzip ({exc}).", "Unreadable file") from exc
    check_utf8(head_bytes, name)
    head = head_bytes.decode("utf-8", errors="replace")
    if not head.lstrip("\ufeff \t\r\n"):
        raise BadInputError(f"{name}: the file holds only whitespace, no JSON.", "Empty file")
    return is_gzip, head, len(head_bytes) < HEAD_CHARS


def check_utf8(head: bytes, name: str) -> None:
    """Refuse UTF-16 and UTF-32 text (a BOM, or the NUL byte beside every ASCII character)."""
    sample = head[:64]
    nul_beside = max(sample[0::2].count(0), sample[1::2].count(0)) >= 0.75 * (len(sample) // 2) > 0
    if head.startswith(_UTF16_32_BOMS) or nul_beside:
        raise BadInputError(f"{name}: the file is UTF-16 or UTF-32 text; save it as UTF-8 and load it again.",
                            "Not UTF-8 text")


def first_line(path: Path, is_gzip: bool, name: str, head: str) -> str:
    """The file's first line, up to the largest record the workbench reads.

    A longer line is a workspace object on one line (its first value an array of
    records) or a record too large to read, refused here with its size named.
    """
    with open_text(path, is_gzip) as fh:
        line = fh.readline(MAX_RECORD_BYTES)
    if len(line) >= MAX_RECORD_BYTES and not line.endswith("\n") and not re.match(r'\{\s*"[^"]*"\s*:\s*\[', head):
        raise BadInputError(f"{name}: line 1: a record larger than {MAX_RECORD_BYTES // 2**20} MB, the most the "
                            "workbench reads. Nothing from this file was loaded.", "Record too large")
    return line.lstrip("\ufeff \t\r\n")


def array_keys(text: str, name: str) -> list[str]:
    """The keys of the first record of a JSON array (read loosely when the record is cut off)."""
    if re.match(r"\[\s*\]\s*$", text):
        raise BadInputError(f"{name}: the file holds no records (an empty array).", "Empty file")
    m = re.match(r"\[\s*(\{.*?\})\s*[,\]]", text, re.S)
    if not m:
        return re.findall(_KEY_RE, text[:4096])
    try:
        return list(loads(m.group(1)))
    except ValueError:
        return re.findall(_KEY_RE, m.group(1))


def ndjson_keys(text: str) -> list[str] | None:
    """The first record's keys when ``text`` opens an NDJSON file; None for a workspace object."""
    line = text.split("\n", 1)[0].strip()
    try:
        obj = loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    # One line holding a whole object of arrays is a workspace file, not a record.
    looks_like_workspace = bool(set(obj) & set(schema.TABLE_NAMES)) or bool(
        schema.guess_table(obj) is None and obj and all(isinstance(v, list) for v in obj.values()))
    return None if looks_like_workspace else list(obj)


def gzip_budget(compressed_size: int) -> int:
    return max(GZIP_MIN_BUDGET, GZIP_MAX_RATIO * compressed_size)


def check_gzip(path: Path, name: str, budget: int | None = None) -> int:
    """Decompress ``path`` once in bounded memory; return its size, refusing a bomb or a cut stream."""
    size = path.stat().st_size
    budget = gzip_budget(size) if budget is None else budget
    total, fed = 0, False
    d = zlib.decompressobj(wbits=31)
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                while chunk:
                    fed = True
                    total += len(d.decompress(chunk, 1 << 22))
                    chunk = d.unconsumed_tail
                    if d.eof:  # another gzip member may follow (concatenated files)
                        chunk, d, fed = d.unused_data + chunk, zlib.decompressobj(wbits=31), False
                    if total > budget:
                        raise BadInputError(
                            f"{name}: expands to more than {budget // 2**20} MB when decompressed, over "
                            f"{GZIP_MAX_RATIO} times its size; real exports do not compress that well. "
                            "Nothing from this file was loaded.", "Suspicious gzip file")
    except zlib.error as exc:
        raise BadInputError(f"{name}: the gzip data is corrupt ({exc}). Nothing from this file was loaded.",
                            "Unreadable file") from exc
    if fed:  # the last member never reached its end
        raise BadInputError(f"{name}: the gzip data is truncated (the file ends inside the compressed stream). "
                            "Nothing from this file was loaded.", "Unreadable file")
    return total
