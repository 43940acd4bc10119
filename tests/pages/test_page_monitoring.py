"""Monitoring page: incidents first, band chart, acknowledge (survives a restart), replay, empty note."""

from __future__ import annotations

import pandas as pd
import pytest

from core import monitoring
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
