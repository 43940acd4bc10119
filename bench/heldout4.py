"""A fourth held-out advertiser generator (session 6), made differently again (not a test).

Written by the lead and run on main at the start of session 6 (f6368b7) and after its merges
(8eeaa03); no helper saw it. From now on it is seen data. Unlike bench/heldout.py, heldout2.py, heldout3.py:

* response built from reach and frequency: impressions = effective spend / CPM; an item reaches
  A (1 - exp(-impressions / A)) people of its audience and each reached person converts with
  p_max (1 - exp(-frequency / f0)): linear-ish where f0 is small, convex-then-flat where
  frequency is needed;
* auction price pressure: items on one platform that target one audience bid against each other,
  so each pays a CPM that rises with their SUMMED spend (effective spend s / (1 + (S / K)^0.7));
* budgets mostly step-constant with rare changes (little spend variation to learn from), a few
  items with deliberate budget tests, some paused and relaunched; budgets planned ahead of a
  two-peak season (budget follows season 14 days ahead);
* noise: Poisson-lognormal with a shared platform-day shock; tracking outages (a platform-day
  reports 0 leads, ~1%); conversions lag their leads (geometric, mean 2-8 days); Google leads
  fractional (data-driven attribution); delayed carry-over (peak on day 1-3, then geometric).
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

PLATFORM_TYPES = {"google": [("search", "target_roas"), ("performance_max", "maximize_conversion_value"),
                             ("youtube", "target_cpv")],
                  "bing": [("search", "target_cpa")],
                  "facebook": [("lead_form", "cost_cap"), ("carousel", "lowest_cost"), ("video", "bid_cap")],
                  "instagram": [("story", "cost_cap"), ("feed", "lowest_cost")],
                  "tiktok": [("in_feed", "lowest_cost")],
                  "linkedin": [("document", "maximum_delivery"), ("lead_form", "manual_cpc")],
                  "pinterest": [("standard_pin", "automatic")],
                  "snapchat": [("story_ad", "auto_bid")]}
AUDIENCES = [(21, 39, "all", ("fitness",), "US"), (40, 64, "all", ("finance",), "US"),
             (25, 49, "female", ("fashion", "beauty"), "US-NY"), (30, 59, "male", ("cars",), "US-TX"),
             (18, 29, "all", ("music",), "US-CA")]
QUALITY = {"search": 0.6, "lead_form": -0.7, "document": 0.4, "youtube": -0.4, "story": -0.5, "story_ad": -0.6,
           "in_feed": -0.4, "standard_pin": -0.2, "carousel": -0.1, "feed": -0.2, "performance_max": 0.1}


@dataclass
class Truth(Outcomes):
    keys: list
    pa: np.ndarray          # platform-audience index of each item (auction pressure group)
    K: np.ndarray           # spend at which the group's CPM has risen 2x
    cpm: np.ndarray
    A: np.ndarray           # people reachable
    pmax: np.ndarray
    f0: np.ndarray
    quality: np.ndarray
    value: np.ndarray

    def leads(self, x):
        x = np.maximum(np.asarray(x, float), 0.0)
        out = np.empty_like(x)
        for g in range(len(self.K)):
            sel = self.pa == g
            S = x[..., sel].sum(-1, keepdims=True)
            out[..., sel] = x[..., sel] / (1.0 + (S / self.K[g]) ** 0.7)
        imps = out / self.cpm * 1000.0
        reach = self.A * -np.expm1(-imps / self.A)
        freq = imps / np.maximum(reach, 1e-9)
        return np.where(imps > 0, reach * self.pmax * -np.expm1(-freq / self.f0), 0.0)


def _truth(rng, combos):
    from core.recommendations import kind_key

    n = len(combos)
    groups = sorted({(k[0], ai) for k, ai in combos})
    pa = np.array([groups.index((k[0], ai)) for k, ai in combos])
    cpm = np.exp(rng.normal(np.log(12), 0.5, n))
    f0 = np.exp(rng.uniform(np.log(0.3), np.log(4.0), n))
    # A sets where the item saturates: spend at which impressions ~ audience, 20-250 $/day
    sat = np.exp(rng.uniform(np.log(20), np.log(250), n))
    A = sat / cpm * 1000.0
    cpl0 = np.exp(rng.normal(np.log(28), 0.45, n))     # cost per lead of the first dollars at frequency 1
    first = -np.expm1(-1.0 / f0)
    pmax = (cpm / 1000.0) / cpl0 / first
    K = np.exp(rng.normal(np.log(180), 0.5, len(groups)))
    ql = np.array([-1.3 + QUALITY.get(k[1], 0.0) + (0.4 if k[0] in ("linkedin", "bing") else 0.0)
                   for k, _ in combos]) + rng.normal(0, 0.35, n)
    quality = 1 / (1 + np.exp(-ql))
    value = np.exp(rng.normal(np.log(250), 0.4, n))
    keys = [kind_key(k[0], k[1], k[2], *AUDIENCES[ai][:3], AUDIENCES[ai][3], AUDIENCES[ai][4]) for k, ai in combos]
    return Truth(keys, pa, K, cpm, A, pmax, f0, quality, value)


def _budgets(rng, days, n, sat):
    b = np.empty((days, n))
    for i in range(n):
        level = sat[i] * rng.uniform(0.15, 1.6)
        d = 0
        while d < days:
            span = int(rng.integers(60, 200))
            b[d:d + span, i] = level
            level = float(np.clip(level * rng.lognormal(0, 0.25), 2.0, sat[i] * 3))
            d += span
        if rng.random() < 0.3:          # budget tests: 10 days at 1.6x or 0.6x, 1-3 of them
            for _ in range(int(rng.integers(1, 4))):
                a = int(rng.integers(0, days - 10))
                b[a:a + 10, i] *= rng.choice([0.6, 1.6])
        if rng.random() < 0.2:          # paused for 2-6 weeks
            a = int(rng.integers(30, days - 60))
            b[a:a + int(rng.integers(14, 43)), i] = 0.0
    return b


def _carry(rng, spend):
    days, n = spend.shape
    peak = rng.integers(1, 4, n)
    decay = rng.uniform(0.2, 0.7, n)
    L = 21
    lag = np.arange(L)[:, None]
    w = np.where(lag < peak, (lag + 1) / peak, decay ** (lag - peak + 1.0))
    w = w / w.sum(0)
    out = np.zeros_like(spend)
    for t in range(days):
        lo = max(0, t - L + 1)
        seg = spend[lo:t + 1][::-1]
        out[t] = (seg * w[:len(seg)]).sum(0)
    return out


def make(seed: int):
    rng = np.random.default_rng(4_400_000 + seed)
    days, n = int(rng.integers(500, 731)), int(rng.integers(12, 37))
    combos = line_items(rng, PLATFORM_TYPES, len(AUDIENCES), n)
    truth = _truth(rng, combos)
    dates = pd.date_range("2024-01-15", periods=days + 14)
    doy = dates.dayofyear.to_numpy()
    season = (1 + 0.18 * np.exp(-((doy - 140) / 25.0) ** 2) + 0.3 * np.exp(-((doy - 335) / 15.0) ** 2)
              - 0.1 * np.exp(-((doy - 200) / 30.0) ** 2))
    season = season * np.array([1.02, 1.04, 1.03, 1.0, 0.97, 0.95, 0.99])[dates.dayofweek]
    season = season / season[:days].mean()
    ahead, season, dates = season[14:], season[:days], dates[:days]
    sat = truth.A * truth.cpm / 1000.0
    budgets = _budgets(rng, days, n, sat) * (ahead[:, None] ** rng.uniform(0.3, 1.2))
    spend = budgets * rng.uniform(0.92, 1.02, (days, n))
    mu = truth.leads(_carry(rng, spend)) * season[:, None]
    plats = sorted({k[0] for k, _ in combos})
    pidx = np.array([plats.index(k[0]) for k, _ in combos])
    shock = rng.normal(0, 0.15, (days, len(plats)))[:, pidx]
    lam = mu * np.exp(shock - 0.15 ** 2 / 2 + rng.normal(0, 0.2, (days, n)) - 0.02)
    leads = rng.poisson(lam).astype(float)
    outage = (rng.random((days, len(plats))) < 0.01)[:, pidx]
    conv_true = rng.binomial(leads.astype(int), truth.quality[None, :]).astype(float)
    lagm = rng.uniform(2, 8, n)
    conv = np.zeros_like(conv_true)
    for i in range(n):                  # each sale arrives a geometric number of days after its lead
        q = 1 / (1 + lagm[i])
        kern = q * (1 - q) ** np.arange(60)
        conv[:, i] = rng.poisson(np.convolve(conv_true[:, i], kern)[:days])
    revenue = conv * truth.value[None, :] * rng.lognormal(0, 0.3, (days, n))
    leads = np.where(outage, 0.0, leads)
    # drawn item by item in the order the frame was first built: attributed Google leads, then the objective
    objectives = []
    for i, ((p, _, _), _) in enumerate(combos):
        if p == "google":
            leads[:, i] = leads[:, i] * rng.uniform(0.85, 1.15, days)
        objectives.append("sales" if rng.random() < 0.2 else "leads")
    per_dollar = [(1000 / c, 1000 / c * 0.012) for c in truth.cpm]
    return campaign_days(combos, AUDIENCES, dates=dates, prefix=f"r{seed}", budgets=budgets, spend=spend,
                         leads=leads.round(2), conversions=conv, revenue=revenue, per_dollar=per_dollar,
                         objectives=objectives), truth
