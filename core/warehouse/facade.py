"""The ``Warehouse`` facade: one object the app and the CLI hold, delegating to one module per concern.

Each method is a one-line call into the module that does the work (ingest, tables,
aggregates, state, workspace_export), over the shared :class:`Connection`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import duckdb

from core import schema
from core.warehouse import aggregates, ingest, state, tables, workspace_export
from core.warehouse.connection import Connection, connect
from core.warehouse.filters import Filters
from core.warehouse.report import IngestReport

if TYPE_CHECKING:
    import pandas as pd


class Warehouse:
    """One DuckDB workspace, on disk or in memory.

    Use :meth:`open` for the persistent file (one process owns it) and
    :meth:`in_memory` for commands given ``--data`` and for tests.

    Examples
    --------
    >>> wh = Warehouse.in_memory()
    >>> wh.data_version
    0
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.db = Connection(con)
        self.path = path
        self.db.setup()

    # ---- opening

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> "Warehouse":
        return cls(connect(path, read_only=read_only), Path(path))

    @classmethod
    def in_memory(cls) -> "Warehouse":
        return cls(duckdb.connect(":memory:"), None)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], *, skip_bad: bool = False) -> "Warehouse":
        """A fresh in-memory warehouse holding exactly these contract files."""
        wh = cls.in_memory()
        for p in paths:
            wh.ingest(p, skip_bad=skip_bad)
        return wh

    def close(self) -> None:
        self.db.close()

    def checkpoint(self) -> None:
        """Write the write-ahead log into the database file."""
        with self.db.cursor() as cur:
            cur.execute("CHECKPOINT")

    # ---- versions and counts

    @property
    def data_version(self) -> int:
        """Bumped by every write to the contract tables; caches key on it."""
        return self.db.meta("data_version")

    @property
    def state_version(self) -> int:
        """Bumped by every write to capability state tables."""
        return self.db.meta("state_version")

    def counts(self) -> dict[str, int]:
        return tables.counts(self.db)

    def is_empty(self) -> bool:
        return sum(self.counts().values()) == 0

    # ---- ingest

    def ingest(self, path: str | Path, *, name: str | None = None, table: str | None = None,
               skip_bad: bool = False) -> IngestReport:
        """Load one contract file; all of it or none of it unless ``skip_bad``.

        Raises :class:`~core.errors.ValidationError` (with every violation) when a
        record breaks the contract and ``skip_bad`` is false,
        :class:`~core.errors.BadInputError` when the file is not JSON of the
        contract's shape. The warehouse is unchanged on error.
        """
        return ingest.ingest_file(self.db, path, name=name, table=table, skip_bad=skip_bad)

    def ingest_records(self, table: str, records: list[dict[str, Any]], *, name: str = "records",
                       skip_bad: bool = False) -> IngestReport:
        """Ingest records given in memory (importers, tests) through the same checks."""
        return ingest.ingest_records(self.db, table, records, name=name, skip_bad=skip_bad)

    def ingest_history(self) -> "pd.DataFrame":
        return tables.ingest_history(self.db)

    def reset(self) -> None:
        """Empty every contract table and the ingest log (state tables too)."""
        with self.db.lock, self.db.cursor() as cur:
            state_names = self.state_tables()
            cur.execute("BEGIN TRANSACTION")
            for t in schema.TABLE_NAMES:
                cur.execute(f"DELETE FROM {t}")
            cur.execute("DELETE FROM ingest_log")
            for t in state_names:
                cur.execute(f"DROP TABLE IF EXISTS {t}")
            cur.execute("UPDATE meta SET value = value + 1")
            cur.execute("COMMIT")

    # ---- contract tables as frames

    def campaigns(self, filters: Filters | None = None) -> "pd.DataFrame":
        """Campaign-days with the audience flattened and a readable ``audience_label``."""
        return tables.campaigns(self.db, filters)

    def posts(self, filters: Filters | None = None) -> "pd.DataFrame":
        """Posts with ``local_time``: the wall-clock time in the offset they were published in."""
        return tables.posts(self.db, filters)

    def comments(self, filters: Filters | None = None) -> "pd.DataFrame":
        return tables.comments(self.db, filters)

    def customers(self) -> "pd.DataFrame":
        return tables.customers(self.db)

    def date_range(self) -> tuple[date | None, date | None]:
        return tables.date_range(self.db)

    def distinct(self, column: str) -> list[str]:
        """Distinct values of a campaigns column (platform, objective, ad_type, ...)."""
        return tables.distinct(self.db, column)

    # ---- overview aggregates (the hot queries)

    def totals(self, filters: Filters | None = None) -> dict[str, float]:
        return aggregates.totals(self.db, filters)

    def trend(self, filters: Filters | None = None, grain: str = "day", by: str | None = "platform") -> "pd.DataFrame":
        return aggregates.trend(self.db, filters, grain, by)

    def breakdown(self, filters: Filters | None = None, by: str = "platform") -> "pd.DataFrame":
        return aggregates.breakdown(self.db, filters, by)

    # ---- capability state (small tables owned by one capability)

    def state_tables(self) -> list[str]:
        return state.state_tables(self.db)

    def save_state(self, table: str, frame: "pd.DataFrame", *, keys: Iterable[str] = (),
                   replace_all: bool = False) -> None:
        """Upsert ``frame`` into a state table (created from the frame's columns on first use)."""
        state.save_state(self.db, table, frame, keys=keys, replace_all=replace_all)

    def load_state(self, table: str, **equals: Any) -> "pd.DataFrame":
        """Rows of a state table whose columns equal the given values (empty if none yet)."""
        return state.load_state(self.db, table, **equals)

    def delete_state(self, table: str, **equals: Any) -> int:
        return state.delete_state(self.db, table, **equals)

    # ---- export

    def export_workspace(self) -> dict[str, list[dict[str, Any]]]:
        """The whole workspace as a contract workspace object (JSON-ready); ingest reads it back."""
        return workspace_export.export_workspace(self.db)
