"""Held-out advertisers made differently from ``core.sample_data`` and the tests' generator (not a test).

The recommendation engine is tuned on the sample generator; an outside check runs it on
advertisers made another way. This generator differs on purpose in every way that matters:

* **curve shapes** per audience pool, drawn among four families: exponential, S-shaped Hill
  (shape 1.2-2.4, a threshold before returns), logarithmic (never saturates) and square-root;
* **adstock**: each line item's effect carries over (geometric decay 0-0.7, normalised so a
  steady budget has the same steady effect);
* **budgets that follow demand**: the advertiser raises budgets in the high season
  (``budget ~ season ** gamma``), so spend and season move together (confounding);
* **shared audiences**: line items on one platform that target one audience draw on one pool:
  the pool saturates on their summed spend and shares its outcome among them, whatever ad type
  or bidding strategy buys it;
* **lead quality**: the share of leads that become sales differs by platform, ad type and
  audience (lead forms bring many, weaker leads; search and LinkedIn fewer, better ones).

``make(seed)`` returns the campaign-days (``Warehouse.campaigns()`` shape) and the truth:
``truth.daily(x, metric)`` is each line item's expected steady-state outcome per day on an
average day, at daily spends ``x`` aligned to ``truth.keys``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.recommendations import kind_key

PLATFORM_TYPES = {"google": [("search", "target_cpa"), ("search", "maximize_conversions"), ("display", "manual_cpc"),
                             ("video", "target_cpm")],
                  "bing": [("search", "manual_cpc"), ("search", "enhanced_cpc")],
                  "facebook": [("lead_form", "lowest_cost"), ("image", "cost_cap"), ("video", "lowest_cost")],
                  "instagram": [("story", "lowest_cost"), ("reel", "cost_cap")],
                  "linkedin": [("lead_form", "manual_cpc"), ("sponsored_content", "maximize_delivery")],
                  "tiktok": [("video", "lowest_cost")]}
AUDIENCES = [(25, 44, "all", ("home",), "US"), (35, 64, "female", ("garden",), "US-CA"),
             (18, 34, "male", ("tech",), "US"), (45, 70, "all", (), "US-FL"), (30, 55, "female", ("home",), "US-NY"),
             (25, 54, "all", ("business",), "US")]
QUALITY = {"search": 0.5, "lead_form": -0.6, "sponsored_content": 0.3, "display": -0.2, "video": -0.3,
           "image": -0.1, "story": -0.3, "reel": -0.4}
SHAPES = ("exp", "hill", "log", "sqrt")


def pool_curve(s: np.ndarray, shape: str, scale: float, half: float, k: float) -> np.ndarray:
    """A pool's expected outcome at summed (adstocked) spend ``s``."""
    u = np.maximum(np.asarray(s, float), 0.0) / half
    if shape == "exp":
        return scale * -np.expm1(-u)
    if shape == "hill":
        return scale * u ** k / (1.0 + u ** k)
    if shape == "log":
        return scale * 0.35 * np.log1p(u)
    return scale * 0.45 * (np.sqrt(1.0 + u) - 1.0)


class Outcomes:
    """Sales and revenue of a truth from its ``leads(x)``, ``quality`` and ``value`` (every generator's)."""

    def daily(self, x: np.ndarray, metric: str = "leads") -> np.ndarray:
        lead = self.leads(x)
        if metric == "leads":
            return lead
        conv = lead * self.quality
        return conv if metric == "conversions" else conv * self.value


@dataclass
class Truth(Outcomes):
    """The true response of a held-out advertiser (steady state, average day)."""

    keys: list[str]
    pool: np.ndarray           # pool index of each line item
    weight: np.ndarray         # how much a dollar on the item counts in its pool
    shapes: list[tuple[str, float, float, float]]   # per pool: shape, scale, half, k
    quality: np.ndarray        # share of leads that become sales, per item
    value: np.ndarray          # revenue per sale, per item
    # how the history was made, for oracle checks (bench/heldout_oracle.py): the demand index of each
    # day, each item's carry-over decay, and the adstocked spend (days x items) its outcome followed
    dates: pd.DatetimeIndex | None = None
    season: np.ndarray | None = None
    decay: np.ndarray | None = None
    adstocked: np.ndarray | None = None

    def leads(self, x: np.ndarray) -> np.ndarray:
        """Expected leads per day of each item at spends ``x`` (items sharing a pool share its outcome)."""
        x = np.asarray(x, float)
        eff = self.weight * x
        out = np.zeros_like(eff)
        for g, (shape, scale, half, k) in enumerate(self.shapes):
            sel = self.pool == g
            s = eff[..., sel].sum(-1, keepdims=True)
            total = self.curve(s, shape, scale, half, k)
            out[..., sel] = np.where(s > 0, total * eff[..., sel] / np.maximum(s, 1e-12), 0.0)
        return out

    def curve(self, s: np.ndarray, shape: str, scale: float, half: float, k: float) -> np.ndarray:
        """A pool's expected outcome at summed spend ``s`` (this generator's families)."""
        return pool_curve(s, shape, scale, half, k)


def make(seed: int, *, days: int = 730, n_items: int = 28, start: str = "2024-03-01") -> tuple[pd.DataFrame, Truth]:
    """A held-out advertiser: (campaign-days, truth)."""
    rng = np.random.default_rng(seed)
    combos = line_items(rng, PLATFORM_TYPES, len(AUDIENCES), n_items)
    pools = sorted({(k[0], ai) for k, ai in combos})
    pool_of = np.array([pools.index((k[0], ai)) for k, ai in combos])
    p_eff = {p: rng.normal(0, 0.4) for p in PLATFORM_TYPES}
    shapes = []
    for p, ai in pools:
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        half = float(np.exp(rng.normal(np.log(70), 0.6)))
        cpl0 = float(np.exp(rng.normal(np.log(35), 0.35) - p_eff[p]))          # cost per lead of the first dollars
        k = float(rng.uniform(1.2, 2.4)) if shape == "hill" else 1.0
        slope0 = {"exp": 1.0, "hill": 0.5, "log": 0.35, "sqrt": 0.225}[shape]  # d curve / d u near u = 1 (rough)
        scale = half / cpl0 / slope0
        shapes.append((shape, scale, half, k))
    weight = np.exp(rng.normal(0, 0.35, n_items))
    qual_logit = np.array([-1.4 + QUALITY.get(k[1], 0.0) + (0.5 if k[0] == "linkedin" else 0.0)
                           + (0.3 if AUDIENCES[ai][4] != "US" else 0.0) for k, ai in combos]) + rng.normal(0, 0.3, n_items)
    quality = 1 / (1 + np.exp(-qual_logit))
    value = np.exp(rng.normal(np.log(400), 0.3, n_items))
    keys = [kind_key(k[0], k[1], k[2], *AUDIENCES[ai][:3], AUDIENCES[ai][3], AUDIENCES[ai][4]) for k, ai in combos]
    truth = Truth(keys, pool_of, weight, shapes, quality, value)

    dates = pd.date_range(start, periods=days, freq="D")
    doy = dates.dayofyear.to_numpy()
    season = (1 + 0.3 * np.sin(2 * np.pi * (doy - 80) / 365.25) + 0.25 * np.exp(-((doy - 330) / 12.0) ** 2)) \
        * np.array([1.08, 1.1, 1.05, 1.0, 0.95, 0.88, 0.94])[dates.dayofweek]
    gamma = rng.uniform(0.5, 1.5)                                           # how strongly budgets follow demand
    decay = rng.uniform(0.0, 0.7, n_items)
    budgets = np.empty((days, n_items))
    for i in range(n_items):
        g = pool_of[i]
        level = shapes[g][2] / max(1, (pool_of == g).sum()) * rng.uniform(0.3, 2.5)
        d = 0
        while d < days:
            span = int(rng.integers(14, 60))
            budgets[d:d + span, i] = level
            level = float(np.clip(level * rng.lognormal(0, 0.4), 3.0, shapes[g][2] * 4))
            d += span
        off = rng.random() < 0.25
        if off:                                                             # a pause of 3-8 weeks
            a = int(rng.integers(60, days - 90))
            budgets[a:a + int(rng.integers(21, 57)), i] = 0.0
    spend = budgets * (season[:, None] ** gamma) * rng.uniform(0.85, 1.05, (days, n_items))
    adstocked = np.zeros_like(spend)
    carry = np.zeros(n_items)
    for t in range(days):
        carry = decay * carry + (1 - decay) * spend[t]
        adstocked[t] = carry
    mu = truth.leads(adstocked) * season[:, None]
    disp = 1.5
    leads = rng.negative_binomial(n=np.maximum(mu, 1e-6) / (disp - 1), p=1 / disp)
    conv = rng.binomial(leads, quality[None, :])
    revenue = conv * value[None, :] * rng.lognormal(0, 0.25, (days, n_items))
    df = campaign_days(combos, AUDIENCES, dates=dates, prefix=f"h{seed}", budgets=budgets, spend=spend, leads=leads,
                       conversions=conv, revenue=revenue, per_dollar=[(90, 1.5)] * n_items)
    truth.dates, truth.season, truth.decay, truth.adstocked = dates, season, decay, adstocked
    return df, truth


def line_items(rng, platform_types: dict, n_audiences: int, n: int) -> list:
    """``n`` distinct ((platform, ad type, bidding), audience index) line items, drawn in one fixed order."""
    kinds = [(p, a, b) for p, lst in platform_types.items() for a, b in lst]
    combos, seen = [], set()
    while len(combos) < n:
        k = kinds[rng.integers(len(kinds))]
        ai = int(rng.integers(n_audiences))
        if (k, ai) not in seen:
            seen.add((k, ai))
            combos.append((k, ai))
    return combos


def campaign_days(combos: list, audiences: list, *, dates, prefix: str, budgets, spend, leads, conversions, revenue,
                  per_dollar: list[tuple[float, float]]) -> pd.DataFrame:
    """The campaign-days (``Warehouse.campaigns()`` shape) of simulated line items; days without spend left out.

    ``per_dollar`` gives each item's impressions and clicks per dollar.
    """
    rows = []
    for i, ((p, a, b), ai) in enumerate(combos):
        age_min, age_max, gender, interests, location = audiences[ai]
        cid = f"{prefix}-{i:02d}"
        imps, clicks = per_dollar[i]
        rows.append(pd.DataFrame({
            "date": dates, "platform": p, "campaign_id": cid, "campaign_name": f"{p} {a} {cid}",
            "objective": "leads", "ad_type": a, "bidding_strategy": b, "age_min": age_min, "age_max": age_max,
            "gender": gender, "interests": [interests] * len(dates), "location": location,
            "daily_budget": np.asarray(budgets[:, i]).round(2), "spend": spend[:, i].round(2),
            "impressions": (spend[:, i] * imps).astype(int), "clicks": (spend[:, i] * clicks).astype(int),
            "leads": leads[:, i], "conversions": conversions[:, i], "revenue": revenue[:, i].round(2),
            "currency": "USD"}))
    df = pd.concat(rows, ignore_index=True)
    return df[df["spend"] > 0].reset_index(drop=True)


# ------------------------------------------------------------------ the best plan on the truth


def best_allocation(truth: Truth, metric: str, budget: float, *, start: list[np.ndarray],
                    steps: int = 300, passes: int = 3, item_cap: np.ndarray | None = None,
                    groups: np.ndarray | None = None, group_max: dict | None = None) -> np.ndarray:
    """The best allocation the optimiser could find on the TRUE (non-separable, maybe S-shaped) response.

    Greedy increments on the joint truth, then local moves of budget between pairs of items from
    the greedy result and from each allocation in ``start``; the best one found. With ``item_cap``
    (and ``groups`` / ``group_max``) the same search under the plan's own caps: how much of the
    best gain the caps alone leave out.
    """
    n = len(truth.keys)
    delta = budget / steps
    cap = np.full(n, np.inf) if item_cap is None else np.asarray(item_cap, float)
    gid = np.zeros(n, int) if groups is None else pd.factorize(np.asarray(groups))[0]
    gcap = np.full(gid.max() + 1, np.inf)
    if groups is not None and group_max:
        for g, name in enumerate(pd.unique(np.asarray(groups))):
            gcap[g] = group_max.get(name, np.inf)

    def room(x: np.ndarray) -> np.ndarray:
        """How much more each item may take under the caps."""
        used = np.bincount(gid, weights=x, minlength=len(gcap))
        return np.minimum(cap - x, (gcap - used)[gid])

    x = np.zeros(n)
    for _ in range(steps):
        cand = x[None, :] + np.eye(n) * delta
        gains = np.where(room(x) >= delta - 1e-9, truth.daily(cand, metric).sum(1), -np.inf)
        if not np.isfinite(gains).any():
            break
        x[int(np.argmax(gains))] += delta
    best = [x] + [np.asarray(s, float) * budget / max(np.sum(s), 1e-9) for s in start if item_cap is None]
    out = [_local_moves(truth, metric, x.copy(), delta, passes, room) for x in best]
    return max(out, key=lambda t: t[0])[1]


def _best_move(truth: Truth, metric: str, x: np.ndarray, step: float, room) -> tuple[int, int, float] | None:
    """The best move of ``step`` from one funded item to another under the caps: (from, to, total)."""
    n = len(x)
    donors = np.where(x >= step - 1e-9)[0]
    if len(donors) == 0:
        return None
    moves = []
    for i in donors:
        y = np.repeat(x[None, :], n, 0)
        y[:, i] -= step
        y[np.arange(n), np.arange(n)] += step
        y[i, i] = x[i]
        after = x.copy()
        after[i] -= step
        ok = room(after) >= step - 1e-9
        ok[i] = False
        moves.append(np.where(ok, truth.daily(y, metric).sum(1), -np.inf))
    moves = np.array(moves)
    i, j = np.unravel_index(np.argmax(moves), moves.shape)
    return int(donors[i]), int(j), float(moves[i, j])


def _local_moves(truth: Truth, metric: str, x: np.ndarray, delta: float, passes: int, room
                 ) -> tuple[float, np.ndarray]:
    """Move budget between pairs of items while it helps, in shrinking steps: (total, allocation)."""
    for step in (delta * 8, delta * 3, delta):
        for _ in range(passes * 20):
            move = _best_move(truth, metric, x, step, room)
            if move is None or move[2] <= float(truth.daily(x, metric).sum()) + 1e-9:
                break
            x[move[0]] -= step
            x[move[1]] += step
    return float(truth.daily(x, metric).sum()), x
