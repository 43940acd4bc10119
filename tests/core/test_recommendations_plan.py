"""The named steps of recommend(): constraints, scoring, funded items, totals, baseline, uplift, notes."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import BadInputError
from core.objectives import Objective
from core.recommendations import (ResponseModel, baseline_mix, baseline_summary, candidates_for, goal_gain,
                                  plan_constraints, plan_totals, planned_items, recommend, score_items, uplift_of)
from core.recommendations.plan import target_notes
from tests.core._recommendations_synth import make_history


@pytest.fixture(scope="module")
def model():
    df, _ = make_history(seed=4, n_items=10, days=400)
    return ResponseModel(n_draws=40, metrics=("leads", "conversions", "revenue")).fit(df)


def test_goal_gain_is_the_models_prediction(model):
    keys = model.keys_[:3]
    x = np.array([[10.0, 20.0, 30.0], [50.0, 0.0, 5.0]])
    got = goal_gain(model, keys, "leads")(x)
    assert got.shape == (2, 3)
    assert np.allclose(got[0], model.predict_plan(x[0], "leads", keys=keys))
    assert np.allclose(got[1], model.predict_plan(x[1], "leads", keys=keys))


def test_items_sharing_an_audience_share_its_saturation(model):
    pooled = [k for k, g in zip(model.keys_, model.pool_of_) if g in model.pooled_]
    g = model.pool_of_[model.keys_.index(pooled[0])]
    mates = [k for k, h in zip(model.keys_, model.pool_of_) if h == g]
    assert len(mates) >= 2
    alone = model.predict_plan(np.array([40.0]), "leads", keys=mates[:1])[0]
    crowded = model.predict_plan(np.array([40.0, 200.0]), "leads", keys=mates[:2])[0]
    assert crowded < alone                  # a pool-mate's spend saturates the audience for it too
    # each item alone on its own curve: the pool does not change what predict() says
    assert model.predict(np.array([40.0]), "leads", keys=mates[:1])[0] == pytest.approx(
        model.predict(np.array([40.0, 200.0]), "leads", keys=mates[:2])[0])
    off = ResponseModel(n_draws=40, pool_blend=0.0).fit(make_history(seed=4, n_items=10, days=400)[0])
    x = np.array([40.0, 200.0])
    assert np.allclose(off.predict_plan(x, "leads", keys=mates[:2]), off.predict(x, "leads", keys=mates[:2]))


def test_plan_constraints_turn_the_brief_into_daily_limits(model):
    cands, _ = candidates_for(model, Objective(budget=100.0, period="day"))
    plats = sorted(cands["platform"].unique())
    obj = Objective(budget=100.0, period="day", platform_max_share={plats[0]: 0.25}, platform_min={plats[1]: 10.0},
                    max_line_items=3)
    cons = plan_constraints(cands, obj, 100.0)
    assert cons.platform_max[plats[0]] == pytest.approx(25.0) and cons.platform_min == {plats[1]: 10.0}
    assert cons.min_item_budget == 5.0 and cons.max_items == 3 and len(cons.item_cap) == len(cands)


def test_plan_constraints_refuse_impossible_minimums_and_note_extrapolation(model):
    cands, _ = candidates_for(model, Objective(budget=100.0, period="day"))
    with pytest.raises(BadInputError, match="more than the budget"):
        plan_constraints(cands, Objective(budget=10.0, period="day", platform_min={cands["platform"].iloc[0]: 20.0}),
                         10.0)
    with pytest.raises(BadInputError, match="no usable snapchat"):
        plan_constraints(cands, Objective(budget=10.0, period="day", platform_min={"snapchat": 1.0}), 10.0)
    notes: list[str] = []
    cons = plan_constraints(cands, Objective(budget=1e6, period="day"), 1e6, notes=notes)
    assert "extrapolation" in notes[0] and cons.item_cap.sum() >= 1e6


def test_score_planned_and_totals(model):
    cands, _ = candidates_for(model, Objective(budget=100.0, period="day"))
    x = np.zeros(len(cands))
    x[:2] = [60.0, 40.0]
    scored = score_items(model, cands, x, "leads", eps=0.5)
    assert (scored["marginal_cost"] > 0).all() and scored.loc[2:, "leads"].eq(0).all()
    planned = planned_items(scored, "leads")
    assert list(planned["daily_budget"]) == [60.0, 40.0] and all(w.startswith(("Raise", "Trim", "Keep", "Restart"))
                                                                  for w in planned["why"])
    tot = plan_totals(planned)
    assert tot["daily_spend"] == 100.0 and tot["cpl"] == pytest.approx(100.0 / planned["leads"].sum(), abs=0.01)


def test_baseline_is_todays_mix_at_the_budget(model):
    plats = model.items_["platform"].unique()
    keys, xb, note = baseline_mix(model, plats, 200.0)
    assert xb.sum() == pytest.approx(200.0) and note.startswith("last 90 days")
    share = model.items_.set_index("key").loc[keys, "recent_share"].to_numpy()
    assert np.allclose(xb / 200.0, share / share.sum())
    keys1, _, note1 = baseline_mix(model, plats[:1], 200.0)
    assert "allowed platforms" in note1 and len(keys1) < len(keys)
    base = baseline_summary(model, keys, xb, note)
    assert base["leads"] > 0 and base["cpl"] == pytest.approx(200.0 / base["leads"], rel=2e-3)   # leads rounded to cents


def test_uplift_is_zero_for_the_baseline_itself(model):
    keys, xb, _ = baseline_mix(model, model.items_["platform"].unique(), 150.0)
    total = float(model.predict_plan(xb, "leads", keys=keys).sum())
    u = uplift_of(model, "leads", keys, xb, keys, xb, total, 10.0, 10.0)
    assert u["change"] == 0 and u["interval"] == [0, 0] and u["cpl_change"] == 0


def test_target_notes_say_meets_or_misses_and_unspent_budget():
    obj = Objective(budget=100.0, period="day", target_cpl=20.0, target_cpa=50.0)
    notes = target_notes(obj, {"cpl": 25.0, "cpa": 40.0}, 60.0, 100.0, 400)
    assert "misses the target $20.00" in notes[0] and "meets the target $50.00" in notes[1]
    assert "spends $60.00 of $100.00" in notes[2]


def test_recommend_composes_the_steps(model):
    obj = Objective(budget=120.0, period="day")
    plan = recommend(model, obj)
    assert plan.expected == plan_totals(plan.items)
    assert plan.items["daily_budget"].sum() == pytest.approx(120.0, abs=0.5)
