"""The lake (issue 14): the workspace as Parquet, hive-partitioned by client, for DuckDB and Spark.

``python -m core lake export --out DIR`` writes ``DIR/<table>/account_id=<id>/*.parquet``
for every contract table (the SQL lives in :mod:`core.warehouse.lake`); batch runs
(:mod:`core.batch`) read it one client at a time and write their results beside it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_lake"]


def run_lake(args: Any, ctx: Any) -> dict[str, Any]:
    """``python -m core lake export --out DIR``: every client's rows (or ``--account``'s) as a lake."""
    tables = ctx.warehouse().export_lake(args.out)
    return {"out": str(args.out), "tables": tables}
