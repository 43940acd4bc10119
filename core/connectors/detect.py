"""What a file is, from its content alone (no format flag, no trust in its name).

:func:`detect` reads the first 64 KiB (decompressed when gzip) and answers one of:

* ``contract``: the workbench's own JSON (workspace object, array or NDJSON of records);
* ``meta_insights`` / ``meta_adsets``: Graph API pages ``{"data": [...], "paging": {...}}``
  (one page, an array of pages or NDJSON of pages), told apart by their first record;
* ``google_performance`` / ``google_conversions``: a SearchStream response (JSON array of
  batches), told apart by ``segments.conversionActionCategory``;
* a CSV download (``meta_csv``, ``google_csv``, ``linkedin_csv``, ``microsoft_csv``) found
  by its header row, wherever the preamble puts it, in UTF-8 or UTF-16;
* ``csv``: a CSV the product does not know (the Data page offers a mapping step).

A platform error object (``{"error": {...}}``, Google's ``partialFailureError``) is refused
here with one line naming the file and the platform's own message.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.connectors import csv_exports
from core.errors import BadInputError

HEAD = 65536
JSON_KINDS = ("contract", "meta_insights", "meta_adsets", "google_performance", "google_conversions")
CSV_KINDS = tuple(lay.name for lay in csv_exports.LAYOUTS) + ("csv",)
PLATFORM = {"meta_insights": "meta", "meta_adsets": "meta", "meta_csv": "meta", "google_performance": "google",
            "google_conversions": "google", "google_csv": "google", "linkedin_csv": "linkedin",
            "microsoft_csv": "microsoft"}


@dataclass
class Detected:
    kind: str
    gzip: bool = False
    layout: str = "object"                        # JSON: 'object' | 'array' | 'ndjson'
    encoding: str = "utf-8"
    delimiter: str = ","
    header_line: int = 0
    headers: list[str] = field(default_factory=list)

    @property
    def is_export(self) -> bool:
        return self.kind != "contract"


def _read_head(path: Path) -> tuple[bytes, bool]:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    is_gzip = magic == b"\x1f\x8b"
    try:
        if is_gzip:
            with gzip.open(path, "rb") as fh:
                return fh.read(HEAD), True
        with open(path, "rb") as fh:
            return fh.read(HEAD), False
    except (OSError, EOFError) as exc:
        raise BadInputError(f"{path.name}: cannot be read as gzip ({exc}).", "Unreadable file") from exc


def _decode(raw: bytes) -> tuple[str, str]:
    """Text and its encoding: UTF-16 by BOM or by its zero bytes, else UTF-8 (BOM dropped)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace").lstrip("\ufeff"), "utf-16"
    if len(raw) >= 4 and raw[1] == 0 and raw[3] == 0 and raw[0] != 0:
        return raw.decode("utf-16-le", errors="replace"), "utf-16"
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff"), "utf-8"


def _platform_error(name: str, obj: dict) -> BadInputError:
    err = obj.get("error") or obj.get("partialFailureError") or {}
    msg = err.get("message") if isinstance(err, dict) else str(err)
    what = "Google partialFailureError" if "partialFailureError" in obj else "the platform returned an error"
    return BadInputError(f"{name}: {what}: {str(msg or err)[:200].rstrip('.')}. Nothing from this file was loaded.",
                         "Platform error")


def _first_object(text: str) -> dict | None:
    """The first complete JSON object in ``text`` (a page, a batch or a record), if it fits the head."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _json_kind(name: str, text: str) -> tuple[str, str]:
    body = text.lstrip(" \t\r\n")
    layout = "array" if body.startswith("[") else "object"
    inner = body[1:].lstrip() if layout == "array" else body
    if layout == "object" and "\n" in body.strip():
        first_line = body.split("\n", 1)[0].strip()
        try:
            if isinstance(json.loads(first_line), dict):
                layout = "ndjson"
        except ValueError:
            pass
    first = _first_object(inner)
    keys = list(first) if first else re.findall(r'"([A-Za-z_@][\w.@]*)"\s*:', inner[:4096])[:1]
    top = keys[0] if keys else ""
    if first and ("error" in first or "partialFailureError" in first) and len(first) <= 3 \
            and "data" not in first and "results" not in first:
        raise _platform_error(name, first)
    if top in ("error",) and first is None:
        raise BadInputError(f"{name}: the platform returned an error (the file holds an error object). "
                            "Nothing from this file was loaded.", "Platform error")
    if re.match(r'\{\s*"(data|paging)"\s*:', inner):
        if '"date_start"' in inner[:HEAD] or '"inline_link_clicks"' in inner or '"publisher_platform"' in inner:
            return "meta_insights", layout
        if re.search(r'"(targeting|bid_strategy|daily_budget|optimization_goal|lifetime_budget)"\s*:', inner):
            return "meta_adsets", layout
        if re.match(r'\{\s*"data"\s*:\s*\[\s*\]', inner):
            raise BadInputError(f"{name}: the Meta page holds no rows (\"data\": []).", "Empty file")
        raise BadInputError(f"{name}: a Graph API page whose records are neither insights (date_start, "
                            "publisher_platform) nor ad sets (targeting, daily_budget).", "Unknown export")
    if layout == "array" and re.match(r'\{\s*"(results|fieldMask|requestId|summaryRow|queryResourceConsumption)"',
                                      inner):
        if "conversionActionCategory" in inner:
            return "google_conversions", layout
        return "google_performance", layout
    return "contract", layout


def _sniff_delimiter(lines: list[str]) -> str:
    sample = "\n".join(lines[:40])
    counts = {d: sample.count(d) for d in ("\t", ",", ";")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _csv_rows(lines: list[str], delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))


def _csv_kind(name: str, text: str, encoding: str) -> Detected:
    lines = text.splitlines()[:60]
    if len(text) >= HEAD:
        lines = lines[:-1]          # the head may cut the last line short
    delimiter = _sniff_delimiter(lines)
    rows = _csv_rows(lines, delimiter)
    for i, row in enumerate(rows[:40]):
        layout = csv_exports.recognise(row)
        if layout is not None:
            return Detected(kind=layout.name, encoding=encoding, delimiter=delimiter, header_line=i,
                            headers=[c.strip() for c in row])
    # Unknown: the header is the first row as wide as the widest of the first rows.
    width = max((len(r) for r in rows), default=0)
    if width < 2:
        raise BadInputError(f"{name}: not JSON and not a CSV with columns; expected a workspace file or a "
                            "platform export.", "Unknown file")
    header_line = next(i for i, r in enumerate(rows) if len(r) == width)
    return Detected(kind="csv", encoding=encoding, delimiter=delimiter, header_line=header_line,
                    headers=[c.strip() for c in rows[header_line]])


def detect(path: str | Path, name: str | None = None) -> Detected:
    """Recognise a file by its content; raise BadInputError for empty files and platform errors."""
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise BadInputError(f"{name}: no such file.", "File not found")
    if path.stat().st_size == 0:
        raise BadInputError(f"{name}: the file is empty (0 bytes).", "Empty file")
    raw, is_gzip = _read_head(path)
    text, encoding = _decode(raw)
    body = text.lstrip(" \t\r\n")
    if not body:
        raise BadInputError(f"{name}: the file holds only whitespace.", "Empty file")
    if body[0] in "[{":
        kind, layout = _json_kind(name, body)
        return Detected(kind=kind, gzip=is_gzip, layout=layout, encoding=encoding)
    det = _csv_kind(name, text, encoding)
    det.gzip = is_gzip
    return det
