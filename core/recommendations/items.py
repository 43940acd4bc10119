"""Line-item kinds: keys, the daily panel, and one row per kind with its history and recent share."""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from core.schema import audience_label, fill_unknown_audience

METRICS = ("leads", "conversions", "revenue")
KIND_COLUMNS = ("platform", "ad_type", "bidding_strategy", "age_min", "age_max", "gender", "interests", "location")

def kind_key(platform: str, ad_type: str, bidding: str, age_min: int, age_max: int, gender: str,
             interests: Iterable[str], location: str) -> str:
    """A stable id for one line-item kind."""
    return f"{platform}|{ad_type}|{bidding}|{audience_label(age_min, age_max, gender, location, interests)}"


def _with_keys(campaigns: pd.DataFrame) -> pd.DataFrame:
    df = campaigns.copy()
    df["interests"] = df["interests"].map(lambda v: tuple(sorted(v)) if v is not None else ())
    if "audience" not in df:
        df["audience"] = [audience_label(*a) for a in zip(df["age_min"], df["age_max"], df["gender"],
                                                          df["location"], df["interests"])]
    df = fill_unknown_audience(df)  # after the label: an export without an audience stays "unknown audience"
    df["key"] = df["platform"] + "|" + df["ad_type"] + "|" + df["bidding_strategy"] + "|" + df["audience"]
    df["date"] = pd.to_datetime(df["date"]).dt.normalize()
    return df


def daily_panel(campaigns: pd.DataFrame) -> pd.DataFrame:
    """One row per line-item kind and day: summed spend and outcomes."""
    df = _with_keys(campaigns)
    return (df.groupby(["key", "date"], sort=True)[["spend", *METRICS]].sum().reset_index())


def line_items(campaigns: pd.DataFrame, *, recent_days: int = 90) -> pd.DataFrame:
    """One row per line-item kind: its targeting, history and its recent share of spend."""
    df = _with_keys(campaigns)
    end = df["date"].max()
    recent = df[df["date"] > end - pd.Timedelta(days=recent_days)]
    first = df.drop_duplicates("key").set_index("key")
    g = df.groupby("key")
    daily = df.groupby(["key", "date"])["spend"].sum()
    out = pd.DataFrame({
        "platform": first["platform"], "ad_type": first["ad_type"], "bidding_strategy": first["bidding_strategy"],
        "age_min": first["age_min"].astype(int), "age_max": first["age_max"].astype(int),
        "gender": first["gender"], "interests": first["interests"], "location": first["location"],
        "audience": first["audience"], "objective": first.get("objective"),
        "days": g["date"].nunique(), "spend": g["spend"].sum(),
        **{m: g[m].sum() for m in METRICS},
        "first_date": g["date"].min(), "last_date": g["date"].max(),
        "max_daily_spend": daily.groupby(level=0).quantile(0.95),
    })
    rs = recent.groupby("key")["spend"].sum()
    out["recent_spend"] = rs.reindex(out.index).fillna(0.0)
    total_recent = out["recent_spend"].sum()
    out["recent_share"] = out["recent_spend"] / total_recent if total_recent > 0 else 0.0
    days_recent = max(1, (recent["date"].max() - recent["date"].min()).days + 1) if len(recent) else 1
    out["current_daily_spend"] = out["recent_spend"] / days_recent
    for m in METRICS:
        out[f"recent_{m}"] = recent.groupby("key")[m].sum().reindex(out.index).fillna(0.0)
    out.index.name = "key"
    return out.reset_index()

