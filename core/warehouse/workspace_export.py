"""The workspace written back as one contract workspace object (the Data page's download).

Named apart from the platform-export mappings: this writes our own contract out,
those read the ad platforms' files in.
"""

from __future__ import annotations

import json
from typing import Any

from core import schema
from core.warehouse.connection import Connection

# Post times are written in the offset they were published in, so a round trip keeps local time.
_LOCAL_PUBLISHED_AT = (
    "strftime(CAST(timezone('UTC', published_at) AS TIMESTAMP) + "
    "to_minutes(CAST(utc_offset_minutes AS BIGINT)), '%Y-%m-%dT%H:%M:%S') || "
    "CASE WHEN utc_offset_minutes < 0 THEN '-' ELSE '+' END || "
    "lpad(CAST(abs(utc_offset_minutes) // 60 AS VARCHAR), 2, '0') || ':' || "
    "lpad(CAST(abs(utc_offset_minutes) % 60 AS VARCHAR), 2, '0')")


def export_expr(t: schema.Table, f: schema.Field) -> str:
    """The SQL that writes one stored column back in its contract form."""
    if f.kind == "date":
        return f"strftime({f.name}, '%Y-%m-%d')"
    if f.kind == "datetime" and t.name == "posts":
        return _LOCAL_PUBLISHED_AT
    if f.kind == "datetime":
        return f"strftime({f.name}, '%Y-%m-%dT%H:%M:%S+00:00')"
    return f.name


def export_table(cur, t: schema.Table, account: str) -> list[dict[str, Any]]:
    """One client's records of one table in key order, absent values left out."""
    parts = ", ".join(f"{f.name} := {export_expr(t, f)}" for f in t.fields)
    order = ", ".join(t.keys)
    rows = cur.execute(f"SELECT to_json(struct_pack({parts})) FROM {t.name} WHERE account_id = $a ORDER BY {order}",
                       {"a": account}).fetchall()
    return [{k: v for k, v in json.loads(r[0]).items() if v is not None} for r in rows]


def export_workspace(db: Connection, account: str) -> dict[str, list[dict[str, Any]]]:
    """One client's data as a contract workspace object (JSON-ready).

    Dates are written as ``YYYY-MM-DD`` and post times in the offset they were
    published in, so a round trip through ingest gives the same rows.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    with db.cursor() as cur:
        for t in schema.TABLES.values():
            recs = export_table(cur, t, account)
            if recs:
                out[t.name] = recs
    return out
