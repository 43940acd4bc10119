"""The local engine: every client of the lake, one after the other, in this process.

Each client's partition (only the tables and the date window its task reads) is copied
into a fresh in-memory warehouse, the task runs, and the warehouse is dropped: memory
is bounded by the largest client, not by the lake.
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from core.batch.tasks import Task
from core.config import Settings
from core.errors import NotEnoughDataError
from core.warehouse import Warehouse
from core.warehouse import lake as lake_io


def run_local(task: Task, lake: str, settings: Settings, opts: dict[str, Any],
              progress: Callable[[int, int, str], None] | None = None) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """(result rows of every client, clients skipped with the reason)."""
    accounts = lake_io.accounts(lake, task.tables[0])
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for i, account in enumerate(accounts):
        if progress:
            progress(i, len(accounts), account)
        wh = Warehouse.from_lake(lake, account, tables=task.tables, window_days=task.window_days)
        try:
            rows.extend(task.rows(wh, settings.for_account(account), opts))
        except NotEnoughDataError as exc:
            skipped.append({"account_id": account, "reason": str(exc)})
        finally:
            wh.close()
    return pd.DataFrame(rows, columns=list(task.columns)), skipped
