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


def test_first_open_trains_the_families_then_a_retrain_shows_its_run(db_path, tmp_path, monkeypatch):
    store = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
    _load_sample(db_path)
    at = open_page("models", timeout=300)
    assert not at.exception, at.exception
    assert not error_texts(at)
    table = at.dataframe[0].value.set_index("family")
    assert set(table.index) == FAMILIES
    # the page opens on versions and figures, never on a table of "None"
    for fam in ("recommendations", "monitoring", "scheduling", "segments", "roi"):
        assert table.loc[fam, "version"] == "v1" and table.loc[fam, "value"] != "–", fam
    assert not table.isna().any().any() and not (table.astype(str) == "None").any().any()
    assert "experiment" in table.loc["bandits", "status"]          # says why it has no model
    # drift is judged only where there is something to compare: just trained on these data, none is
    assert set(table["drift"]) == {"not judged"} and not at.warning
    assert store.exists() and f"sqlite:///{store}" in at.code[0].value and "mlflow ui" in at.code[0].value
    runs = _frame_with(at, "data_version")
    first_runs = len(runs)
    assert first_runs >= 5
    assert at.get("plotly_chart")

    at.multiselect(key="models.families").set_value(["segments"])
    at.checkbox(key="models.force").check()
    at.button(key="models.retrain").click().run()          # same data, forced: one more run, tracked
    assert not at.exception, at.exception
    assert not error_texts(at)
    results = _frame_with(at, "retrained")
    assert results["family"].tolist() == ["segments"] and bool(results["retrained"].iloc[0])
    assert results["reason"].tolist() == ["forced"]
    assert len(_frame_with(at, "data_version")) == first_runs + 1


def test_models_in_use_lists_the_fits_the_pages_answer_with(db_path):
    _load_sample(db_path)
    at = open_page("monitoring", timeout=180)   # fits the monitor through the shared store
    at.switch_page("pages/models.py").run(timeout=300)
    assert not at.exception and not error_texts(at)
    in_use = _frame_with(at, "parameters")
    assert {"monitoring", "sentiment head"} <= set(in_use["model"])
    assert in_use.set_index("model").loc["monitoring", "kind"] == "Monitor"
