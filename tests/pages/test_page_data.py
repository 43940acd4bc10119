"""Data page: counts, ingest history, reset behind a confirmation."""

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
