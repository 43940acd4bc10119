"""Scheduling page: heatmap, intervals, habit, calendar downloads, forecast with backtest; no refit on a
widget change; the empty note."""

from __future__ import annotations

import pytest

from core import scheduling
from core.warehouse import Warehouse
from tests.core._scheduling_synth import synthetic_campaigns, synthetic_posts
from tests.pages.conftest import error_texts, open_page


@pytest.fixture
def social_db(db_path):
    wh = Warehouse.open(db_path)
    wh.ingest_records("posts", synthetic_posts(500, random_state=3).to_dict(orient="records"))
    wh.ingest_records("campaigns", synthetic_campaigns(150, random_state=3).to_dict(orient="records"))
    wh.close()
    return db_path


@pytest.fixture
def fit_counter(monkeypatch):
    """Count Prophet and slot-model fits made by the page (same process as AppTest)."""
    calls = {"forecast": 0, "best": 0}
    fc_fit, bt_fit = scheduling.Forecaster.fit, scheduling.BestTimes.fit

    def count_fc(self, *a, **k):
        calls["forecast"] += 1
        return fc_fit(self, *a, **k)

    def count_bt(self, *a, **k):
        calls["best"] += 1
        return bt_fit(self, *a, **k)

    monkeypatch.setattr(scheduling.Forecaster, "fit", count_fc)
    monkeypatch.setattr(scheduling.BestTimes, "fit", count_bt)
    return calls


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_page_ranks_slots_shows_calendar_and_forecast(social_db, fit_counter):
    at = open_page("scheduling", timeout=120)
    assert not at.exception, at.exception
    assert not error_texts(at)
    assert at.title[0].value == "Scheduling"
    m = _metrics(at)
    assert m["Best slot"][:3] in {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    assert "MASE (Prophet)" in m and float(m["MASE (Prophet)"]) > 0
    assert len(at.get("plotly_chart")) >= 5  # heatmap, intervals, habit, forecast, backtest
    top = at.dataframe[0].value
    assert len(top) == 5 and (top["lower"] <= top["expected_engagement_rate"]).all()
    cal = at.dataframe[1].value
    assert len(cal) > 0 and cal["start"].min() > cal["start"].min().normalize()  # a time of day, not midnight
    labels = [b.label for b in at.get("download_button")]
    assert ".ics" in labels and labels.count("CSV") >= 3
    assert fit_counter == {"forecast": 1, "best": 1}

    # a mere widget change (media type, posts a week) never refits
    at.slider(key="scheduling.per_week").set_value(2).run()
    assert not at.exception
    assert len(at.dataframe[1].value) == 4  # 2 a week over two weeks
    assert fit_counter == {"forecast": 1, "best": 1}

    # a form submit with new settings refits only what changed
    at.selectbox(key="scheduling.metric").set_value("clicks")
    at.number_input(key="scheduling.horizon").set_value(14)
    at.button[[b.label for b in at.button].index("Forecast")].click().run()
    assert not at.exception and not error_texts(at)
    assert len(at.dataframe[2].value) == 14
    assert fit_counter == {"forecast": 2, "best": 1}


def test_time_zone_and_platform_choice(social_db):
    at = open_page("scheduling", timeout=120)
    at.selectbox(key="scheduling.tz").set_value("Asia/Tokyo")
    at.selectbox(key="scheduling.platform").set_value("facebook")
    at.number_input(key="scheduling.min_posts").set_value(3)
    at.button[[b.label for b in at.button].index("Rank slots")].click().run()
    assert not at.exception and not error_texts(at)
    top = at.dataframe[0].value
    assert (top["posts"] >= 3).all() and set(top["platform"]) == {"facebook"}
    assert at.radio(key="scheduling.media").options[0] == "all"


def test_empty_workspace_gets_a_friendly_note(db_path):
    at = open_page("scheduling")
    assert not at.exception and not error_texts(at)
    assert any("No posts" in i.value for i in at.info)
