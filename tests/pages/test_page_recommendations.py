"""Recommendations page: brief -> form at once -> plan, curves, budget slider, scenarios, report, backtest."""

from __future__ import annotations

import pytest

from core.warehouse import Warehouse
from tests.core._recommendations_synth import make_history, to_records
from tests.pages.conftest import error_texts, open_page


@pytest.fixture
def rec_db(db_path):
    df, _ = make_history(seed=8, n_items=8, days=400)
    wh = Warehouse.open(db_path)
    wh.ingest_records("campaigns", to_records(df))
    wh.close()
    return db_path


def _plan_table(at):
    return next(d.value for d in at.dataframe if "why" in d.value.columns)


def _plan(at):
    at.button(key="FormSubmitter:recommendations.objective_form-Plan").click().run()
    return at


def _read(at, brief):
    at.text_area(key="recommendations.brief").set_value(brief)
    at.button(key="FormSubmitter:recommendations.brief_form-Read the brief").click().run()
    return at


def test_brief_is_read_back_and_planned(rec_db):
    at = open_page("recommendations", timeout=120)
    assert not at.exception and not error_texts(at)
    # the parsed objective is shown back, editable, and in a marketer's words
    assert at.number_input(key="recommendations.budget").value == 6000.0
    assert at.selectbox(key="recommendations.period").value == "month"
    assert at.multiselect(key="recommendations.platforms").value == ["facebook", "google"]
    assert at.selectbox(key="recommendations.gender").value == "female"
    said = " ".join(m.value for m in at.markdown)
    assert "You spend $6,000 a month" in said and "Only on Facebook and Google" in said
    _plan(at)
    assert not at.exception, at.exception
    assert not error_texts(at), error_texts(at)
    labels = [m.label for m in at.metric]
    assert {"Expected leads a month", "Expected CPL", "Revenue a month", "Forecast error, week by week"} <= set(labels)
    uplift = next(m for m in at.metric if m.label == "Expected leads a month")
    assert "vs today's mix" in uplift.delta                      # never a bare "+489%"
    plan = _plan_table(at)
    assert set(plan["platform"]) <= {"facebook", "google"} and "revenue" in plan.columns
    assert plan["daily_budget"].sum() <= 6000 * 12 / 365 + 0.01
    assert len(at.get("plotly_chart")) >= 4          # allocation, curves, budget sweep, backtest
    assert any(b.proto.label == "Plan report (HTML)" for b in at.get("download_button"))


def test_a_new_brief_fills_the_form_at_once_and_is_planned(rec_db):
    at = open_page("recommendations", timeout=120)
    _read(at, "We want more leads, $90 a day on Instagram only, men 45-64")
    assert at.number_input(key="recommendations.budget").value == 90.0
    assert at.selectbox(key="recommendations.period").value == "day"
    assert at.multiselect(key="recommendations.platforms").value == ["instagram"]
    assert at.selectbox(key="recommendations.gender").value == "male"
    assert at.slider(key="recommendations.ages").value == (45, 64)
    _plan(at)
    assert not at.exception and not error_texts(at), error_texts(at)
    plan = _plan_table(at)
    assert set(plan["platform"]) == {"instagram"} and plan["daily_budget"].sum() <= 90 + 1e-6
    assert all("men" in a or "all" in a for a in plan["audience"])


def test_a_platform_minimum_is_a_minimum_and_a_missing_budget_is_offered(rec_db):
    at = open_page("recommendations", timeout=120)
    _read(at, "More leads please. Keep Instagram at $20 a day minimum")
    assert not at.warning or not any("What budget" in w.value for w in at.warning)
    offered = at.number_input(key="recommendations.budget").value
    assert offered > 0 and at.multiselect(key="recommendations.platforms").value == []
    assert any("last 90 days" in c.value for c in at.caption)
    limits = at.get("arrow_data_frame") or at.dataframe
    _plan(at)
    assert not at.exception and not error_texts(at), error_texts(at)
    plan = _plan_table(at)
    assert len(set(plan["platform"])) > 1                            # not "Instagram only"
    assert plan.loc[plan["platform"] == "instagram", "daily_budget"].sum() >= 20 - 1e-6
    assert limits is not None


def test_two_budgets_are_offered_as_a_choice_not_a_refusal(rec_db):
    at = open_page("recommendations", timeout=120)
    _read(at, "Leads. Our budget is $6,000 a month but we can only do $100 a day")
    radio = at.radio(key="recommendations.budget_pick0")
    assert "two budgets" in radio.label
    radio.set_value(1).run()
    assert at.number_input(key="recommendations.budget").value == 100.0
    assert at.selectbox(key="recommendations.period").value == "day"
    _plan(at)
    assert not error_texts(at), error_texts(at)
    assert _plan_table(at)["daily_budget"].sum() <= 100 + 1e-6


def test_editing_the_objective_changes_the_plan(rec_db, monkeypatch):
    from core import recommendations as rec

    sweeps = []
    real_sweep = rec.budget_sweep
    monkeypatch.setattr(rec, "budget_sweep", lambda *a, **kw: sweeps.append(1) or real_sweep(*a, **kw))
    at = open_page("recommendations", timeout=120)
    at.number_input(key="recommendations.budget").set_value(50.0)
    at.selectbox(key="recommendations.period").set_value("day")
    at.multiselect(key="recommendations.platforms").set_value(["google"])
    _plan(at)
    assert not at.exception and not error_texts(at)
    plan = _plan_table(at)
    assert set(plan["platform"]) == {"google"} and plan["daily_budget"].sum() <= 50.0 + 1e-6
    leads_at_1 = next(m.value for m in at.metric if m.label == "Expected leads/day")
    at.select_slider(key="recommendations.factor").set_value(2.0).run()
    assert not at.exception
    # the slider reads the kept sweep (six plans) instead of planning them again on every rerun
    assert len(sweeps) == 1
    assert next(m.value for m in at.metric if m.label == "Expected leads/day") != leads_at_1


def test_scenarios_are_saved_and_compared(rec_db):
    at = open_page("recommendations", timeout=120)
    at.text_input(key="recommendations.client").set_value("Acme Dental")
    _read(at, "More leads, $4,000 a month, Google and Facebook")
    _plan(at)
    at.text_input(key="recommendations.scenario_name").set_value("Base $4k")
    at.button(key="recommendations.save_scenario").click().run()
    _read(at, "More leads, $2,000 a month, Google only")
    _plan(at)
    at.text_input(key="recommendations.scenario_name").set_value("Google $2k")
    at.button(key="recommendations.save_scenario").click().run()
    assert not at.exception and not error_texts(at), error_texts(at)
    side = next(d.value for d in at.dataframe if "figure" in d.value.columns)
    assert {"Base $4k", "Google $2k"} <= set(side.columns)
    assert "leads a day" in set(side["figure"]) and "spend on facebook ($/day)" in set(side["figure"])


def test_the_brief_survives_a_page_change(rec_db):
    at = open_page("recommendations", timeout=120)
    _read(at, "Sales, $70 a day, Facebook only")
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/recommendations.py").run()
    assert at.text_area(key="recommendations.brief").value == "Sales, $70 a day, Facebook only"
    assert at.number_input(key="recommendations.budget").value == 70.0
    assert at.selectbox(key="recommendations.goal").value == "conversions"


def test_empty_workspace_gets_a_friendly_note(db_path):
    at = open_page("recommendations")
    assert not at.exception and not error_texts(at)
    assert any("No campaign data" in i.value for i in at.info)


def test_a_brief_for_qualified_leads_shows_quality_and_marginal_costs(rec_db):
    at = open_page("recommendations", timeout=120)
    _read(at, "We want qualified leads, $120 a day")
    assert at.selectbox(key="recommendations.goal").value == "conversions"
    assert any("leads that become paying customers" in m.value for m in at.markdown)
    _plan(at)
    assert not at.exception and not error_texts(at), error_texts(at)
    said = " ".join(c.value for c in at.caption)
    assert "Lead quality" in said and "the target is +8% to +12%" in said and "gives up" in said
    margins = next(d.value for d in at.dataframe if "marginal_cost" in d.value.columns)
    assert (margins["within"] | margins["constraint"].notna()).all()
