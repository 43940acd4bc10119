"""The live DuckDB connection: opening the file, one cursor per query, one write lock.

Kept apart from what the warehouse *does* (ingest, reads, state), as Harlequin keeps
its connection apart from its catalog: every other module of the package receives a
:class:`Connection` and asks it for a cursor.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import duckdb

from core import schema
from core.errors import WorkbenchError, WorkspaceLockedError
from core.warehouse import sql

if TYPE_CHECKING:
    import pandas as pd


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the workspace file; a file held by another process is a titled error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WorkspaceLockedError(
                f"The workspace {path} is held by another process (the workbench is running). "
                "Stop it, or give the command --data FILE to work on files in memory.") from exc
        raise WorkbenchError(f"Cannot open the workspace {path}: {exc}", "Cannot open workspace") from exc


class Connection:
    """One DuckDB connection shared by the app's threads.

    ``lock`` serialises writers (an ingest, a state upsert); readers take a fresh
    cursor each and run concurrently.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.raw = con
        self.lock = threading.RLock()

    def setup(self) -> None:
        """Create the contract and system tables a new workspace needs (idempotent)."""
        with self.cursor() as cur:
            for t in schema.TABLES.values():
                cur.execute(sql.ddl(t))
            for ddl in sql.SYSTEM_DDL:
                cur.execute(ddl)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # A fresh cursor per query: a streaming result on one cursor blocks the next query.
        cur = self.raw.cursor()
        try:
            cur.execute("SET TimeZone = 'UTC'")
            yield cur
        except duckdb.Error as exc:
            raise WorkbenchError(f"The workspace query failed: {exc}", "Workspace error") from exc
        finally:
            cur.close()

    def df(self, query: str, params: dict[str, Any] | None = None) -> "pd.DataFrame":
        with self.cursor() as cur:
            return cur.execute(query, params or {}).df()

    def meta(self, key: str) -> int:
        with self.cursor() as cur:
            row = cur.execute("SELECT value FROM meta WHERE key = $k", {"k": key}).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.raw.close()
