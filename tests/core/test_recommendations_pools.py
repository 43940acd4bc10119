"""Audience pools chosen by evidence: a Facebook and an Instagram item of one Meta audience that saturate
together are read as one pool; items of one audience with curves of their own are not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.recommendations import ResponseModel

ITEMS = [("facebook", "lead_form", "lowest_cost"), ("instagram", "story", "lowest_cost"), ("google", "search", "target_cpa")]


def _history(shared: bool, seed: int = 3, days: int = 420) -> pd.DataFrame:
    """Three line items of one audience; the first two share one saturating pool when ``shared``."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    spend = np.empty((days, 3))
    for i in range(3):
        level, d = rng.uniform(20, 150), 0
        while d < days:
            span = int(rng.integers(10, 30))
            spend[d:d + span, i] = level
            level = float(np.clip(level * rng.lognormal(0, 0.6), 10, 300))
            d += span
    spend *= rng.uniform(0.9, 1.05, spend.shape)
    if shared:      # one pool of 12 leads a day at most on their summed spend, split by spend
        total = spend[:, :2].sum(1)
        mu2 = 12 * -np.expm1(-total / 120)[:, None] * spend[:, :2] / total[:, None]
    else:           # the same audience, but each item bends at a spend of its own
        mu2 = np.column_stack([0.1 * 20 * -np.expm1(-spend[:, 0] / 20), 0.1 * 600 * -np.expm1(-spend[:, 1] / 600)])
    mu = np.column_stack([mu2, 0.06 * 150 * -np.expm1(-spend[:, 2] / 150)])
    leads = rng.poisson(mu)
    rows = []
    for i, (p, a, b) in enumerate(ITEMS):
        rows.append(pd.DataFrame({
            "date": dates, "platform": p, "campaign_id": f"c{i}", "campaign_name": f"{p} {a}", "objective": "leads",
            "ad_type": a, "bidding_strategy": b, "age_min": 25, "age_max": 44, "gender": "all",
            "interests": [("dental",)] * days, "location": "US", "daily_budget": spend[:, i].round(2),
            "spend": spend[:, i].round(2), "impressions": (spend[:, i] * 80).astype(int),
            "clicks": (spend[:, i] * 2).astype(int), "leads": leads[:, i], "conversions": leads[:, i] // 4,
            "revenue": leads[:, i] // 4 * 200.0, "currency": "USD"}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def shared():
    return ResponseModel(n_draws=40, metrics=("leads",)).fit(_history(True))


@pytest.fixture(scope="module")
def separate():
    return ResponseModel(n_draws=40, metrics=("leads",)).fit(_history(False))


def test_facebook_and_instagram_of_one_audience_are_a_candidate_pool(shared):
    cands = shared._pool_candidates()
    assert list(cands) == ["meta|all 25-44 US [dental]"]
    assert cands["meta|all 25-44 US [dental]"].tolist() == [k.split("|")[0] in ("facebook", "instagram")
                                                            for k in shared.keys_]
    # without networks each platform is its own: no pool of two items
    assert ResponseModel(networks={}).fit(_history(True, days=120))._pool_candidates() == {}


def test_items_that_saturate_together_are_read_as_one_pool(shared):
    meta = [i for i, k in enumerate(shared.keys_) if not k.startswith("google")]
    assert shared.pooled_ == ["meta|all 25-44 US [dental]"]
    assert (shared.pool_weight_[meta] > 0.9).all() and shared.pool_weight_[shared.keys_.index(
        next(k for k in shared.keys_ if k.startswith("google")))] == 0.0
    assert (shared.pool_of_[meta] == "meta|all 25-44 US [dental]").all()
    assert shared.pool_evidence_["meta|all 25-44 US [dental]"]["network"] > 0
    # the pool's members crowd each other out: a mate's spend lowers an item's leads
    keys = [shared.keys_[i] for i in meta]
    alone = shared.predict_plan(np.array([80.0, 0.0]), keys=keys)[0]
    crowded = shared.predict_plan(np.array([80.0, 200.0]), keys=keys)[0]
    assert crowded < 0.8 * alone


def test_items_with_curves_of_their_own_are_not_pooled(separate):
    meta = [i for i, k in enumerate(separate.keys_) if not k.startswith("google")]
    assert separate.pool_evidence_["meta|all 25-44 US [dental]"]["network"] < 0
    assert (separate.pool_weight_[meta] < 0.2).all()
    keys = [separate.keys_[i] for i in meta]
    x = np.array([80.0, 200.0])
    own = separate.predict(x, keys=keys)
    assert np.allclose(separate.predict_plan(x, keys=keys), own, rtol=0.2)


def test_pooled_draws_follow_each_items_pool_weight(shared, separate):
    rows = np.arange(len(shared.keys_))
    picked = shared.pooled_draws(rows)
    assert np.allclose(picked.mean(1), np.round(shared.pool_weight_ * shared.n_draws) / shared.n_draws, atol=1 / 40)
    assert not separate.pooled_draws(rows)[separate.pool_weight_ == 0].any()
