"""How far past its high a line item's curve carries, read from the history: items whose returns stop at a
cap they were rarely run past choose a short reach; items whose curves the fitted shapes describe keep None."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.recommendations import ResponseModel
from core.recommendations.model import REACH_CHOICES, REACH_EVIDENCE
from tests.core._recommendations_synth import make_history

KINDS = [("google", "search", "target_cpa"), ("facebook", "lead_form", "lowest_cost"),
         ("bing", "search", "manual_cpc"), ("linkedin", "lead_form", "manual_cpc")]


def _capped_history(seed: int = 5, days: int = 400, capped: bool = True) -> pd.DataFrame:
    """Four line items whose leads grow in proportion to spend up to a cap, then stop (``capped``; else they go on
    growing as the square root of spend past it); run mostly below the cap, and for a few weeks (their top days)
    at twice and three times it."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    rows = []
    for i, (p, a, b) in enumerate(KINDS):
        cap = rng.uniform(40, 80)
        spend = cap * np.exp(rng.normal(np.log(0.5), 0.25, days)).clip(0.2, 1.0)
        for start in rng.choice(days - 21, 3, replace=False):
            spend[start:start + 21] = cap * rng.choice([2.0, 3.0])
        mu = 0.08 * np.minimum(spend, cap) + (0.0 if capped else 0.16 * cap * (np.sqrt(np.maximum(spend / cap, 1.0)) - 1))
        leads = rng.poisson(mu)
        rows.append(pd.DataFrame({
            "date": dates, "platform": p, "campaign_id": f"c{i}", "campaign_name": f"{p} {a}", "objective": "leads",
            "ad_type": a, "bidding_strategy": b, "age_min": 25, "age_max": 44, "gender": "all",
            "interests": [("dental",)] * days, "location": "US", "daily_budget": spend.round(2),
            "spend": spend.round(2), "impressions": (spend * 80).astype(int), "clicks": (spend * 2).astype(int),
            "leads": leads, "conversions": leads // 4, "revenue": leads // 4 * 200.0, "currency": "USD"}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def capped():
    return ResponseModel(n_draws=20, metrics=("leads",)).fit(_capped_history())


def test_returns_that_stop_at_a_cap_choose_a_short_reach(capped):
    assert capped.extrapolation_reach_ is not None
    assert capped.reach_evidence_[str(capped.extrapolation_reach_)] > REACH_EVIDENCE
    assert capped.reach_evidence_["None"] == 0.0


def test_returns_that_go_on_growing_past_the_high_keep_every_dollar_at_the_discount():
    m = ResponseModel(n_draws=20, metrics=("leads",)).fit(_capped_history(capped=False))
    assert m.extrapolation_reach_ is None
    assert set(m.reach_evidence_) == {str(c) for c in REACH_CHOICES}
    assert max(m.reach_evidence_.values()) <= REACH_EVIDENCE


def test_the_tests_own_exponential_curves_keep_every_dollar_at_the_discount():
    df, _ = make_history(seed=1, n_items=6, days=400)
    assert ResponseModel(n_draws=20, metrics=("leads",)).fit(df).extrapolation_reach_ is None


def test_a_fixed_reach_skips_the_check_and_counts_less_the_further_past_the_high(capped):
    m = ResponseModel(n_draws=20, metrics=("leads",), extrapolation_reach=2.0).fit(_capped_history())
    assert m.extrapolation_reach_ == 2.0 and m.reach_evidence_ == {}
    row = np.array([0])
    high = float(m.reach_[0])
    eps = high * 1e-4
    slope = lambda at: float(np.diff(m.effective_spend(np.array([at, at + eps]), row))[0] / eps)
    assert m.effective_spend(np.array([high * 0.5]), row)[0] == pytest.approx(high * 0.5)   # inside: untouched
    assert slope(high) == pytest.approx(m.extrapolation, rel=1e-3)                        # at the high: the discount
    assert slope(high * 3.0) == pytest.approx(m.extrapolation / 2, rel=1e-3)              # 2 highs past it: half
    linear = ResponseModel(n_draws=20, metrics=("leads",), extrapolation_reach=None).fit(_capped_history())
    assert slope(high * 5.0) < linear.extrapolation / 2
