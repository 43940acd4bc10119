"""The contract tables read back as DataFrames, in the shapes the capabilities use."""

from __future__ import annotations

from datetime import date

import pandas as pd

from core import schema
from core.warehouse.connection import Connection
from core.warehouse.filters import Filters, where

# The campaigns columns a caller may list distinct values of.
DISTINCT_COLUMNS = {"platform", "objective", "ad_type", "bidding_strategy", "campaign_id"}


def campaigns(db: Connection, filters: Filters | None = None) -> pd.DataFrame:
    """Campaign-days with the audience flattened and a readable ``audience_label``."""
    clause, params = where(filters, "date")
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


def posts(db: Connection, filters: Filters | None = None) -> pd.DataFrame:
    """Posts with ``local_time``: the wall-clock time in the offset they were published in."""
    clause, params = where(filters, "published_at", objectives=False)
    return db.df(
        "SELECT post_id, platform, published_at, utc_offset_minutes, "
        "CAST(timezone('UTC', published_at) AS TIMESTAMP) + to_minutes(CAST(utc_offset_minutes AS BIGINT)) "
        "AS local_time, text, media_type, impressions, likes, comments, shares, clicks "
        f"FROM posts WHERE {clause} ORDER BY published_at", params)


def comments(db: Connection, filters: Filters | None = None) -> pd.DataFrame:
    clause, params = where(filters, "created_at", objectives=False)
    return db.df(f"SELECT * FROM comments WHERE {clause} ORDER BY created_at", params)


def customers(db: Connection) -> pd.DataFrame:
    return db.df("SELECT * FROM customers ORDER BY customer_id")


def date_range(db: Connection) -> tuple[date | None, date | None]:
    with db.cursor() as cur:
        lo, hi = cur.execute("SELECT min(date), max(date) FROM campaigns").fetchone()
    return lo, hi


def distinct(db: Connection, column: str) -> list[str]:
    """Distinct values of a campaigns column (platform, objective, ad_type, ...)."""
    if column not in DISTINCT_COLUMNS:
        raise ValueError(column)
    with db.cursor() as cur:
        rows = cur.execute(f"SELECT DISTINCT {column} FROM campaigns ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def counts(db: Connection) -> dict[str, int]:
    with db.cursor() as cur:
        return {t: int(cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in schema.TABLE_NAMES}


def ingest_history(db: Connection) -> pd.DataFrame:
    return db.df("SELECT * FROM ingest_log ORDER BY ingest_id DESC, table_name")
