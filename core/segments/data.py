"""Customer bases in the contract shape: a generated one for examples and benchmarks, and readers of
two public data sets (Kaggle's Customer Personality Analysis and the CDNOW purchase log)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def synthetic_customers(n: int, *, groups: int = 4, random_state: int = 0,
                        as_of: str = "2025-06-30") -> tuple[pd.DataFrame, np.ndarray]:
    """Contract-shaped customers drawn from ``groups`` well-separated RFM groups, with the truth.

    The groups differ in recency, orders and spend (the engagement counts follow
    the group loosely, age and channel are noise). Used by tests and the benchmark.
    """
    rng = np.random.default_rng(random_state)
    # (recency days, orders, spend per order, engagement level)
    centres = [(10, 20, 120.0, 30), (300, 2, 40.0, 1), (20, 1, 15.0, 12), (200, 8, 400.0, 4),
               (60, 5, 60.0, 60), (400, 12, 30.0, 2)][:groups]
    truth = rng.integers(0, groups, size=n)
    rec_c, ord_c, aov_c, eng_c = (np.array([c[i] for c in centres], dtype=float) for i in range(4))
    recency = np.clip(rec_c[truth] * np.exp(rng.normal(0, 0.15, n)), 0, None).round()
    orders = np.maximum(1, np.round(ord_c[truth] * np.exp(rng.normal(0, 0.15, n))))
    spend = np.round(orders * aov_c[truth] * np.exp(rng.normal(0, 0.15, n)), 2)
    eng = eng_c[truth]
    end = pd.Timestamp(as_of)
    last = end - pd.to_timedelta(recency, unit="D")
    first = last - pd.to_timedelta(rng.integers(30, 900, n), unit="D")
    frame = pd.DataFrame({
        "customer_id": [f"c{random_state}-{i:07d}" for i in range(n)],
        "age": rng.integers(18, 80, n),
        "gender": rng.choice(["female", "male"], n),
        "location": rng.choice(["US", "GB", "DE"], n),
        "first_seen": first.strftime("%Y-%m-%d"),
        "last_purchase": last.strftime("%Y-%m-%d"),
        "orders": orders.astype(int),
        "total_spent": spend,
        "sessions_90d": rng.poisson(eng * 1.0),
        "email_opens_90d": rng.poisson(eng * 0.6),
        "email_clicks_90d": rng.poisson(eng * 0.2),
        "social_engagements_90d": rng.poisson(eng * 0.3),
        "channel": rng.choice(["google", "facebook", "email", "organic"], n),
    })
    return frame, truth


def customers_from_personality(frame: pd.DataFrame) -> pd.DataFrame:
    """The Kaggle "Customer Personality Analysis" table in the contract ``customers`` shape.

    ``orders`` = web + catalogue + store purchases; ``total_spent`` = the six
    ``Mnt*`` columns; ``last_purchase`` = the latest enrolment date minus
    ``Recency`` days; ``sessions_90d`` = 3 x monthly web visits; ``email_clicks_90d``
    = campaign offers accepted; ``channel`` = where most purchases happened.
    """
    f = frame.rename(columns=lambda c: str(c).strip().lstrip("\ufeff"))
    enrolled = pd.to_datetime(f["Dt_Customer"], errors="coerce", dayfirst=False)
    ref = enrolled.max()
    age = ref.year - pd.to_numeric(f["Year_Birth"], errors="coerce")
    mnt = [c for c in f.columns if c.startswith("Mnt")]
    buys = {"web": "NumWebPurchases", "catalog": "NumCatalogPurchases", "store": "NumStorePurchases"}
    per_channel = f[list(buys.values())].apply(pd.to_numeric, errors="coerce").fillna(0)
    accepted = [c for c in f.columns if c.startswith("AcceptedCmp")] + ["Response"]
    last = ref - pd.to_timedelta(pd.to_numeric(f["Recency"], errors="coerce"), unit="D")
    channel = per_channel.idxmax(axis=1).map({v: k for k, v in buys.items()})
    return pd.DataFrame({
        "customer_id": f["ID"].astype(str),
        "age": age.where((age >= 16) & (age <= 100)).astype("Int64"),
        "first_seen": enrolled.dt.strftime("%Y-%m-%d"),
        "last_purchase": last.dt.strftime("%Y-%m-%d"),
        "orders": per_channel.sum(axis=1).astype(int),
        "total_spent": f[mnt].apply(pd.to_numeric, errors="coerce").fillna(0).sum(axis=1).astype(float),
        "sessions_90d": (pd.to_numeric(f["NumWebVisitsMonth"], errors="coerce").fillna(0) * 3).astype(int),
        "email_clicks_90d": f[accepted].apply(pd.to_numeric, errors="coerce").fillna(0).sum(axis=1).astype(int),
        "channel": channel.where(per_channel.sum(axis=1) > 0),
    })


def customers_from_cdnow(transactions: pd.DataFrame) -> pd.DataFrame:
    """CDNOW purchase records (customer_id, date YYYYMMDD, number_of_cds, dollar_value) per customer.

    ``orders`` counts distinct purchase days; ``total_spent`` sums the dollars.
    """
    t = transactions.copy()
    t["day"] = pd.to_datetime(t["date"].astype(str), format="%Y%m%d")
    g = t.groupby(t["customer_id"].astype(str).str.zfill(5))
    out = pd.DataFrame({
        "first_seen": g["day"].min().dt.strftime("%Y-%m-%d"),
        "last_purchase": g["day"].max().dt.strftime("%Y-%m-%d"),
        "orders": g["day"].nunique().astype(int),
        "total_spent": g["dollar_value"].sum().round(2),
    })
    return out.reset_index(names="customer_id")


def read_cdnow(path: Path) -> pd.DataFrame:
    """The whitespace-separated CDNOW_master.txt."""
    return pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
