"""A small synthetic advertiser for the monitoring tests (not the sample generator).

Leads, conversions and clicks are negative-binomial around a rate per dollar (per
impression) that drifts slowly, moves with the weekday (per platform), with a yearly
season and with US holidays (a common shock to every campaign); spend follows the
budget with weekday pacing. No incidents: every alert on this data is a false alarm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PLATFORMS = ("google", "facebook", "instagram", "linkedin", "bing")
_WD = {  # weekday multipliers of the lead rate per platform (Mon..Sun)
    "google": [1.05, 1.08, 1.06, 1.04, 0.98, 0.88, 0.91],
    "facebook": [0.95, 0.97, 0.98, 1.0, 1.02, 1.05, 1.03],
    "instagram": [0.93, 0.95, 0.97, 1.0, 1.04, 1.07, 1.04],
    "linkedin": [1.15, 1.2, 1.18, 1.12, 0.98, 0.6, 0.55],
    "bing": [1.04, 1.06, 1.05, 1.03, 0.98, 0.92, 0.92],
}


def synthetic_campaigns(n_campaigns: int = 20, n_days: int = 365, *, end: str = "2026-10-31",
                        random_state: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(random_state)
    dates = pd.date_range(end=pd.Timestamp(end), periods=n_days, freq="D")
    doy = dates.dayofyear.to_numpy()
    season = 1 + 0.2 * np.sin(2 * np.pi * (doy - 80) / 365.25)
    import holidays

    cal = holidays.country_holidays("US", years=range(dates[0].year, dates[-1].year + 1))
    hol = np.array([0.55 if d.date() in cal else 1.0 for d in dates])
    shock = np.exp(rng.normal(0, 0.05, n_days))  # day-to-day market noise shared by all
    rows = []
    for c in range(n_campaigns):
        plat = PLATFORMS[c % len(PLATFORMS)]
        wd = np.array(_WD[plat])[dates.weekday]
        budget0 = float(np.exp(rng.uniform(np.log(15), np.log(400))))
        budget = np.full(n_days, round(budget0, 0))
        change = int(rng.integers(min(30, n_days - 1), n_days))  # one budget change
        budget[change:] = round(budget0 * rng.uniform(0.7, 1.4), 0)
        pace = rng.uniform(0.75, 0.98)
        wd_spend = np.where(dates.weekday >= 5, rng.uniform(0.85, 1.0), 1.0)
        spend = np.minimum(budget * pace * wd_spend * np.exp(rng.normal(0, 0.08, n_days)), budget * 1.2)
        cpm = rng.uniform(4, 30)
        impressions = rng.poisson(spend / cpm * 1000 * np.exp(rng.normal(0, 0.05, n_days)))
        ctr = rng.uniform(0.004, 0.04)
        drift = np.exp(np.cumsum(rng.normal(0, 0.01, n_days)))
        mu_c = impressions * ctr * drift * np.exp(rng.normal(0, 0.08, n_days))
        clicks = np.minimum(rng.poisson(mu_c), impressions)
        cpl = rng.uniform(8, 60)
        zero_leads = c == n_campaigns - 1  # an awareness campaign: never a lead
        mu_l = spend / cpl * wd * season * hol * shock * drift
        a = 0.08
        leads = rng.poisson(rng.gamma(1 / a, a * mu_l)) if not zero_leads else np.zeros(n_days, int)
        conv = rng.binomial(leads, rng.uniform(0.1, 0.3))
        revenue = conv * rng.uniform(50, 200)
        for d in range(n_days):
            rows.append({"date": dates[d], "platform": plat, "campaign_id": f"c{c:02d}",
                         "campaign_name": f"{plat} campaign {c}",
                         "objective": "awareness" if zero_leads else "leads",
                         "ad_type": "search", "bidding_strategy": "manual_cpc",
                         "daily_budget": float(budget[d]), "spend": round(float(spend[d]), 2),
                         "impressions": int(impressions[d]), "clicks": int(clicks[d]), "leads": int(leads[d]),
                         "conversions": int(conv[d]), "revenue": round(float(revenue[d]), 2)})
    return pd.DataFrame(rows)


def to_records(frame: pd.DataFrame) -> list[dict]:
    """Contract campaign records (audience nested, dates as text) from a synthetic frame."""
    recs = []
    for r in frame.to_dict(orient="records"):
        recs.append({
            "date": pd.Timestamp(r["date"]).date().isoformat(), "platform": r["platform"],
            "campaign_id": r["campaign_id"], "campaign_name": r.get("campaign_name", r["campaign_id"]),
            "objective": r.get("objective", "leads"), "ad_type": r.get("ad_type", "search"),
            "bidding_strategy": r.get("bidding_strategy", "manual_cpc"),
            "audience": {"age_min": 25, "age_max": 54, "gender": "all", "interests": [], "location": "US"},
            "daily_budget": r["daily_budget"], "spend": r["spend"], "impressions": int(r["impressions"]),
            "clicks": int(r["clicks"]), "leads": int(r["leads"]), "conversions": int(r["conversions"]),
            "revenue": r["revenue"]})
    return recs
