"""Plans nearer the optimum and forecasts that come true: extrapolation discount, audience caps,
lead quality, marginal cost per platform, forecast range, re-planning."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from core.errors import BadInputError
from core.objectives import Objective, parse_brief
from core.recommendations import (Constraints, ResponseModel, allocate, forecast_range, marginal_returns,
                                  qualification_rates, recommend, replan, saturation)
from tests.core._recommendations_synth import make_history


@pytest.fixture(scope="module")
def model():
    df, _ = make_history(seed=12, n_items=12, days=420)
    return ResponseModel(n_draws=60).fit(df)


def test_spend_beyond_the_observed_high_counts_at_a_discount(model):
    rows = np.arange(3)
    high = model.reach_[rows]
    x = np.array([high[0] * 0.5, high[1], high[2] * 3])
    eff = model.effective_spend(x, rows)
    assert eff[0] == x[0] and eff[1] == x[1]
    assert eff[2] == pytest.approx(high[2] + model.extrapolation * 2 * high[2])
    trusting = ResponseModel(extrapolation=1.0)
    trusting.reach_ = model.reach_
    assert np.allclose(trusting.effective_spend(x, rows), x)


def test_discount_draws_spread_evenly_around_the_discount():
    m = ResponseModel(n_draws=100)
    d = m.discount_draws()
    lo, hi = m.extrapolation - m.extrapolation_spread, m.extrapolation + m.extrapolation_spread
    assert len(d) == 100 and d.min() >= lo - 1e-9 and d.max() <= hi + 1e-9
    # evenly over the range, centred on the point forecast's discount (above 1: the curve flattens less than fitted)
    assert d.mean() == pytest.approx(m.extrapolation, abs=0.01) and np.ptp(d) > 0.95 * (hi - lo)
    assert np.array_equal(d, m.discount_draws())                      # one discount per draw, every call
    assert np.allclose(ResponseModel(extrapolation_spread=0.0).discount_draws(), 0.8)
    assert ResponseModel(extrapolation=0.2).discount_draws().min() >= 0.0


def test_draws_past_the_observed_high_carry_the_discounts_uncertainty(model):
    fixed = copy.copy(model)
    fixed.extrapolation_spread = 0.0
    rows = np.arange(4)
    keys = [model.keys_[i] for i in rows]
    # twice the high: far past it the S-shaped draws are flat whatever the discount (at 4x: 1.17x the width)
    inside, beyond = model.reach_[rows] * 0.5, model.reach_[rows] * 2
    assert np.array_equal(model.predict_draws(inside, keys=keys), fixed.predict_draws(inside, keys=keys))
    width = lambda d: np.quantile(d.sum(0), 0.95) - np.quantile(d.sum(0), 0.05)
    assert width(model.predict_draws(beyond, keys=keys)) > 1.2 * width(fixed.predict_draws(beyond, keys=keys))
    # the plan's draws keep the plan's forecast as their mean
    assert np.allclose(model.plan_draws(beyond, keys=keys).mean(1), model.predict_plan(beyond, keys=keys))


def test_the_uplift_interval_widens_with_the_discounts_uncertainty_and_the_plan_stays(model):
    fixed = copy.copy(model)
    fixed.extrapolation_spread = 0.0
    obj = Objective(budget=float(model.items_["current_daily_spend"].sum()) * 2, period="day")
    plan, plan_fixed = recommend(model, obj), recommend(fixed, obj)
    assert np.array_equal(plan.items["daily_budget"], plan_fixed.items["daily_budget"])
    assert plan.uplift["change"] == plan_fixed.uplift["change"]
    (lo, hi), (flo, fhi) = plan.uplift["interval"], plan_fixed.uplift["interval"]
    assert lo < flo and hi > fhi and lo < plan.uplift["change"] < hi


def test_an_audience_pool_is_drawn_once_for_all_its_members(model):
    pool = model.pooled_[0]
    rows = np.flatnonzero(model.pool_of_ == pool)
    keys = [model.keys_[i] for i in rows]
    x = model.reach_[rows] * 0.5
    draws = model.plan_draws(x, keys=keys)
    picked = model.pooled_draws(rows)[0]
    assert picked.sum() == round(model.pool_weight_[rows[0]] * model.n_draws)
    assert (model.pooled_draws(rows) == picked).all()                 # the same draws for every member
    # in the pool's draws every member reads its share of one pool-curve draw: their ratio is fixed
    ratio = draws[0, picked] / draws[1, picked]
    assert np.ptp(ratio) < 1e-9 * ratio.mean()
    own = model.predict_draws(x, keys=keys)
    assert np.ptp(own[0, picked] / own[1, picked]) > 0.01
    assert np.allclose(draws.mean(1), model.predict_plan(x, keys=keys))


def test_allocate_respects_a_cap_on_a_group_of_items():
    g = lambda X: saturation(X, np.array([0.2, 0.2, 0.05]), np.array([500.0, 500.0, 500.0]))
    free = allocate(g, ["a", "a", "b"], Constraints(budget=300.0))
    assert free[:2].sum() > 250
    capped = allocate(g, ["a", "a", "b"], Constraints(budget=300.0, groups=np.array(["p", "p", "q"]),
                                                       group_max={"p": 120.0}))
    assert capped[:2].sum() <= 120.0 + 1e-6 and capped.sum() == pytest.approx(300.0)


def test_audiences_shared_by_line_items_are_capped_together(model):
    plan = recommend(model, Objective(budget=float(model.items_["current_daily_spend"].sum()) * 3, period="day"))
    cons = plan.constraints
    assert cons.groups is not None and set(cons.group_max) == set(cons.groups)
    used = plan.candidates.assign(g=cons.groups).groupby("g")["daily_budget"].sum()
    assert all(used[g] <= cons.group_max[g] + 1e-6 for g in used.index)


def test_qualification_rates_shrink_toward_the_platform():
    df, _ = make_history(seed=3, n_items=8, days=300)
    m = ResponseModel(metrics=("leads", "conversions"), n_draws=20).fit(df)
    q = qualification_rates(m)
    items = m.items_
    raw = items["conversions"] / items["leads"]
    assert ((q > 0) & (q < 1)).all()
    plat = items.groupby("platform")[["leads", "conversions"]].sum()
    prior = items["platform"].map(plat["conversions"] / plat["leads"])
    # every shrunk rate lies between the item's own rate and (about) its platform's
    lo, hi = np.minimum(raw, prior) - 0.02, np.maximum(raw, prior) + 0.02
    assert ((q >= lo) & (q <= hi)).all()


def test_a_brief_asking_for_qualified_leads_plans_sales_and_says_what_it_costs(model):
    obj = parse_brief("We want qualified leads, $150 a day")
    assert obj.goal == "conversions" and obj.lead_quality
    plan = recommend(model, obj)
    volume = recommend(model, Objective(goal="leads", budget=150.0, period="day"))
    q = plan.quality
    assert q["leads_given_up"] == pytest.approx(volume.expected["leads"] - plan.expected["leads"], abs=0.02)
    assert q["qualification_rate"] >= volume.quality["qualification_rate"] - 1e-9
    assert q["target"] == [0.08, 0.12] and any("leads that become sales" in n for n in plan.notes)


def test_marginal_cost_per_platform_agrees_at_the_optimum_or_names_the_constraint(model):
    plan = recommend(model, Objective(budget=150.0, period="day"))
    mr = marginal_returns(model, plan)
    assert set(mr["platform"]) == set(plan.items["platform"])
    assert (mr["within"] | mr["constraint"].notna()).all()
    capped = recommend(model, Objective(budget=150.0, period="day",
                                        platform_max_share={mr["platform"].iloc[0]: 0.05}))
    row = marginal_returns(model, capped).set_index("platform").loc[mr["platform"].iloc[0]]
    assert row["constraint"] in ("platform cap", "smallest useful line-item budget")


def test_forecast_range_widens_with_model_error(model):
    plan = recommend(model, Objective(budget=120.0, period="day"))
    narrow = forecast_range(model, plan, model_error=0.0)
    wide = forecast_range(model, plan, model_error=0.2)
    assert wide["hi"] - wide["lo"] > narrow["hi"] - narrow["lo"]
    assert narrow["lo"] < narrow["mean"] < narrow["hi"]
    # each outcome has its own default: sales carry the qualification rate's error too
    from core.recommendations.forecast import MODEL_ERROR

    assert MODEL_ERROR["conversions"] > MODEL_ERROR["leads"]
    assert forecast_range(model, plan, metric="conversions") == forecast_range(
        model, plan, metric="conversions", model_error=MODEL_ERROR["conversions"])
    assert forecast_range(model, plan) == forecast_range(model, plan, model_error=MODEL_ERROR["leads"])


def test_replan_spreads_what_is_left_over_the_days_left(model):
    obj = Objective(budget=3000.0, period="month")
    plan = replan(model, obj, spent=2000.0, days_left=10)
    assert plan.objective.daily_budget == pytest.approx(100.0)
    assert plan.items["daily_budget"].sum() <= 100.0 + 1e-6
    with pytest.raises(BadInputError):
        replan(model, obj, spent=3000.0, days_left=5)
    with pytest.raises(BadInputError):
        replan(model, obj, spent=0.0, days_left=0)


@pytest.fixture(scope="module")
def cheap_weak_leads():
    """A history where the line items with the cheapest leads bring the weakest ones."""
    df, _ = make_history(seed=12, n_items=12, days=420)
    per = df.groupby("campaign_id")[["leads", "spend"]].sum()
    rate = (0.25 - 0.1 * (per["leads"] / per["spend"]).rank(pct=True)).to_dict()
    df["conversions"] = np.random.default_rng(0).binomial(df["leads"].astype(int), df["campaign_id"].map(rate))
    # each line item on its own curve (the history has no shared saturation): the test is about lead quality
    m = ResponseModel(n_draws=60, pool_blend=0.0).fit(df)
    return m, float(m.items_["current_daily_spend"].sum())


def test_lead_values_run_from_lead_volume_to_sales_and_beyond():
    from core.recommendations.quality import lead_values

    q = np.array([0.1, 0.2, 0.4])
    assert np.allclose(lead_values(q, 0.2, 0.0), 1.0)
    assert np.allclose(lead_values(q, 0.2, 1.0), q / 0.2)
    strong = lead_values(q, 0.2, 3.0)
    assert strong[0] == 0.0 and strong[2] / strong[1] > 2.0


def test_a_plan_for_leads_gives_up_a_few_leads_to_lower_its_lead_quality_less(cheap_weak_leads):
    m, budget = cheap_weak_leads
    obj = Objective(goal="leads", budget=budget, period="day")
    free = recommend(m, obj, quality_floor=None)
    kept = recommend(m, obj)
    assert free.quality["change"] < 0                       # volume alone buys the cheap, weak leads
    assert kept.quality["change"] > free.quality["change"] + 0.01
    assert free.expected["leads"] * 0.95 - 0.05 <= kept.expected["leads"] < free.expected["leads"]
    assert any("chance of a sale" in n and "leads" in n for n in kept.notes)


def test_a_quality_brief_lifts_quality_beyond_the_sales_optimum_within_its_sales_allowance(cheap_weak_leads):
    m, budget = cheap_weak_leads
    obj = Objective(goal="conversions", lead_quality=True, budget=budget, period="day")
    sales_only = recommend(m, obj, quality_floor=None)
    steered = recommend(m, obj)
    assert steered.quality["change"] > sales_only.quality["change"]
    assert steered.expected["conversions"] >= sales_only.expected["conversions"] * 0.95 - 0.05
    assert steered.quality["leads_given_up"] > 0
