"""The contract tables read back as DataFrames, in the shapes the capabilities use.

pandas is imported inside the functions that build frames, here and across the package:
``python -m core ingest`` never builds one, and importing pandas would double its start-up.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from core import schema
from core.warehouse.connection import Connection
from core.warehouse.filters import Filters, where

if TYPE_CHECKING:
    import pandas as pd

# The campaigns columns a caller may list distinct values of.
DISTINCT_COLUMNS = {"platform", "objective", "ad_type", "bidding_strategy", "campaign_id"}


def campaigns(db: Connection, filters: Filters | None = None, account: str | None = None) -> pd.DataFrame:
    """Campaign-days with the audience flattened and a readable ``audience_label``."""
    import pandas as pd

    clause, params = where(filters, "date", account=account)
    df = db.df(
        "SELECT date, platform, campaign_id, campaign_name, objective, ad_type, bidding_strategy, "
        "audience.age_min AS age_min, audience.age_max AS age_max, audience.gender AS gender, "
        "audience.interests AS interests, audience.location AS location, daily_budget, spend, "
        "impressions, clicks, leads, conversions, revenue, coalesce(currency, 'USD') AS currency "
        f"FROM campaigns WHERE {clause} ORDER BY campaign_id, date", params)
    df["date"] = pd.to_datetime(df["date"])
    # An export that carries no audience (Google) stores it as unknown (NULL): no interests known.
    df["interests"] = df["interests"].map(lambda v: tuple(v) if isinstance(v, (list, tuple)) or hasattr(v, "tolist")
                                          else ())
    df["audience"] = [schema.audience_label(*a) for a in zip(
        df["age_min"], df["age_max"], df["gender"], df["location"], df["interests"])]
    return df


def posts(db: Connection, filters: Filters | None = None, account: str | None = None) -> pd.DataFrame:
    """Posts with ``local_time``: the wall-clock time in the offset they were published in."""
    clause, params = where(filters, "published_at", objectives=False, account=account)
    return db.df(
        "SELECT post_id, platform, published_at, utc_offset_minutes, "
        "CAST(timezone('UTC', published_at) AS TIMESTAMP) + to_minutes(CAST(utc_offset_minutes AS BIGINT)) "
        "AS local_time, text, media_type, impressions, likes, comments, shares, clicks "
        f"FROM posts WHERE {clause} ORDER BY published_at", params)


def comments(db: Connection, filters: Filters | None = None, account: str | None = None) -> pd.DataFrame:
    # The client is implied by the view: the frames keep the columns they had before clients.
    clause, params = where(filters, "created_at", objectives=False, account=account)
    return db.df(f"SELECT * EXCLUDE (account_id) FROM comments WHERE {clause} ORDER BY created_at", params)


def customers(db: Connection, account: str) -> pd.DataFrame:
    return db.df("SELECT * EXCLUDE (account_id) FROM customers WHERE account_id = $a ORDER BY customer_id",
                 {"a": account})


def date_range(db: Connection, account: str) -> tuple[date | None, date | None]:
    with db.cursor() as cur:
        lo, hi = cur.execute("SELECT min(date), max(date) FROM campaigns WHERE account_id = $a",
                             {"a": account}).fetchone()
    return lo, hi


def distinct(db: Connection, column: str, account: str) -> list[str]:
    """Distinct values of a campaigns column (platform, objective, ad_type, ...)."""
    if column not in DISTINCT_COLUMNS:
        raise ValueError(column)
    with db.cursor() as cur:
        rows = cur.execute(f"SELECT DISTINCT {column} FROM campaigns WHERE account_id = $a ORDER BY 1",
                           {"a": account}).fetchall()
    return [r[0] for r in rows]


def counts(db: Connection, account: str | None) -> dict[str, int]:
    """Rows per contract table (of one client, or of the whole workspace for None)."""
    clause = "TRUE" if account is None else "account_id = $a"
    params = {} if account is None else {"a": account}
    with db.cursor() as cur:
        return {t: int(cur.execute(f"SELECT count(*) FROM {t} WHERE {clause}", params).fetchone()[0])
                for t in schema.TABLE_NAMES}


def ingest_history(db: Connection, account: str) -> pd.DataFrame:
    """One client's ingests, newest first (a file of several clients counts for each)."""
    return db.df("SELECT * EXCLUDE (account_id) FROM ingest_log WHERE list_contains(string_split(account_id, ','), $a) "
                 "ORDER BY ingest_id DESC, table_name", {"a": account})
