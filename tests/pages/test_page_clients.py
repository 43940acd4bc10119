"""Clients in the app: the sidebar switcher scopes every page; the Data page manages clients."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from core import sample_data
from core.warehouse import Filters, Warehouse
from tests.pages.conftest import error_texts, open_page
from tests.pages.test_all_pages import registered_pages


def _file(tmp_path: Path, seed: int) -> Path:
    ws = sample_data.generate(seed=seed, days=120, n_line_items=6, n_posts=60, n_comments=40, n_customers=60)
    path = tmp_path / f"seed{seed}.json"
    path.write_text(json.dumps(ws.records()))
    return path


@pytest.fixture
def two_client_db(db_path, tmp_path) -> Path:
    wh = Warehouse.open(db_path)
    wh.ingest(_file(tmp_path, 1), account="acme")
    wh.ingest(_file(tmp_path, 2), account="globex")
    wh.close()
    return db_path


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


RANGE = (date(2025, 1, 1), date(2025, 2, 15))


def _expected_spend(db: Path, account: str) -> str:
    """The Spend tile as the overview computes it for one client on :data:`RANGE`."""
    from core import overview

    wh = Warehouse.open(db)
    try:
        kpis = overview.kpis(wh.for_account(account), Filters(start=RANGE[0], end=RANGE[1])).set_index("label")
    finally:
        wh.close()
    return overview.format_value(kpis.loc["Spend", "value"], kpis.loc["Spend", "format"])


def _choose(at, account: str) -> None:
    # AppTest drops the entry script's sidebar elements after switch_page: set the switcher's state.
    at.session_state["clients.current"] = account
    at.run()


def test_the_sidebar_lists_the_clients(two_client_db):
    at = open_page(None)
    assert at.selectbox(key="clients.current").options == ["acme", "globex"]
    wh = Warehouse.open(two_client_db)
    try:
        platforms = wh.for_account("acme").distinct("platform")
    finally:
        wh.close()
    assert at.multiselect(key="filters.platforms").options == platforms


def test_switching_client_changes_the_numbers(two_client_db):
    at = open_page("overview")
    at.session_state["filters.range"] = RANGE
    _choose(at, "acme")
    assert not at.exception and not error_texts(at)
    acme = _tiles(at)["Spend"]
    at.session_state["filters.range"] = RANGE
    _choose(at, "globex")
    globex = _tiles(at)["Spend"]
    assert not at.exception and acme != globex
    assert (acme, globex) == (_expected_spend(two_client_db, "acme"), _expected_spend(two_client_db, "globex"))


@pytest.mark.parametrize("stem", registered_pages())
def test_every_page_runs_for_the_second_client(two_client_db, stem):
    at = open_page(stem, timeout=180)
    _choose(at, "globex")
    assert not at.exception, at.exception
    assert not error_texts(at)


def test_a_new_client_starts_empty_with_the_note(two_client_db):
    at = open_page("data")
    at.text_input(key="data.client_id").input("initech")
    at.text_input(key="data.client_name").input("Initech")
    at.button(key="FormSubmitter:data.client_add_form-Add client").click().run()
    assert not at.exception and not error_texts(at)
    # The new client is chosen: the Data page counts its (no) rows.
    assert {m.label: m.value for m in at.metric}["Campaigns"] == "0"
    listing = next(df.value for df in at.dataframe if "campaign_days" in df.value.columns)
    assert listing.set_index("account_id").loc["initech", "campaign_days"] == 0
    at.switch_page("pages/overview.py")
    _choose(at, "initech")
    assert any("No campaign data" in i.value for i in at.info)


def test_rename_and_delete_a_client(two_client_db):
    at = open_page("data")
    _choose(at, "globex")
    at.session_state["clients.current"] = "globex"
    at.text_input(key="data.client_rename").input("Globex Corporation")
    at.button(key="FormSubmitter:data.client_rename_form-Rename").click().run()
    assert not at.exception
    at.session_state["clients.current"] = "globex"
    at.run()
    assert at.button(key="data.delete_client").disabled
    at.session_state["clients.current"] = "globex"
    at.checkbox(key="data.confirm_delete_client.globex").check().run()
    at.session_state["clients.current"] = "globex"
    at.button(key="data.delete_client").click().run()
    assert not at.exception and not error_texts(at)
    wh = Warehouse.open(two_client_db)
    try:
        assert wh.accounts() == ["acme"] and wh.for_account("acme").counts()["campaigns"] > 0
    finally:
        wh.close()


def test_a_delete_confirmation_is_for_one_client(two_client_db):
    at = open_page("data")
    _choose(at, "globex")
    at.session_state["clients.current"] = "globex"
    at.checkbox(key="data.confirm_delete_client.globex").check().run()
    _choose(at, "acme")
    assert at.button(key="data.delete_client").disabled


def test_emptying_a_client_leaves_the_other(two_client_db):
    at = open_page("data")
    _choose(at, "globex")
    at.session_state["clients.current"] = "globex"
    at.checkbox(key="data.confirm_reset.globex").check().run()
    at.session_state["clients.current"] = "globex"
    at.button(key="data.reset").click().run()
    wh = Warehouse.open(two_client_db)
    try:
        assert wh.for_account("globex").is_empty() and not wh.for_account("acme").is_empty()
    finally:
        wh.close()


def test_with_sign_in_the_switcher_lists_only_the_users_clients(two_client_db, monkeypatch):
    from core.access import AccessPolicy, Role
    from pages import _shared

    # Sign-in itself is Streamlit's (st.login); here a signed-in viewer of globex only.
    monkeypatch.setattr(_shared, "policy", lambda: AccessPolicy(open=False, default=Role.none,
                                                                users={"bob@x.example": {"globex": Role.viewer}}))
    monkeypatch.setattr(_shared, "_email", lambda: "bob@x.example")
    monkeypatch.setattr(_shared, "require_sign_in", lambda: None)
    at = open_page(None)
    assert not at.exception
    assert at.selectbox(key="clients.current").options == ["globex"]
    at.switch_page("pages/data.py").run()
    assert not at.exception
    # No table on the Data page names the other client, and a viewer manages no clients.
    assert not any("acme" in df.value.to_string() for df in at.dataframe)
    assert not any(b.key == "data.delete_client" for b in at.button)
