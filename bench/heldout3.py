"""A third held-out advertiser generator (session 5), made differently again (not a test).

Written by the lead and run once, at the end of session 5, on main before (fee754e) and after
(3f84017) the session's changes; no helper saw it. From now on it is seen data.

Made unlike bench/heldout.py and bench/heldout2.py:

* curves per line item (no hard pools): Hill with shape 0.8-3.0, a linear-until-exhausted curve
  with a soft cap (delivery limited by the audience), tanh, and log; items that target the same
  audience on any platform overlap: a share (20-50%) of each item's reach is a common audience
  that saturates on the items' summed spend;
* geometric carry-over with a long memory (decay 0.3-0.85);
* budgets: a slow random walk with occasional budget TESTS (an item doubled or halved for two
  weeks), and a single summer peak of demand that budgets do not follow;
* noise: negative binomial with a dispersion drawn per line item; 15-45 line items; 400-730 days.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from heldout import Outcomes  # noqa: E402
from heldout import best_allocation  # noqa: E402,F401  (the search for the best plan on the truth)
from heldout import campaign_days, line_items  # noqa: E402


PLATFORM_TYPES = {"google": [("search", "maximize_clicks"), ("performance_max", "maximize_conversions"),
                             ("display", "manual_cpm"), ("demand_gen", "target_cpa")],
                  "facebook": [("lead_form", "lowest_cost"), ("image", "bid_cap"), ("collection", "cost_cap")],
                  "instagram": [("reel", "lowest_cost"), ("explore", "lowest_cost")],
                  "tiktok": [("spark", "cost_cap"), ("video", "lowest_cost")],
                  "linkedin": [("conversation", "manual_cpc"), ("lead_form", "cost_cap")],
                  "bing": [("search", "enhanced_cpc"), ("audience", "manual_cpc")],
                  "reddit": [("promoted", "cpm")]}
AUDIENCES = [(18, 24, "all", ("gaming",), "US"), (25, 34, "female", ("wellness",), "US-WA"),
             (35, 54, "all", ("home",), "US"), (45, 65, "male", ("golf",), "US-FL"),
             (25, 44, "all", ("saas",), "US-CA"), (30, 60, "female", ("pets",), "US-OH")]
SHAPES = ("hill", "capped", "tanh", "log")


def curve(s, shape, scale, half, k):
    u = np.maximum(np.asarray(s, float), 0.0) / half
    if shape == "hill":
        return scale * u ** k / (1 + u ** k)
    if shape == "capped":          # linear until the audience runs out, softly
        return scale * (u - np.logaddexp(0, 4 * (u - 1.5)) / 4 + np.log1p(np.exp(-6)) / 4)
    if shape == "tanh":
        return scale * np.tanh(u)
    return scale * 0.4 * np.log1p(u)


@dataclass
class Truth(Outcomes):
    keys: list
    shapes: list                  # per item: shape, scale, half, k
    audience: np.ndarray          # audience index per item
    overlap: np.ndarray           # share of each item's outcome that comes from the common audience
    aud_half: np.ndarray          # saturation point of each audience's common pool
    quality: np.ndarray
    value: np.ndarray

    def leads(self, x):
        x = np.asarray(x, float)
        own = np.stack([curve(x[..., i], *self.shapes[i]) for i in range(len(self.keys))], -1)
        out = own * (1 - self.overlap)
        common = own * self.overlap
        for a in np.unique(self.audience):
            sel = self.audience == a
            others = x[..., sel].sum(-1, keepdims=True) - x[..., sel]
            # the common audience is already reached by the other items that target it: cannibalised
            out[..., sel] += common[..., sel] / (1.0 + others / self.aud_half[a])
        return out


def _truth(rng, combos):
    from core.recommendations import kind_key

    n = len(combos)
    p_eff = {p: rng.normal(0, 0.3) for p in PLATFORM_TYPES}
    shapes = []
    for (p, _, _), _ai in combos:
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        half = float(np.exp(rng.normal(np.log(50), 0.6)))
        cpl0 = float(np.exp(rng.normal(np.log(30), 0.35) - p_eff[p]))
        k = float(rng.uniform(0.8, 3.0)) if shape == "hill" else 1.0
        slope = {"hill": 0.5 if k > 1 else 0.8, "capped": 1.0, "tanh": 1.0, "log": 0.4}[shape]
        shapes.append((shape, half / cpl0 / slope, half, k))
    audience = np.array([ai for _, ai in combos])
    overlap = rng.uniform(0.2, 0.5, n)
    aud_half = np.exp(rng.normal(np.log(150), 0.4, len(AUDIENCES)))
    quality = 1 / (1 + np.exp(-(rng.normal(-1.3, 0.6, n))))
    value = np.exp(rng.normal(np.log(600), 0.35, n))
    keys = [kind_key(k[0], k[1], k[2], *AUDIENCES[ai][:3], AUDIENCES[ai][3], AUDIENCES[ai][4]) for k, ai in combos]
    return Truth(keys, shapes, audience, overlap, aud_half, quality, value)


def make(seed: int):
    rng = np.random.default_rng(900_000 + seed)
    days, n = int(rng.integers(400, 731)), int(rng.integers(15, 46))
    combos = line_items(rng, PLATFORM_TYPES, len(AUDIENCES), n)
    truth = _truth(rng, combos)
    dates = pd.date_range("2024-06-01", periods=days)
    doy = dates.dayofyear.to_numpy()
    season = (1 + 0.25 * np.sin(2 * np.pi * (doy - 100) / 365.25)) * np.array([0.97, 1.03, 1.05, 1.04, 1.0, 0.94, 0.97])[dates.dayofweek]
    half = np.array([s[2] for s in truth.shapes])
    level = half * rng.uniform(0.2, 1.8, n)
    budgets = np.empty((days, n))
    for t in range(days):
        level = np.clip(level * np.exp(rng.normal(0, 0.03, n)), 2.0, half * 4)
        budgets[t] = level
    for i in range(n):          # budget tests: two weeks doubled or halved, 0-3 of them
        for _ in range(int(rng.integers(0, 4))):
            a = int(rng.integers(0, days - 14))
            budgets[a:a + 14, i] *= rng.choice([0.5, 2.0])
    spend = budgets * rng.uniform(0.9, 1.05, (days, n))
    decay = rng.uniform(0.3, 0.85, n)
    ad = np.zeros_like(spend)
    carry = spend[0].copy()
    for t in range(days):
        carry = decay * carry + (1 - decay) * spend[t]
        ad[t] = carry
    mu = truth.leads(ad) * season[:, None]
    disp = rng.uniform(1.1, 2.5, n)
    leads = rng.negative_binomial(np.maximum(mu, 1e-6) / (disp - 1), 1 / disp)
    conv = rng.binomial(leads, truth.quality[None, :])
    revenue = conv * truth.value[None, :] * rng.lognormal(0, 0.2, (days, n))
    return campaign_days(combos, AUDIENCES, dates=dates, prefix=f"t{seed}", budgets=budgets, spend=spend, leads=leads,
                         conversions=conv, revenue=revenue, per_dollar=[(80, 1.2)] * n), truth
