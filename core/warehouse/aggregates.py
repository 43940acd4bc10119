"""The overview's aggregates over campaign-days: totals, trends and breakdowns (the hot queries)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.warehouse.connection import Connection
from core.warehouse.filters import Filters, where

if TYPE_CHECKING:
    import pandas as pd

SUMS = ("sum(spend) AS spend, sum(impressions) AS impressions, sum(clicks) AS clicks, "
        "sum(leads) AS leads, sum(conversions) AS conversions, sum(revenue) AS revenue")

BREAKDOWNS = {
    "platform": ["platform"],
    "ad_type": ["ad_type"],
    "bidding_strategy": ["bidding_strategy"],
    "campaign": ["campaign_id", "campaign_name", "platform"],
    "objective": ["objective"],
}
TREND_GRAINS = ("day", "week", "month")
TREND_BY = ("platform", "objective", "ad_type", "bidding_strategy", "campaign_id")


def totals(db: Connection, filters: Filters | None = None, account: str | None = None) -> dict[str, float]:
    clause, params = where(filters, "date", account=account)
    import pandas as pd

    df = db.df(f"SELECT {SUMS}, count(*) AS rows FROM campaigns WHERE {clause}", params)
    return {k: (0.0 if pd.isna(v) else float(v)) for k, v in df.iloc[0].items()}


def trend(db: Connection, filters: Filters | None = None, grain: str = "day",
          by: str | None = "platform", account: str | None = None) -> pd.DataFrame:
    if grain not in TREND_GRAINS:
        raise ValueError(grain)
    clause, params = where(filters, "date", account=account)
    group = f"date_trunc('{grain}', date)"
    by_sql = f", {by}" if by else ""
    if by and by not in TREND_BY:
        raise ValueError(by)
    df = db.df(
        f"SELECT CAST({group} AS DATE) AS period{by_sql}, {SUMS} FROM campaigns WHERE {clause} "
        f"GROUP BY ALL ORDER BY ALL", params)
    import pandas as pd

    df["period"] = pd.to_datetime(df["period"])
    return df


def breakdown(db: Connection, filters: Filters | None = None, by: str = "platform",
              account: str | None = None) -> pd.DataFrame:
    cols = BREAKDOWNS.get(by)
    if cols is None:
        raise ValueError(by)
    clause, params = where(filters, "date", account=account)
    if by == "campaign":
        select = "campaign_id, any_value(campaign_name) AS campaign_name, any_value(platform) AS platform"
        group = "GROUP BY campaign_id"
    else:
        select, group = cols[0], f"GROUP BY {cols[0]}"
    return db.df(f"SELECT {select}, {SUMS} FROM campaigns WHERE {clause} {group} ORDER BY spend DESC", params)
