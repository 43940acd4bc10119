"""A second held-out advertiser generator (session 5), made differently from bench/heldout.py (not a test).

Written by the lead as fresh held-out data; after its first run (main at fee754e: captured
share 0.35 leads / 0.43 sales on seeds 1-4, against 0.79 / 0.81 on bench/heldout.py) it
became TUNING data, so that plans are chosen on two differently made generators.
It differs from bench/heldout.py in every part:

* curve families: Weibull saturation 1 - exp(-u^k) (k 0.6-2.0, concave or S-shaped), a power
  law u^b (b 0.35-0.8, never saturates), Michaelis-Menten u / (1 + u), and a logistic with a
  threshold (nothing until the audience is warmed up);
* carry-over: a DELAYED adstock (gamma kernel over two weeks, peak after 0-5 days), not geometric;
* audience pools across Meta: a Facebook and an Instagram line item that target one audience
  draw on one pool (Meta's audience), other platforms pool per (platform, audience);
* budgets chase performance: every month the advertiser moves budget toward the line items
  whose last month's cost per lead was best (feedback from noise into spend), the total
  budget grows over the two years, and weekly budgets follow a demand index with two peaks
  (spring and the late-November sales);
* noise: Poisson-lognormal with a DAILY shock shared by all line items (weather, news), not
  independent negative binomial;
* some line items launch late or stop early; 20-36 line items, 600-760 days.

``make(seed)`` returns (campaign-days, truth) with the interface of bench/heldout.py's Truth:
``truth.keys``, ``truth.daily(x, metric)`` (expected outcome per day on an average day of the
demand index, steady state), ``truth.quality``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from heldout import Truth as PooledTruth  # noqa: E402
from heldout import best_allocation  # noqa: E402,F401  (the search for the best plan on the truth)
from heldout import campaign_days, line_items  # noqa: E402

from core.recommendations import kind_key  # noqa: E402

PLATFORM_TYPES = {"google": [("search", "target_roas"), ("search", "manual_cpc"), ("display", "target_cpa"),
                             ("shopping", "maximize_conversion_value"), ("video", "target_cpv")],
                  "facebook": [("lead_form", "cost_cap"), ("carousel", "lowest_cost"), ("video", "bid_cap")],
                  "instagram": [("story", "lowest_cost"), ("reel", "lowest_cost"), ("image", "cost_cap")],
                  "linkedin": [("lead_form", "maximize_delivery"), ("text", "manual_cpc")],
                  "bing": [("search", "target_cpa")],
                  "pinterest": [("image", "automatic"), ("video", "automatic")],
                  "snapchat": [("story", "auto_bid")]}
AUDIENCES = [(18, 29, "all", ("fashion",), "US"), (30, 49, "female", ("family",), "US-TX"),
             (25, 40, "male", ("fitness",), "US"), (50, 75, "all", ("travel",), "US-AZ"),
             (21, 45, "all", ("finance",), "US-IL"), (35, 60, "male", ("auto",), "US"),
             (28, 55, "female", ("beauty",), "US-NY")]
QUALITY = {"search": 0.6, "shopping": 0.4, "lead_form": -0.7, "carousel": -0.1, "display": -0.3, "video": -0.4,
           "story": -0.5, "reel": -0.4, "image": -0.2, "text": 0.2}
SHAPES = ("weibull", "power", "mm", "threshold")


def pool_curve(s, shape, scale, half, k):
    u = np.maximum(np.asarray(s, float), 0.0) / half
    if shape == "weibull":
        return scale * -np.expm1(-(u ** k))
    if shape == "power":
        return scale * 0.5 * u ** k
    if shape == "mm":
        return scale * u / (1.0 + u)
    # a logistic with a threshold at u = k, zero at zero spend
    f = lambda v: 1 / (1 + np.exp(-3.0 * (v - k)))  # noqa: E731
    return scale * np.maximum(f(u) - f(0.0), 0.0) / (1 - f(0.0))


class Truth(PooledTruth):
    """bench/heldout.py's pooled truth with this generator's curve families."""

    def curve(self, s, shape, scale, half, k):
        return pool_curve(s, shape, scale, half, k)


def _kernel(rng):
    a = rng.uniform(1.0, 3.5)            # gamma shape: 1 = no delay, larger = a later peak
    theta = rng.uniform(0.4, 2.0)
    lag = np.arange(14)
    w = (lag + 0.5) ** (a - 1) * np.exp(-(lag + 0.5) / theta)
    return w / w.sum()


def _pool_shape(rng, pool: tuple, p_eff: dict) -> tuple:
    """One audience pool's curve: (shape, scale, half, k)."""
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    half = float(np.exp(rng.normal(np.log(90), 0.55)))
    plat = pool[0] if pool[0] != "meta" else "facebook"
    cpl0 = float(np.exp(rng.normal(np.log(40), 0.3) - p_eff[plat]))
    k, slope = {"weibull": (float(rng.uniform(0.6, 2.0)), 0.6), "mm": (1.0, 0.3),
                "threshold": (float(rng.uniform(0.4, 1.0)), 0.7)}.get(shape, (None, None))
    if shape == "power":
        k = float(rng.uniform(0.35, 0.8))
        slope = 0.5 * k
    return shape, half / cpl0 / slope, half, k


def _truth(rng, combos: list) -> Truth:
    n_items = len(combos)
    pool_name = lambda p, ai: ("meta" if p in ("facebook", "instagram") else p, ai)  # noqa: E731
    pools = sorted({pool_name(k[0], ai) for k, ai in combos})
    pool_of = np.array([pools.index(pool_name(k[0], ai)) for k, ai in combos])
    p_eff = {p: rng.normal(0, 0.35) for p in PLATFORM_TYPES}
    shapes = [_pool_shape(rng, pool, p_eff) for pool in pools]
    weight = np.exp(rng.normal(0, 0.3, n_items))
    q_logit = np.array([-1.2 + QUALITY.get(k[1], 0.0) + (0.4 if k[0] in ("linkedin", "bing") else 0.0)
                        + (0.25 if AUDIENCES[ai][0] >= 30 else -0.1) for k, ai in combos]) + rng.normal(0, 0.35, n_items)
    quality = 1 / (1 + np.exp(-q_logit))
    value = np.exp(rng.normal(np.log(250), 0.4, n_items))
    keys = [kind_key(k[0], k[1], k[2], *AUDIENCES[ai][:3], AUDIENCES[ai][3], AUDIENCES[ai][4]) for k, ai in combos]
    return Truth(keys, pool_of, weight, shapes, quality, value)


def _season(rng, days: int) -> pd.Series:
    dates = pd.date_range(pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 120))), periods=days)
    doy = dates.dayofyear.to_numpy()
    season = (1 + 0.22 * np.exp(-((doy - 110) / 25.0) ** 2) + 0.35 * np.exp(-((doy - 331) / 8.0) ** 2)
              - 0.12 * np.exp(-((doy - 220) / 30.0) ** 2)) * np.array([1.0, 1.04, 1.06, 1.03, 0.97, 0.93, 0.97])[dates.dayofweek]
    return pd.Series(season / season.mean(), index=dates)


def _chase(level, spend, leads, rng, cap):
    """Last month's cost per lead moves this month's budgets (feedback from noise into spend)."""
    s_prev, l_prev = spend.sum(0), leads.sum(0)
    live = s_prev > 0
    cpl = np.where(live, s_prev / np.maximum(l_prev, 1), np.nan)
    med = np.nanmedian(cpl) if live.any() else 1.0
    tilt = np.where(live, (cpl / med) ** -0.35, 1.0)
    return np.clip(level * np.clip(tilt, 0.6, 1.6) * rng.lognormal(0, 0.2, len(level)), 2.0, cap)


def _simulate(rng, truth: Truth, season: pd.Series):
    """Daily spend and leads under performance-chasing, growing, demand-following budgets."""
    days, n_items = len(season), len(truth.keys)
    pool_of, shapes = truth.pool, truth.shapes
    follow = rng.uniform(0.0, 1.2)
    growth = np.exp(np.linspace(0, np.log(rng.uniform(1.0, 1.5)), days))
    start = np.where(rng.random(n_items) < 0.2, rng.integers(60, days // 2, n_items), 0)
    stop = np.where(rng.random(n_items) < 0.1, rng.integers(days // 2, days - 120, n_items), days)
    kernels = np.array([_kernel(rng) for _ in range(n_items)])
    half = np.array([shapes[pool_of[i]][2] for i in range(n_items)])
    level = half / np.bincount(pool_of)[pool_of] * rng.uniform(0.3, 2.2, n_items)
    spend, leads = np.zeros((days, n_items)), np.zeros((days, n_items), int)
    shock = rng.normal(0, 0.15, days)
    s = season.to_numpy()
    for t in range(days):
        if t % 30 == 0 and t >= 30:
            level = _chase(level, spend[t - 30:t], leads[t - 30:t], rng, half * 3)
        on = (t >= start) & (t < stop)
        spend[t] = np.where(on, level * growth[t] * s[t] ** follow * rng.uniform(0.9, 1.08, n_items), 0.0)
        window = spend[max(0, t - 13):t + 1][::-1]
        carried = np.einsum("li,il->i", window, kernels[:, :len(window)])
        mu = truth.leads(carried) * s[t] * np.exp(shock[t] - 0.15 ** 2 / 2) * rng.lognormal(-0.02, 0.2, n_items)
        leads[t] = rng.poisson(np.maximum(mu, 0.0))
    return spend, leads, s ** follow


def make(seed: int):
    """A held-out advertiser: (campaign-days, truth)."""
    rng = np.random.default_rng(500_000 + seed)
    days = int(rng.integers(600, 761))
    combos = line_items(rng, PLATFORM_TYPES, len(AUDIENCES), int(rng.integers(20, 37)))
    truth = _truth(rng, combos)
    season = _season(rng, days)
    spend, leads, follow = _simulate(rng, truth, season)
    conv = rng.binomial(leads, truth.quality[None, :])
    revenue = conv * truth.value[None, :] * rng.lognormal(0, 0.3, (days, len(combos)))
    # impressions and clicks per dollar drawn item by item, as the frame is built
    per_dollar = [(rng.uniform(60, 140), rng.uniform(0.8, 2.5)) for _ in combos]
    df = campaign_days(combos, AUDIENCES, dates=season.index, prefix=f"f{seed}",
                       budgets=spend / np.maximum(np.asarray(follow), 1e-9)[:, None],
                       spend=spend, leads=leads, conversions=conv, revenue=revenue, per_dollar=per_dollar)
    return df, truth
