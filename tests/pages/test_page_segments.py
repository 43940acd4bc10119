"""Segments page: segments, charts and the audience export; incremental runs; the empty note."""

from __future__ import annotations

from core.segments import synthetic_customers
from core.warehouse import Warehouse
from tests.pages.conftest import error_texts, open_page


def _load(db_path, n: int, seed: int) -> None:
    frame, _ = synthetic_customers(n, random_state=seed)
    wh = Warehouse.open(db_path)
    wh.ingest_records("customers", frame.to_dict(orient="records"))
    wh.close()


def test_segments_page_shows_named_segments(db_path):
    _load(db_path, 400, seed=1)
    at = open_page("segments")
    assert not at.exception, at.exception
    assert not error_texts(at)
    assert {m.label: m.value for m in at.metric}["Segments"] == "4"
    table = at.dataframe[0].value
    assert len(table) == 4 and table["name"].is_unique and table["size"].sum() == 400
    assert len(at.get("plotly_chart")) >= 4  # map, profiles, k curve, history
    assert at.selectbox(key="segments.audience").options


def test_by_hand_k_then_full_resegmentation(db_path):
    _load(db_path, 300, seed=2)
    at = open_page("segments")
    at.toggle(key="segments.auto").set_value(False)
    at.number_input(key="segments.k").set_value(3)
    at.button(key="segments.apply").click().run()
    assert not at.exception and not error_texts(at)
    assert {m.label: m.value for m in at.metric}["Segments"] == "3"
    at.button(key="segments.full").click().run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 3


def test_new_customers_join_existing_segments(db_path):
    _load(db_path, 300, seed=3)
    at = open_page("segments")
    assert not at.exception
    _load(db_path, 60, seed=4)  # another ingest: new ids
    at2 = open_page("segments")
    assert not at2.exception and not error_texts(at2)
    metrics = {m.label: m.value for m in at2.metric}
    assert metrics["Customers"] == "360" and metrics["Updates since last full run"] == "1"


def test_empty_workspace_gets_a_friendly_note(db_path):
    at = open_page("segments")
    assert not at.exception and not error_texts(at)
    assert any("No customers" in i.value for i in at.info)


def test_too_few_customers_gets_a_note_not_an_error(loaded_db):
    at = open_page("segments")  # the contract example: one customer
    assert not at.exception and not error_texts(at)
    assert any("at least 10 customers" in i.value for i in at.info)


def test_sample_workspace_shows_value_per_segment_and_the_at_risk_list(db_path):
    from tests.pages.conftest import ROOT

    sample = ROOT / "data" / "sample" / "workspace.json.gz"
    wh = Warehouse.open(db_path)
    wh.ingest(sample)
    wh.close()
    at = open_page("segments", timeout=180)
    assert not at.exception, at.exception
    assert not error_texts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Stability"].endswith(("(stable)", "(fragile)"))
    frames = [d.value for d in at.dataframe]
    value = next(f for f in frames if "value_per_customer" in f.columns)
    assert value["customers"].sum() == 2500 and (value["expected_value"] >= 0).all()
    assert value["share_alive"].between(0, 1).all()
    risk = next(f for f in frames if "value_at_stake" in f.columns)
    assert len(risk) > 0 and (risk["p_alive"] < 0.5).all() and (risk["orders"] > 1).all()

