"""Models page: the empty note, every family listed with drift, a retrain from the page tracked in MLflow."""

from __future__ import annotations

from core import sample_data
from core.warehouse import Warehouse
from tests.pages.conftest import error_texts, open_page

FAMILIES = {"recommendations", "monitoring", "scheduling", "sentiment", "segments", "roi", "bandits"}


def _load_sample(db_path) -> None:
    ws = sample_data.generate(seed=4, days=240, n_line_items=6, n_posts=150, n_comments=60, n_customers=200)
    wh = Warehouse.open(db_path)
    for table, records in ws.records().items():
        wh.ingest_records(table, records)
    wh.close()


def _frame_with(at, column: str):
    """The first dataframe on the page holding ``column`` (the results and runs tables differ in columns)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_empty_workspace_gets_a_friendly_note(db_path):
    at = open_page("models")
    assert not at.exception, at.exception
    assert not error_texts(at)
    assert any("No campaign data" in i.value for i in at.info)


def test_families_listed_then_a_retrain_shows_its_run(db_path, tmp_path, monkeypatch):
    store = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
    _load_sample(db_path)
    at = open_page("models", timeout=120)
    assert not at.exception, at.exception
    assert not error_texts(at)
    table = at.dataframe[0].value
    assert set(table["family"]) == FAMILIES and table["version"].isna().all()
    assert set(table["drift"]) <= {"drift", "stable", "no data", "error"}
    assert any("No model has been trained" in i.value for i in at.info)
    assert f"sqlite:///{store}" in at.code[0].value and "mlflow ui" in at.code[0].value

    at.multiselect(key="models.families").set_value(["segments"])
    at.button(key="models.retrain").click().run()
    assert not at.exception, at.exception
    assert not error_texts(at)
    table = at.dataframe[0].value.set_index("family")
    assert table.loc["segments", "version"] == "v1" and table.loc["segments", "primary_metric"] == "silhouette"
    assert table.drop(index="segments")["version"].isna().all()
    results = _frame_with(at, "retrained")
    assert results["family"].tolist() == ["segments"] and bool(results["retrained"].iloc[0])
    runs = _frame_with(at, "data_version")
    assert len(runs) == 1 and runs["run_id"].iloc[0] == table.loc["segments", "run_id"]
    assert at.get("plotly_chart")
    assert store.exists()

    at.checkbox(key="models.force").check()
    at.button(key="models.retrain").click().run()          # same data, forced: a second run, tracked
    assert not at.exception and not error_texts(at)
    assert len(_frame_with(at, "data_version")) == 2
    assert _frame_with(at, "retrained")["reason"].tolist() == ["forced"]
