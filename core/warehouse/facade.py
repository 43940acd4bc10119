"""The ``Warehouse`` facade: one object the app and the CLI hold, delegating to one module per concern.

Each method is a one-line call into the module that does the work (ingest, tables,
aggregates, state, workspace_export, clients), over the shared :class:`Connection`.

A warehouse is a view of one client (:meth:`Warehouse.for_account`): every read,
write and state call is that client's. The unscoped view works on the workspace's
only client and refuses, naming them, when there are several.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import duckdb

from core import schema
from core.errors import AccountError
from core.warehouse import aggregates, clients, exports, ingest, lake, state, tables, workspace_export
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
        # The client this view reads and writes; None: the workspace's only client (see account).
        self._account: str | None = None
        migrate = clients.needs_migration(self.db)
        self.db.setup()
        if migrate:
            clients.migrate(self.db, self.state_tables())

    # ---- clients

    def for_account(self, account: str | None) -> "Warehouse":
        """A view of the same workspace that reads and writes only ``account``'s rows and state.

        It shares the connection and its lock; ``None`` gives the unscoped view.
        """
        view = copy.copy(self)
        view._account = None if account is None else schema.check_account_id(account)
        return view

    @property
    def account(self) -> str:
        """The client this view works on: the chosen one, else the workspace's only one.

        Raises :class:`~core.errors.AccountError` naming the clients when the workspace
        holds several and none was chosen.
        """
        if self._account is not None:
            return self._account
        ids = self.accounts()
        if len(ids) > 1:
            raise AccountError(f"The workspace holds {len(ids)} clients ({', '.join(ids)}); "
                               "choose one with --account ID.")
        return ids[0] if ids else schema.DEFAULT_ACCOUNT

    def accounts(self) -> list[str]:
        """Every client id in the workspace, in order."""
        return clients.accounts(self.db)

    def clients(self) -> "pd.DataFrame":
        """The client registry (id, name, created, campaign-days) for the Data page."""
        return clients.listing(self.db)

    def client_name(self, account: str) -> str:
        return clients.name_of(self.db, account)

    def add_client(self, account: str, name: str | None = None) -> str:
        """Register a new, empty client; returns its id."""
        return clients.add(self.db, account, name)

    def rename_client(self, account: str, name: str) -> None:
        clients.rename(self.db, account, name)

    def delete_client(self, account: str) -> dict[str, int]:
        """Delete a client's rows, state, ingest history and registry entry; rows removed per table."""
        return clients.delete(self.db, account, self.state_tables())

    # ---- opening

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> "Warehouse":
        return cls(connect(path, read_only=read_only), Path(path))

    @classmethod
    def in_memory(cls) -> "Warehouse":
        return cls(duckdb.connect(":memory:"), None)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], *, skip_bad: bool = False,
                   account: str | None = None) -> "Warehouse":
        """A fresh in-memory warehouse holding exactly these contract files (as ``account``'s, if given)."""
        wh = cls.in_memory()
        for p in paths:
            wh.ingest(p, skip_bad=skip_bad, account=account)
        return wh

    @classmethod
    def from_lake(cls, lake_dir: str | Path, account: str, *, tables: Iterable[str] = schema.TABLE_NAMES,
                  window_days: dict[str, int] | None = None) -> "Warehouse":
        """A fresh in-memory warehouse holding one client's partitions of a lake (its view)."""
        wh = cls.in_memory()
        lake.load_account(wh.db, lake_dir, account, tables, window_days)
        return wh.for_account(account)

    @classmethod
    def from_frames(cls, account: str, frames: dict[str, "pd.DataFrame"]) -> "Warehouse":
        """A fresh in-memory warehouse of one client's rows given as text-safe frames (a Spark worker's)."""
        wh = cls.in_memory()
        for table, frame in frames.items():
            lake.load_frame(wh.db, table, frame, account)
        return wh.for_account(account)

    def export_lake(self, out: str | Path) -> dict[str, int]:
        """Write the workspace (this client's rows, or every client's for the unscoped view) as a lake."""
        return lake.export(self.db, out, self._account)

    def close(self) -> None:
        self.db.close()

    def checkpoint(self) -> None:
        """Write the write-ahead log into the database file."""
        with self.db.cursor() as cur:
            cur.execute("CHECKPOINT")

    # ---- versions and counts

    def _version(self, kind: str) -> int:
        return self.db.meta(kind if self._account is None else f"{kind}:{self._account}")

    @property
    def data_version(self) -> int:
        """Bumped by every write to the contract tables; caches key on it.

        A client's view gives that client's version: numbers come from one counter, so
        two clients' versions differ once either was written (caches never mix them).
        """
        return self._version("data_version")

    @property
    def state_version(self) -> int:
        """Bumped by every write to capability state tables (per client, as ``data_version``)."""
        return self._version("state_version")

    def counts(self) -> dict[str, int]:
        """Rows per contract table of this client."""
        return tables.counts(self.db, self.account)

    def is_empty(self) -> bool:
        """No rows for this client (for the unscoped view: no rows at all)."""
        return sum(tables.counts(self.db, self._account).values()) == 0

    # ---- ingest

    def ingest(self, path: str | Path, *, name: str | None = None, table: str | None = None,
               skip_bad: bool = False, account: str | None = None) -> IngestReport:
        """Load one contract file; all of it or none of it unless ``skip_bad``.

        Rows go to ``account`` (or this view's client): the client chosen while ingesting
        replaces the one a file names. Without either, each row keeps its file's
        ``account_id`` (``default`` when it has none).

        Raises :class:`~core.errors.ValidationError` (with every violation) when a
        record breaks the contract and ``skip_bad`` is false,
        :class:`~core.errors.BadInputError` when the file is not JSON of the
        contract's shape. The warehouse is unchanged on error.
        """
        return ingest.ingest_file(self.db, path, name=name, table=table, skip_bad=skip_bad,
                                  account=account if account is not None else self._account)

    def ingest_records(self, table: str, records: list[dict[str, Any]], *, name: str = "records",
                       skip_bad: bool = False, account: str | None = None) -> IngestReport:
        """Ingest records given in memory (importers, tests) through the same checks."""
        return ingest.ingest_records(self.db, table, records, name=name, skip_bad=skip_bad,
                                     account=account if account is not None else self._account)

    def ingest_history(self) -> "pd.DataFrame":
        return tables.ingest_history(self.db, self.account)

    def reset(self) -> None:
        """Empty the workspace: with a client chosen, that client's rows and state; else everything."""
        with self.db.lock, self.db.cursor() as cur:
            state_names = self.state_tables()
            cur.execute("BEGIN TRANSACTION")
            try:
                if self._account is not None:
                    clients.delete_rows(cur, self._account, state_names)
                    written = [self._account]
                else:
                    for t in (*schema.TABLE_NAMES, "ingest_log", "clients"):
                        cur.execute(f"DELETE FROM {t}")
                    for t in state_names:
                        cur.execute(f"DROP TABLE IF EXISTS {t}")
                    cur.execute("DELETE FROM meta WHERE contains(key, ':')")
                    written = [schema.DEFAULT_ACCOUNT]
                clients.bump(cur, "data_version", written)
                clients.bump(cur, "state_version", written)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    # ---- contract tables as frames

    def campaigns(self, filters: Filters | None = None) -> "pd.DataFrame":
        """Campaign-days with the audience flattened and a readable ``audience_label``."""
        return tables.campaigns(self.db, filters, self.account)

    def posts(self, filters: Filters | None = None) -> "pd.DataFrame":
        """Posts with ``local_time``: the wall-clock time in the offset they were published in."""
        return tables.posts(self.db, filters, self.account)

    def comments(self, filters: Filters | None = None) -> "pd.DataFrame":
        return tables.comments(self.db, filters, self.account)

    def customers(self) -> "pd.DataFrame":
        return tables.customers(self.db, self.account)

    def date_range(self) -> tuple[date | None, date | None]:
        return tables.date_range(self.db, self.account)

    def distinct(self, column: str) -> list[str]:
        """Distinct values of a campaigns column (platform, objective, ad_type, ...)."""
        return tables.distinct(self.db, column, self.account)

    # ---- overview aggregates (the hot queries)

    def totals(self, filters: Filters | None = None) -> dict[str, float]:
        return aggregates.totals(self.db, filters, self.account)

    def trend(self, filters: Filters | None = None, grain: str = "day", by: str | None = "platform") -> "pd.DataFrame":
        return aggregates.trend(self.db, filters, grain, by, self.account)

    def breakdown(self, filters: Filters | None = None, by: str = "platform") -> "pd.DataFrame":
        return aggregates.breakdown(self.db, filters, by, self.account)

    def shared_budgets(self) -> dict[str, str]:
        """Line items that share one budget (a Meta ad set split over placements): campaign_id -> budget key."""
        return exports.shared_budgets(self.db, self.account)

    # ---- capability state (small tables owned by one capability)

    def state_tables(self) -> list[str]:
        return state.state_tables(self.db)

    def save_state(self, table: str, frame: "pd.DataFrame", *, keys: Iterable[str] = (),
                   replace_all: bool = False) -> None:
        """Upsert ``frame`` into a state table as this client's (created from the frame's columns on first use)."""
        state.save_state(self.db, table, frame, account=self.account, keys=keys, replace_all=replace_all)

    def load_state(self, table: str, **equals: Any) -> "pd.DataFrame":
        """This client's rows of a state table whose columns equal the given values (empty if none yet)."""
        return state.load_state(self.db, table, account=self.account, **equals)

    def delete_state(self, table: str, **equals: Any) -> int:
        return state.delete_state(self.db, table, account=self.account, **equals)

    # ---- export

    def export_workspace(self) -> dict[str, list[dict[str, Any]]]:
        """This client's data as a contract workspace object (JSON-ready); ingest reads it back."""
        return workspace_export.export_workspace(self.db, self.account)
