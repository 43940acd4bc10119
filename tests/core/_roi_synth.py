"""A small synthetic advertiser whose ROI has known drivers, for the ROI tests.

Each line item's expected daily revenue is ``season(month) * r * b * (1 - exp(-spend / b))``
(the recommendation engine's curve family): ``r`` (revenue per first dollar) is the product
of platform, ad type, bidding and audience effects, so ROI depends on the targeting, falls as
the budget level rises (saturation) and moves with the season. Revenue arrives as orders of
about $80. Budgets change every few weeks so each item runs at several spend levels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.schema import campaign_records

KINDS = [("google", "search", "target_cpa"), ("google", "display", "maximize_clicks"),
         ("google", "shopping", "target_roas"), ("facebook", "image", "lowest_cost"),
         ("facebook", "carousel", "cost_cap"), ("instagram", "story", "lowest_cost"),
         ("linkedin", "lead_form", "manual_cpc")]
AUDIENCES = [(25, 44, "all", ("dental",), "US"), (35, 54, "female", ("beauty",), "US-TX"),
             (18, 34, "all", ("fitness",), "US"), (45, 64, "male", (), "US-CA")]
EFFECTS = {"google": 0.25, "facebook": 0.0, "instagram": -0.1, "linkedin": -0.45,
           "search": 0.3, "display": -0.35, "shopping": 0.2, "image": 0.0, "carousel": 0.15, "story": -0.1,
           "lead_form": 0.0}
AUDIENCE_EFFECTS = [0.2, 0.1, -0.25, -0.1]
SEASON = 1 + 0.25 * np.sin(2 * np.pi * (np.arange(12) - 2) / 12)     # peaks in June


def make_campaigns(seed: int = 0, n_items: int = 24, days: int = 730, start: str = "2024-01-01"
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(campaign-days in the ``Warehouse.campaigns()`` shape, truth frame: campaign_id, r, b)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    season = SEASON[dates.month - 1]
    frames, truth = [], []
    combos = [(k, a) for k in range(len(KINDS)) for a in range(len(AUDIENCES))]
    pick = rng.choice(len(combos), size=min(n_items, len(combos)), replace=False)
    for i, ci in enumerate(pick):
        ki, ai = combos[ci]
        platform, ad_type, bidding = KINDS[ki]
        age_min, age_max, gender, interests, location = AUDIENCES[ai]
        r = float(np.exp(np.log(2.2) + EFFECTS[platform] + EFFECTS[ad_type] + AUDIENCE_EFFECTS[ai]
                         + rng.normal(0, 0.1)))
        b = float(np.exp(rng.normal(np.log(80), 0.3)))
        budget = np.empty(days)
        level = b * rng.uniform(0.3, 2.5)
        j = 0
        while j < days:
            span = int(rng.integers(20, 70))
            budget[j:j + span] = level
            level = float(np.clip(level * rng.lognormal(0, 0.5), b * 0.2, b * 3.5))
            j += span
        spend = budget * rng.uniform(0.85, 1.0, days)
        mu = season * r * b * -np.expm1(-spend / b)
        orders = rng.poisson(mu / 80.0)
        revenue = orders * 80.0 * rng.lognormal(-0.02, 0.2, days)
        clicks = rng.poisson(spend / 1.5)
        cid = f"{platform[:2]}-{ad_type}-{i:02d}"
        label = f"{ {'female': 'women', 'male': 'men'}.get(gender, 'all') } {age_min}-{age_max} {location}"
        truth.append({"campaign_id": cid, "r": r, "b": b, "platform": platform, "ad_type": ad_type})
        frames.append(pd.DataFrame({
            "date": dates, "platform": platform, "campaign_id": cid, "campaign_name": f"{platform} {ad_type} {i}",
            "objective": "sales", "ad_type": ad_type, "bidding_strategy": bidding, "age_min": age_min,
            "age_max": age_max, "gender": gender, "interests": [interests] * days, "location": location,
            "audience": label + (f" [{', '.join(interests)}]" if interests else ""),
            "daily_budget": budget.round(2), "spend": spend.round(2), "impressions": clicks * 40,
            "clicks": clicks, "leads": rng.binomial(clicks, 0.05), "conversions": orders,
            "revenue": revenue.round(2), "currency": "USD"}))
    return pd.concat(frames, ignore_index=True), pd.DataFrame(truth)


def to_records(frame: pd.DataFrame) -> list[dict]:
    """Contract records (audience nested) for ``Warehouse.ingest_records``."""
    return campaign_records(frame)
