"""Data page: counts, ingest history, reset behind a confirmation."""

from pathlib import Path

import pytest

from core.warehouse import Warehouse
from tests.pages.conftest import error_texts, open_page


def test_data_page_shows_counts_and_history(loaded_db):
    at = open_page("data")
    assert not at.exception and not error_texts(at)
    assert {m.label: m.value for m in at.metric}["Campaigns"] == "3"
    assert any("file_name" in df.value.columns for df in at.dataframe)


def test_reset_needs_confirmation(loaded_db):
    at = open_page("data")
    reset = at.button(key="data.reset")
    assert reset.disabled
    at.checkbox(key="data.confirm_reset.default").check().run()
    at.button(key="data.reset").click().run()
    assert not at.exception
    wh = Warehouse.open(loaded_db)
    try:
        assert wh.is_empty()
    finally:
        wh.close()


def test_empty_workspace_data_page_works(db_path):
    at = open_page("data")
    assert not at.exception and not error_texts(at)


def test_public_example_imports_from_shared_datasets(db_path, shared_datasets):
    at = open_page("data")
    at.selectbox(key="data.example").set_value("ab-control-test").run()
    at.button(key="data.load_example").click().run()
    assert not at.exception and not error_texts(at)
    wh = Warehouse.open(db_path)
    try:
        assert wh.counts()["campaigns"] > 50
    finally:
        wh.close()


def _ab_test_datasets(tmp_path, monkeypatch) -> None:
    """A data sets folder holding the A/B test example (the fixture's rows), named by WORKBENCH_DATASETS."""
    import shutil

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "importers"
    ab = tmp_path / "sets" / "ab-campaign-control-test"
    ab.mkdir(parents=True)
    for name in ("control_group.csv", "test_group.csv"):
        shutil.copy(fixtures / name, ab / name)
    monkeypatch.setenv("WORKBENCH_DATASETS", str(tmp_path / "sets"))


def test_public_examples_come_from_the_configured_datasets_folder(db_path, tmp_path, monkeypatch):
    """One setting names the data sets folder (WORKBENCH_DATASETS): the examples are looked up there."""
    _ab_test_datasets(tmp_path, monkeypatch)
    at = open_page("data")
    options = at.selectbox(key="data.example").options                     # shown by their labels
    assert len(options) == 2 and options[1].startswith("A/B test")
    at.selectbox(key="data.example").set_value("ab-control-test").run()
    at.button(key="data.load_example").click().run()
    assert not at.exception and not error_texts(at)
    wh = Warehouse.open(db_path)
    try:
        assert wh.counts()["campaigns"] > 0
    finally:
        wh.close()


@pytest.fixture
def watching(loaded_db, tmp_path):
    """The monitor worker's hold on the workspace file and its inbox, as the page sees them: (inbox, owner)."""
    from core.worker import share

    box = tmp_path / "inbox"
    owner = Warehouse.open(loaded_db)
    share.write_heartbeat(loaded_db, state="watching", inbox=str(box),
                          snapshot=str(share.publish_snapshot(owner, loaded_db)))
    yield box, owner
    owner.close()


def test_uploads_go_to_the_workers_inbox_while_it_watches(watching, example_file):
    """The worker owns the file: an upload must reach it through its inbox, not vanish into a snapshot."""
    from core.worker import inbox as worker_inbox

    box, owner = watching
    at = open_page("data")
    at.file_uploader(key="data.files").set_value(("more.json", example_file.read_bytes(), "application/json"))
    at.button(key="FormSubmitter:data.upload_form-Load").click().run()
    assert not at.exception and not error_texts(at)
    assert any("went to its inbox" in i.value for i in at.info)
    (queued,) = worker_inbox.candidates(box)
    assert queued.name.endswith("more.json") and queued.read_bytes() == example_file.read_bytes()
    assert worker_inbox.account_of(queued) == "default"
    assert owner.counts()["campaigns"] == 3  # nothing written behind the worker's back


def test_the_sample_and_the_public_examples_go_to_the_workers_inbox_while_it_watches(watching, tmp_path,
                                                                                   monkeypatch):
    import json

    from core.connectors import ingest_paths
    from core.worker import inbox as worker_inbox

    box, owner = watching
    _ab_test_datasets(tmp_path, monkeypatch)
    at = open_page("data")
    at.selectbox(key="data.example").set_value("ab-control-test").run()
    at.button(key="data.load_example").click().run()
    assert not at.exception and not error_texts(at) and any("went to its inbox" in i.value for i in at.info)
    (example,) = worker_inbox.candidates(box)
    assert example.suffix == ".json" and json.loads(example.read_text())["campaigns"]
    assert ingest_paths(owner, [example]).loaded["campaigns"] > 0      # a contract file the worker loads as is
    example.unlink()
    before = owner.counts()["campaigns"]
    at.button(key="data.load_sample").click().run()
    assert not at.exception and not error_texts(at)
    (sample,) = worker_inbox.candidates(box)
    assert sample.name.endswith("workspace.json.gz")
    assert owner.counts()["campaigns"] == before                       # nothing written behind the worker's back
