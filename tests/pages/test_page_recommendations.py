"""Recommendations page: brief -> editable objective -> plan, curves, budget slider, backtest."""

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


def test_brief_is_read_back_and_planned(rec_db):
    at = open_page("recommendations", timeout=120)
    assert not at.exception and not error_texts(at)
    # the parsed objective is shown back, editable
    assert at.number_input(key="recommendations.budget").value == 6000.0
    assert at.selectbox(key="recommendations.period").value == "month"
    assert at.multiselect(key="recommendations.platforms").value == ["facebook", "google"]
    assert at.selectbox(key="recommendations.gender").value == "female"
    _plan(at)
    assert not at.exception, at.exception
    assert not error_texts(at), error_texts(at)
    labels = [m.label for m in at.metric]
    assert "Expected leads/day" in labels and "Expected CPL" in labels and "Weekly error (WAPE)" in labels
    plan = _plan_table(at)
    assert set(plan["platform"]) <= {"facebook", "google"}
    assert plan["daily_budget"].sum() <= 6000 * 12 / 365 + 0.01
    assert len(at.get("plotly_chart")) >= 4          # allocation, curves, budget sweep, backtest
    assert any(b.label == "CSV" for b in at.get("download_button")) or at.get("download_button")


def test_editing_the_objective_changes_the_plan(rec_db):
    at = open_page("recommendations", timeout=120)
    at.number_input(key="recommendations.budget").set_value(50.0)
    at.selectbox(key="recommendations.period").set_value("day")
    at.multiselect(key="recommendations.platforms").set_value(["google"])
    _plan(at)
    assert not at.exception and not error_texts(at)
    plan = _plan_table(at)
    assert set(plan["platform"]) == {"google"} and plan["daily_budget"].sum() <= 50.0 + 1e-6
    at.select_slider(key="recommendations.factor").set_value(2.0).run()
    assert not at.exception


def test_a_brief_without_budget_is_asked_back(rec_db):
    at = open_page("recommendations", timeout=120)
    at.text_area(key="recommendations.brief").set_value("We want more leads on Facebook")
    at.button(key="FormSubmitter:recommendations.brief_form-Read the brief").click().run()
    assert any("What budget" in w.value for w in at.warning)
    _plan(at)
    assert any("What budget" in e for e in error_texts(at))


def test_empty_workspace_gets_a_friendly_note(db_path):
    at = open_page("recommendations")
    assert not at.exception and not error_texts(at)
    assert any("No campaign data" in i.value for i in at.info)
