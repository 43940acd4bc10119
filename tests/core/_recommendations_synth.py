"""A small synthetic advertiser with known response curves, for the recommendations tests.

Each line item's true daily leads are ``season * r * b * (1 - exp(-spend / b))``; its
budget changes every few weeks so the history shows several spend levels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.schema import campaign_records

PLATFORMS = {"google": [("search", "target_cpa"), ("display", "maximize_clicks"), ("video", "manual_cpc")],
             "facebook": [("lead_form", "lowest_cost"), ("image", "cost_cap"), ("carousel", "lowest_cost")],
             "instagram": [("story", "lowest_cost"), ("image", "lowest_cost")],
             "linkedin": [("lead_form", "manual_cpc")]}
AUDIENCES = [(25, 44, "all", ("dental",), "US"), (35, 54, "female", ("dental",), "US-TX"),
             (18, 34, "all", ("fitness",), "US"), (45, 64, "male", (), "US-TX"), (25, 54, "female", ("beauty",), "US")]


def make_history(seed: int = 1, n_items: int = 16, days: int = 730, start: str = "2024-01-01") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(campaign-day frame in the Warehouse.campaigns() shape, truth frame with key, r, b)."""
    rng = np.random.default_rng(seed)
    kinds = [(p, a, bid) for p, lst in PLATFORMS.items() for a, bid in lst]
    p_eff = {p: rng.normal(0, 0.35) for p in PLATFORMS}
    a_eff = {i: rng.normal(0, 0.35) for i in range(len(AUDIENCES))}
    rows, truth, seen = [], [], set()
    dates = pd.date_range(start, periods=days, freq="D")
    dow = np.array([1.1, 1.1, 1.05, 1.0, 0.95, 0.85, 0.8])[dates.dayofweek]
    yearly = 1 + 0.15 * np.sin(2 * np.pi * (dates.dayofyear.to_numpy() - 60) / 365.25)
    season = dow * yearly
    while len(truth) < n_items:
        k = kinds[rng.integers(len(kinds))]
        ai = int(rng.integers(len(AUDIENCES)))
        if (k, ai) in seen:
            continue
        seen.add((k, ai))
        r = float(np.exp(np.log(0.06) + p_eff[k[0]] + a_eff[ai] + rng.normal(0, 0.3)))
        b = float(np.exp(rng.normal(np.log(60), 0.5)))
        age_min, age_max, gender, interests, location = AUDIENCES[ai]
        cid = f"c{len(truth):03d}"
        budget = np.empty(days)
        level = b * rng.uniform(0.3, 2.0)
        i = 0
        while i < days:
            span = int(rng.integers(20, 70))
            budget[i:i + span] = level
            level = float(np.clip(level * rng.lognormal(0, 0.45), b * 0.1, b * 4))
            i += span
        spend = budget * rng.uniform(0.85, 1.0, days)
        mu = season * r * b * -np.expm1(-spend / b)
        leads = rng.poisson(mu)
        conv = rng.binomial(leads, 0.2)
        revenue = conv * rng.lognormal(np.log(250), 0.3, days)
        truth.append({"campaign_id": cid, "platform": k[0], "ad_type": k[1], "bidding_strategy": k[2],
                      "age_min": age_min, "age_max": age_max, "gender": gender, "interests": interests,
                      "location": location, "r": r, "b": b})
        rows.append(pd.DataFrame({
            "date": dates, "platform": k[0], "campaign_id": cid, "campaign_name": f"{k[0]} {k[1]} {cid}",
            "objective": "leads", "ad_type": k[1], "bidding_strategy": k[2], "age_min": age_min,
            "age_max": age_max, "gender": gender, "interests": [interests] * days, "location": location,
            "daily_budget": budget.round(2), "spend": spend.round(2), "impressions": (spend * 80).astype(int),
            "clicks": (spend * 2).astype(int), "leads": leads, "conversions": conv, "revenue": revenue.round(2),
            "currency": "USD"}))
    return pd.concat(rows, ignore_index=True), pd.DataFrame(truth)


def to_records(frame: pd.DataFrame) -> list[dict]:
    """Contract records (audience nested) for ``Warehouse.ingest_records``."""
    return campaign_records(frame)
