"""Column mappings for CSV files the workbench does not know, kept per file shape.

A *shape* is the file's header row (names compared case- and space-insensitively) plus
its delimiter: the next file with the same header reuses the mapping the user made on the
Data page. Mappings live in the workspace's ``export_csv_mappings`` state table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from core.connectors.csv_exports import PARSERS, REQUIRED, Plan, norm_header
from core.errors import BadInputError

TABLE = "export_csv_mappings"
# Fields a mapping may set to one value for the whole file (a CSV rarely names its platform).
CONSTANT_FIELDS = ("platform", "objective", "ad_type", "bidding_strategy", "currency")


def shape(headers: list[str], delimiter: str) -> str:
    """A stable id of a header row: the same columns in the same order give the same shape."""
    key = delimiter + "\x1f" + "\x1f".join(norm_header(h) for h in headers)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class Mapping:
    """Which column (or constant) fills each contract field, for one shape of CSV."""

    columns: dict[str, str]
    constants: dict[str, str] = field(default_factory=dict)
    header_line: int = 0
    delimiter: str = ","
    encoding: str = "utf-8"

    def check(self, headers: list[str]) -> None:
        """Refuse a mapping that misses a required field or names a column the file lacks."""
        unknown = [f for f in list(self.columns) + list(self.constants) if f not in PARSERS]
        if unknown:
            raise BadInputError(f"Not contract fields: {', '.join(unknown)}.", "Bad mapping")
        missing = [f for f in REQUIRED if f not in self.columns]
        if "platform" not in self.columns and not self.constants.get("platform"):
            missing.append("platform")
        if missing:
            raise BadInputError(f"The mapping needs a column for {', '.join(missing)}.", "Incomplete mapping")
        absent = [h for h in self.columns.values() if h not in headers]
        if absent:
            raise BadInputError(f"The file has no column {', '.join(absent)}.", "Bad mapping")

    def plan(self, headers: list[str]) -> Plan:
        self.check(headers)
        return Plan(source="mapped", header_line=self.header_line, delimiter=self.delimiter, encoding=self.encoding,
                    columns=dict(self.columns), constants={k: v for k, v in self.constants.items() if v},
                    headers=list(headers))


def save(wh: Any, headers: list[str], mapping: Mapping) -> str:
    """Keep ``mapping`` for every later file of this shape; returns the shape id."""
    import pandas as pd

    mapping.check(headers)
    sid = shape(headers, mapping.delimiter)
    frame = pd.DataFrame([{"shape": sid, "headers": json.dumps(list(headers)), "columns": json.dumps(mapping.columns),
                           "constants": json.dumps(mapping.constants), "header_line": int(mapping.header_line),
                           "delimiter": mapping.delimiter, "encoding": mapping.encoding}])
    wh.save_state(TABLE, frame, keys=["shape"])
    return sid


def find(wh: Any, headers: list[str], delimiter: str) -> Mapping | None:
    """The mapping kept for this shape, if any."""
    rows = wh.load_state(TABLE, shape=shape(headers, delimiter))
    if rows is None or len(rows) == 0:
        return None
    r = rows.iloc[0]
    return Mapping(columns=json.loads(r["columns"]), constants=json.loads(r["constants"]),
                   header_line=int(r["header_line"]), delimiter=str(r["delimiter"]), encoding=str(r["encoding"]))


def suggest(headers: list[str]) -> dict[str, str]:
    """A first guess of the mapping from header names (the user confirms it)."""
    hints = {"date": ("date", "day", "period"), "campaign_id": ("campaign id", "campaign_id", "ad group id", "id"),
             "campaign_name": ("campaign name", "campaign"), "spend": ("spend", "cost", "amount spent", "spent"),
             "impressions": ("impressions", "impr", "views"), "clicks": ("link clicks", "clicks"),
             "leads": ("leads", "lead"), "conversions": ("conversions", "purchases", "orders"),
             "revenue": ("revenue", "conversion value", "sales", "value"), "daily_budget": ("budget", "daily budget"),
             "platform": ("platform", "network", "channel")}
    out: dict[str, str] = {}
    normed = [(norm_header(h), h) for h in headers]
    for fld, words in hints.items():
        for w in words:
            hit = next((h for n, h in normed if n == w and h not in out.values()), None) or next(
                (h for n, h in normed if w in n and h not in out.values()), None)
            if hit:
                out[fld] = hit
                break
    return out


def preview(path: Any, name: str, rows: int = 20) -> tuple[Any, Any, dict[str, str]]:
    """What the Data page's mapping step shows: (detected layout, first rows, suggested mapping)."""
    from pathlib import Path

    from core.connectors.detect import detect
    from core.warehouse import exports

    det = detect(Path(path), name)
    if det.kind in ("contract", "meta_insights", "meta_adsets", "google_performance", "google_conversions"):
        raise BadInputError(f"{name}: not a CSV; it loads without a mapping.", "Not a CSV")
    frame = exports.peek_csv(Path(path), header_line=det.header_line, delimiter=det.delimiter,
                             encoding=det.encoding, rows=rows)
    return det, frame, suggest(det.headers)
