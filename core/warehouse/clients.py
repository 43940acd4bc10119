"""Clients (accounts): the registry, per-client versions, and removing one client's rows.

Every contract row and every capability state row carries an ``account_id``. This
module keeps the ``clients`` table (id, display name, created) in step with the rows,
hands out per-client data and state versions, and migrates a workspace made before
clients existed (all of it becomes the default client's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from core import schema
from core.errors import AccountError
from core.warehouse import sql
from core.warehouse.connection import Connection

if TYPE_CHECKING:  # pandas stays off the ingest path (a clean ingest imports neither pandas nor numpy)
    import pandas as pd


def accounts(db: Connection) -> list[str]:
    """Every client id in the workspace, in order."""
    with db.cursor() as cur:
        return [r[0] for r in cur.execute("SELECT account_id FROM clients ORDER BY account_id").fetchall()]


def listing(db: Connection) -> pd.DataFrame:
    """The registry with each client's campaign-day count."""
    return db.df(
        "SELECT c.account_id, c.name, c.created_at, coalesce(n.rows, 0) AS campaign_days FROM clients c "
        "LEFT JOIN (SELECT account_id, count(*) AS rows FROM campaigns GROUP BY account_id) n "
        "USING (account_id) ORDER BY c.account_id")


def name_of(db: Connection, account: str) -> str:
    with db.cursor() as cur:
        row = cur.execute("SELECT name FROM clients WHERE account_id = $a", {"a": account}).fetchone()
    return row[0] if row else account


def add(db: Connection, account: str, name: str | None = None) -> str:
    """Register a new, empty client; returns its id."""
    account = schema.check_account_id(account)
    with db.lock, db.cursor() as cur:
        if _exists(cur, account):
            raise AccountError(f"A client {account!r} exists already.", "Client exists")
        cur.execute("BEGIN TRANSACTION")
        cur.execute("INSERT INTO clients VALUES ($a, $n, now())", {"a": account, "n": (name or account).strip()})
        bump(cur, "data_version", [account])
        bump(cur, "state_version", [account])
        cur.execute("COMMIT")
    return account


def rename(db: Connection, account: str, name: str) -> None:
    """Give a client a new display name (its id, which the rows carry, stays)."""
    if not name.strip():
        raise AccountError("A client needs a name.", "Client name")
    with db.lock, db.cursor() as cur:
        require(cur, account)
        cur.execute("UPDATE clients SET name = $n WHERE account_id = $a", {"a": account, "n": name.strip()})


def delete(db: Connection, account: str, state_tables: list[str]) -> dict[str, int]:
    """Delete a client: its rows in every table, its state, its ingest history and its entry."""
    with db.lock, db.cursor() as cur:
        require(cur, account)
        cur.execute("BEGIN TRANSACTION")
        try:
            removed = delete_rows(cur, account, state_tables)
            cur.execute("DELETE FROM clients WHERE account_id = $a", {"a": account})
            cur.execute("DELETE FROM meta WHERE key IN ($d, $s)",
                        {"d": f"data_version:{account}", "s": f"state_version:{account}"})
            cur.execute("UPDATE meta SET value = value + 1 WHERE key IN ('data_version', 'state_version')")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    return removed


def _exists(cur, account: str) -> bool:
    return bool(cur.execute("SELECT count(*) FROM clients WHERE account_id = $a", {"a": account}).fetchone()[0])


def require(cur, account: str) -> None:
    if not _exists(cur, account):
        raise AccountError(f"No client {account!r} in this workspace.", "Unknown client")


def delete_rows(cur, account: str, state_tables: Iterable[str]) -> dict[str, int]:
    """Delete one client's rows from the contract tables, the ingest log and every state table."""
    removed = {}
    for t in (*schema.TABLE_NAMES, "ingest_log", *state_tables):
        if t in state_tables and not has_account_column(cur, t):
            continue
        where = ("list_contains(string_split(account_id, ','), $a)" if t == "ingest_log" else "account_id = $a")
        removed[t] = int(cur.execute(f"SELECT count(*) FROM {t} WHERE {where}", {"a": account}).fetchone()[0])
        cur.execute(f"DELETE FROM {t} WHERE {where}", {"a": account})
    return removed


def register(cur, relation: str | None, account: str | None) -> list[str]:
    """Add the clients of freshly written rows (``relation``, or the chosen ``account``) to the registry."""
    if account is not None:
        ids = [account]
    else:
        ids = [r[0] for r in cur.execute(f"SELECT DISTINCT account_id FROM {relation} ORDER BY 1").fetchall()]
    for a in ids:
        cur.execute("INSERT INTO clients VALUES ($a, $a, now()) ON CONFLICT DO NOTHING", {"a": a})
    return ids


def bump(cur, kind: str, accounts: Iterable[str]) -> None:
    """Bump the global ``kind`` version once per client written, and give each client its new number."""
    for a in accounts:
        cur.execute("UPDATE meta SET value = value + 1 WHERE key = $k", {"k": kind})
        cur.execute("INSERT INTO meta SELECT $ak, value FROM meta WHERE key = $k "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", {"k": kind, "ak": f"{kind}:{a}"})


def has_account_column(cur, table: str) -> bool:
    return bool(cur.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = $t AND column_name = 'account_id' "
        "AND schema_name = 'main' AND database_name = current_database()", {"t": table}).fetchone()[0])


def ensure_account_column(cur, table: str) -> None:
    """State saved before clients existed belongs to the default client."""
    if not has_account_column(cur, table):
        cur.execute(f"ALTER TABLE {table} ADD COLUMN account_id VARCHAR DEFAULT {sql.literal(schema.DEFAULT_ACCOUNT)}")


def needs_migration(db: Connection) -> bool:
    """A workspace made before clients: it has a meta table but no clients table."""
    with db.cursor() as cur:
        names = {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")
                 .fetchall()}
    return "meta" in names and "clients" not in names


def migrate(db: Connection, state_tables: list[str]) -> None:
    """Every row and state row of a pre-clients workspace becomes the default client's."""
    with db.lock, db.cursor() as cur:
        for t in schema.TABLE_NAMES:
            cur.execute(f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS account_id VARCHAR "
                        f"DEFAULT {sql.literal(schema.DEFAULT_ACCOUNT)}")
        for t in state_tables:
            ensure_account_column(cur, t)
        union = " UNION ".join(f"SELECT DISTINCT account_id FROM {t}" for t in schema.TABLE_NAMES)
        cur.execute(f"INSERT INTO clients SELECT account_id, account_id, now() FROM ({union}) "
                    "ON CONFLICT DO NOTHING")
