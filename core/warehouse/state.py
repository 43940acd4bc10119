"""The capability state store: small tables each capability owns (acks, scores, experiments).

Capabilities keep their state through these three calls and never write SQL; names
are checked against a strict pattern because a table or column name cannot be bound
as a parameter. Every state row belongs to one client (an ``account_id`` column the
store adds and strips): a capability reads and replaces only its client's rows.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from core import schema
from core.warehouse import clients
from core.warehouse.connection import Connection
from core.warehouse.sql import SYSTEM_TABLES

if TYPE_CHECKING:
    import pandas as pd

IDENT = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def check_state_name(table: str) -> None:
    """Refuse a name that is not an identifier or that belongs to the contract or the system."""
    if not IDENT.match(table) or table in schema.TABLES or table in SYSTEM_TABLES:
        raise ValueError(f"not a state table name: {table!r}")


def check_columns(frame: pd.DataFrame) -> None:
    for k in list(frame.columns):
        if not IDENT.match(str(k)):
            raise ValueError(f"bad column name {k!r}")


def state_tables(db: Connection) -> list[str]:
    with db.cursor() as cur:
        rows = cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main'").fetchall()
    reserved = set(schema.TABLES) | set(SYSTEM_TABLES)
    return sorted(r[0] for r in rows if r[0] not in reserved and not r[0].startswith("__"))


def save_state(db: Connection, table: str, frame: pd.DataFrame, *, account: str, keys: Iterable[str] = (),
               replace_all: bool = False) -> None:
    """Upsert ``frame`` into a state table (created from the frame's columns on first use) as ``account``'s.

    ``replace_all`` and ``keys`` replace only that client's rows.
    """
    check_state_name(table)
    keys = [*keys, "account_id"]
    check_columns(frame)
    frame = frame.assign(account_id=account)
    with db.lock, db.cursor() as cur:
        cur.register("__frame", frame)
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM __frame WHERE false")
            clients.ensure_account_column(cur, table)
            if replace_all:
                cur.execute(f"DELETE FROM {table} WHERE account_id = $a", {"a": account})
            elif len(keys) > 1:
                match = " AND ".join(f"{table}.{k} IS NOT DISTINCT FROM f.{k}" for k in keys)
                cur.execute(f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM __frame f WHERE {match})")
            cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM __frame")
            clients.bump(cur, "state_version", [account])
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.unregister("__frame")


def equals_clause(equals: dict[str, Any]) -> str:
    """``a = $a AND b = $b`` over the given columns (TRUE for none); values stay bound."""
    clauses = [f"{k} = ${k}" for k in equals if IDENT.match(k)]
    return " AND ".join(clauses) or "TRUE"


def _within(db: Connection, table: str, equals: dict[str, Any], account: str) -> tuple[str, dict[str, Any]]:
    """The clause and parameters of a read or delete: the given equalities, within one client."""
    with db.lock, db.cursor() as cur:
        clients.ensure_account_column(cur, table)
    params = {**{k: v for k, v in equals.items() if k != "account_id"}, "account_id": account}
    return equals_clause(params), params


def load_state(db: Connection, table: str, *, account: str, **equals: Any) -> pd.DataFrame:
    """One client's rows of a state table whose columns equal the given values (empty if none yet)."""
    check_state_name(table)
    if table not in state_tables(db):
        import pandas as pd

        return pd.DataFrame()
    clause, params = _within(db, table, equals, account)
    return db.df(f"SELECT * EXCLUDE (account_id) FROM {table} WHERE {clause}", params)


def delete_state(db: Connection, table: str, *, account: str, **equals: Any) -> int:
    check_state_name(table)
    if table not in state_tables(db):
        return 0
    clause, params = _within(db, table, equals, account)
    with db.lock, db.cursor() as cur:
        n = cur.execute(f"SELECT count(*) FROM {table} WHERE {clause}", params).fetchone()[0]
        cur.execute(f"DELETE FROM {table} WHERE {clause}", params)
        clients.bump(cur, "state_version", [account])
    return int(n)
