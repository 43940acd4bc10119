"""Monitoring page: incidents first, band chart, acknowledge (survives a restart), replay, empty note."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from core import monitoring
from core.monitoring import revisions
from core.warehouse import Warehouse
from tests.core._monitoring_synth import synthetic_campaigns, to_records
from tests.pages.conftest import error_texts, open_page


@pytest.fixture
def incident_db(db_path):
    frame = synthetic_campaigns(8, 150, random_state=2)
    last = frame["date"].max()
    cid = frame.groupby("campaign_id")["leads"].mean().idxmax()
    broken = (frame["campaign_id"] == cid) & (frame["date"] > last - pd.Timedelta(days=4))
    frame.loc[broken, ["leads", "conversions"]] = 0
    wh = Warehouse.open(db_path)
    wh.ingest_records("campaigns", to_records(frame))
    wh.close()
    return db_path, cid


def _metric(at, label):
    return next(m for m in at.metric if m.label == label)


def test_page_shows_open_incidents_band_and_replay(incident_db):
    _, cid = incident_db
    at = open_page("monitoring")
    assert not at.exception and not error_texts(at)
    assert at.title[0].value == "Monitoring"
    assert int(_metric(at, "Open incidents").value) == 1
    incidents = at.dataframe[0].value
    assert incidents["status"].iloc[0] == "open" and incidents["kind"].iloc[0] == "tracking_stopped"
    assert at.selectbox(key="monitoring.campaign").value == cid  # the chart opens on the incident's campaign
    assert at.get("plotly_chart")
    # filters: a kind with no incident empties the table
    at.multiselect(key="monitoring.kind").set_value(["overspend"]).run()
    assert not at.exception
    assert any("No incidents" in s.value for s in at.success)


def test_acknowledge_survives_a_restart(incident_db):
    db_path, cid = incident_db
    at = open_page("monitoring")
    at.radio(key="monitoring.ack_action").set_value("acknowledge")
    at.text_input(key="monitoring.ack_note").input("on it")
    at.button[[b.label for b in at.button].index("Apply")].click().run()
    assert not at.exception
    wh = Warehouse.open(db_path)
    acks = monitoring.load_acks(wh)
    wh.close()
    assert acks["campaign_id"].tolist() == [cid] and acks["note"].tolist() == ["on it"]
    import streamlit as st

    st.cache_resource.clear()  # a fresh server process
    st.cache_data.clear()
    at = open_page("monitoring")
    assert int(_metric(at, "Open incidents").value) == 0
    at.toggle(key="monitoring.show_all").set_value(True).run()
    assert at.dataframe[0].value["status"].tolist() == ["acknowledged"]


def test_sensitivity_setting_refits(incident_db):
    at = open_page("monitoring")
    at.select_slider(key="monitoring.sensitivity").set_value("low")
    at.number_input(key="monitoring.days").set_value(30)
    at.button[[b.label for b in at.button].index("Check")].click().run()
    assert not at.exception and not error_texts(at)


def test_empty_workspace_gets_a_friendly_note(db_path):
    at = open_page("monitoring")
    assert not at.exception and not error_texts(at)
    assert any("No campaign data" in i.value for i in at.info)


def test_a_few_days_of_data_render_without_incidents(loaded_db):
    at = open_page("monitoring")
    assert not at.exception and not error_texts(at)
    assert int(_metric(at, "Open incidents").value) == 0
    assert at.get("plotly_chart")


@pytest.fixture
def overspend_db(db_path):
    frame = synthetic_campaigns(8, 150, random_state=2)
    last = frame["date"].max()
    cid = frame.groupby("campaign_id")["spend"].mean().idxmax()
    day = (frame["campaign_id"] == cid) & (frame["date"] == last)
    frame.loc[day, "spend"] = frame.loc[day, "daily_budget"] * 2.5
    wh = Warehouse.open(db_path)
    wh.ingest_records("campaigns", to_records(frame))
    wh.close()
    return db_path, cid


def test_incident_carries_a_proposed_action_applied_as_a_revision_and_undone(overspend_db):
    db_path, cid = overspend_db
    at = open_page("monitoring")
    assert not at.exception and not error_texts(at)
    view = at.dataframe[0].value
    row = view[view["kind"] == "overspend"].iloc[0]
    assert row["action"].startswith("Lower the budget cap of") and "saves about $" in row["effect"]
    at.text_input(key="monitoring.apply_who").input("Dana")
    at.button[[b.label for b in at.button].index("Apply this action")].click().run()
    assert not at.exception and not error_texts(at)
    wh = Warehouse.open(db_path)
    revs = revisions.revisions(wh)
    wh.close()
    assert revs["who"].tolist() == ["Dana"] and revs["kind"].tolist() == ["overspend"]
    budgets = revisions.current_budgets(revs)
    assert budgets["campaign_id"].tolist() == [cid] and budgets["after"].iloc[0] < budgets["before"].iloc[0]
    at.run()
    assert any(d.value is not None and "who" in d.value for d in at.dataframe)  # the revisions table
    at.button[[b.label for b in at.button].index("Undo")].click().run()
    wh = Warehouse.open(db_path)
    assert revisions.revisions(wh)["status"].tolist() == ["undone"]
    wh.close()


def test_watching_worker_and_stale_data_are_said(incident_db):
    from core.worker import share

    db_path, _ = incident_db
    share.write_heartbeat(db_path, state="watching", last_file="day-1.json", last_file_at=time.time() - 125,
                          queue=0, checked_through="2026-10-31")
    try:
        at = open_page("monitoring")
        assert not at.exception and not error_texts(at)
        assert any(i.value.startswith("watching: last file 2 min ago") for i in at.info)
        assert any("Data ends Oct 31" in w.value for w in at.warning)  # the synthetic data ends 2026-10-31
    finally:
        share.write_heartbeat(db_path, state="stopped")
