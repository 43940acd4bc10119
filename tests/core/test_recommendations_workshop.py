"""The workshop around a plan: form values, budget choices, the offered budget, constraint costs, scenarios."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from core.errors import BadInputError
from core.objectives import Objective, describe_objective, parse_brief
from core.recommendations import ResponseModel, forecast_range, recommend
from core.recommendations import scenarios as sc
from core.recommendations import workshop as ws
from core.warehouse import Warehouse
from tests.core._recommendations_synth import make_history

KNOWN = ["facebook", "google", "instagram", "linkedin"]


@pytest.fixture(scope="module")
def history():
    return make_history(seed=6, n_items=12, days=420)[0]


@pytest.fixture(scope="module")
def model(history):
    return ResponseModel(n_draws=40).fit(history)


def test_form_values_round_trip_to_the_same_objective():
    parsed = parse_brief("Leads, $3,000 a month, Google and Facebook, women 35-54, max 40% on facebook")
    values = ws.form_values(parsed, KNOWN)
    assert values["budget"] == 3000.0 and values["platforms"] == ["facebook", "google"] and values["ages"] == (35, 54)
    same = ws.objective_from_form(parsed, values, ws.limits_frame(parsed, KNOWN))
    assert same.daily_budget == parsed.daily_budget and same.platform_max_share == {"facebook": 0.4}
    assert all(v != "flag" for v in same.source.values())          # nothing was edited
    values["budget"], values["gender"] = 1000.0, "any"
    edited = ws.objective_from_form(parsed, values)
    assert edited.budget == 1000.0 and edited.gender is None and edited.source["budget"] == "flag"


def test_two_budgets_become_a_choice_and_the_form_answers_it():
    parsed = parse_brief("Our budget is $6,000 a month but we can only do $100 a day")
    (choice,) = ws.budget_choices(parsed)
    assert choice.labels == ["$6,000 a month", "$100 a day"]
    picked = ws.apply_choices(parsed, [choice], [1])
    assert picked.daily_budget == 100.0 and not picked.questions
    from_form = ws.objective_from_form(parsed, ws.form_values(parsed, KNOWN))
    assert not from_form.questions and from_form.budget == 6000.0


def test_minimums_above_the_budget_offer_raise_or_lower():
    obj = Objective(budget=50.0, period="day", platform_min={"google": 40.0, "facebook": 30.0}, source={})
    (choice,) = ws.budget_choices(obj)
    assert "more than the budget" in choice.question and len(choice.labels) == 2
    raised = ws.apply_choices(obj, [choice], [0])
    assert raised.daily_budget >= 70.0 and not raised.questions
    lowered = ws.apply_choices(obj, [choice], [1])
    assert sum(lowered.platform_min.values()) <= 50.0 and not lowered.questions


def test_a_brief_without_budget_is_offered_the_last_90_days(history):
    monthly = ws.recent_monthly_spend(history)
    d = pd.to_datetime(history["date"])
    assert monthly == pytest.approx(history.loc[d > d.max() - pd.Timedelta(days=90), "spend"].sum() / 90 * 365 / 12)
    obj = ws.offer_budget(parse_brief("More leads on Facebook"), monthly)
    assert obj.budget == pytest.approx(round(monthly, -1)) and obj.period == "month" and not obj.questions
    assert obj.source["budget"] == "history" and "last 90 days" in obj.notes[-1]
    assert "from your last 90 days" in describe_objective(obj)[1]
    kept = ws.offer_budget(parse_brief("$100 a day"), monthly)
    assert kept.budget == 100.0


def test_constraint_costs_replan_without_each_constraint(model):
    obj = parse_brief("Leads, $150 a day, Google only, women 35-54, at most 2 line items", known_interests=["dental"])
    plan = recommend(model, obj)
    costs = ws.constraint_costs(model, obj, plan)
    assert {"only google", "at most 2 line items", "all constraints"} <= set(costs["constraint"])
    assert (costs["cost"] >= -0.05).all()                                 # lifting a limit never hurts much
    everything = costs.set_index("constraint").loc["all constraints"]
    assert everything["without"] >= costs["without"].max() - 0.05
    assert costs.attrs["plan"] == pytest.approx(plan.expected["leads"])
    text = ws.constraint_verdict(costs, "leads")
    if costs.attrs["plan"] < costs.attrs["todays_mix"]:
        assert "fewer than today's whole mix" in text
    else:
        assert text is None


def test_forecast_range_holds_the_mean(model):
    plan = recommend(model, Objective(budget=120.0, period="day"))
    fr = forecast_range(model, plan)
    assert fr["lo"] < fr["mean"] < fr["hi"] and fr["mean"] == pytest.approx(plan.expected["leads"] * 365 / 12, rel=1e-3)


def test_scenarios_are_saved_listed_compared_and_deleted(model, tmp_path):
    wh = Warehouse.open(tmp_path / "w.duckdb")
    p1 = recommend(model, parse_brief("Leads, $4,000 a month"))
    p2 = recommend(model, parse_brief("Leads, $2,000 a month, Google only"))
    with pytest.raises(BadInputError):
        sc.save_scenario(wh, p1, name=" ", client="Acme")
    id1 = sc.save_scenario(wh, p1, name="Base", client="Acme")
    sc.save_scenario(wh, p2, name="Google", client="Acme")
    sc.save_scenario(wh, p2, name="Other client", client="Bolt")
    listed = sc.list_scenarios(wh, client="Acme")
    assert list(listed["name"]) == ["Base", "Google"] and "payload" not in listed
    side = sc.compare_scenarios(listed).set_index("figure")
    assert side.loc["leads a day", "Base"] == pytest.approx(p1.expected["leads"])
    assert side.loc["spend on facebook ($/day)", "Google"] == 0.0
    assert sc.load_scenario(wh, id1)["expected"] == json.loads(json.dumps(p1.to_payload()["expected"]))
    assert sc.delete_scenario(wh, id1) == 1 and len(sc.list_scenarios(wh, client="Acme")) == 1
    sc.save_brief(wh, "a brief", client="Acme")
    sc.save_brief(wh, "the next brief", client="Acme")
    assert sc.last_brief(wh) == ("the next brief", "Acme")
    wh.close()
