"""Overview page: tiles, trend, breakdown; the empty-workspace note."""

from tests.pages.conftest import error_texts, open_page


def test_overview_shows_kpis_for_loaded_data(loaded_db):
    at = open_page("overview")
    assert not at.exception and not error_texts(at)
    labels = [m.label for m in at.metric]
    assert {"Spend", "Leads", "CPL", "ROAS", "CTR"} <= set(labels)
    assert at.get("plotly_chart")
    assert len(at.dataframe) >= 1


def test_overview_follows_the_sidebar_filter_and_breakdown(loaded_db):
    at = open_page("overview")
    # AppTest drops the entry script's sidebar elements after switch_page; set the filter's state.
    at.session_state["filters.platforms"] = ["facebook"]
    at.run()
    spend = next(m for m in at.metric if m.label == "Spend")
    assert spend.value == "$49.12"
    at.session_state["overview.by"] = "campaign"
    at.run()
    assert not at.exception
    assert "fb-leadform-women-35-54" in at.dataframe[0].value["campaign_id"].tolist()


def test_default_page_is_the_overview(loaded_db):
    at = open_page(None)
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert at.multiselect(key="filters.platforms").options == ["facebook", "google"]
    assert at.date_input(key="filters.range").value is not None


def test_empty_workspace_gets_a_friendly_note(db_path):
    at = open_page("overview")
    assert not at.exception and not error_texts(at)
    assert any("No campaign data" in i.value for i in at.info)


def test_old_data_is_flagged(loaded_db):
    at = open_page("overview")
    assert not at.exception
    # the contract example ends in 2025: weeks old by any clock that runs this test
    assert any(w.value.startswith("Data ends ") and "days ago" in w.value for w in at.warning)
