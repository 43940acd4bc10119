"""The real app in headless chromium: upload through the Data page, see the overview change."""

from __future__ import annotations

import json
import re

import pytest

from core.warehouse import Warehouse
from tests.e2e.conftest import AppServer, goto, wait_idle

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path, example_file):
    wh = Warehouse.open(tmp_path / "workspace.duckdb")
    wh.ingest(example_file)
    wh.close()
    app = AppServer(tmp_path).start()
    yield app
    app.stop()


def spend_tile(page) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text="Spend").first
    return tile.locator("[data-testid='stMetricValue']").inner_text()


def test_upload_on_the_data_page_changes_the_overview(server, browser, tmp_path, example_file):
    extra = json.loads(example_file.read_text())["campaigns"][0]
    extra.update(campaign_id="bing-new-line", platform="bing", spend=100.0, date="2025-03-04")
    upload = tmp_path / "new-campaigns.json"
    upload.write_text(json.dumps([extra]))

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    goto(page, server.url)
    page.get_by_text("Overview").first.wait_for()
    assert spend_tile(page) == "$208"

    goto(page, f"{server.url}/data")
    page.get_by_test_id("stForm").get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(upload))
    # The upload finishes in the background; submitting before it lands would submit no file.
    page.get_by_test_id("stForm").get_by_text("new-campaigns.json").wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile("Load$")).click()
    page.get_by_text("Loaded 1 new rows").wait_for(timeout=60_000)
    wait_idle(page)

    goto(page, server.url)
    page.get_by_text("Spend").first.wait_for()
    assert spend_tile(page) == "$308"
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_a_deep_link_on_a_fresh_server_goes_through_the_app(tmp_path, browser, example_file):
    wh = Warehouse.open(tmp_path / "workspace.duckdb")
    wh.ingest(example_file)
    wh.close()
    app = AppServer(tmp_path).start()
    try:
        page = browser.new_page()
        goto(page, f"{app.url}/data")  # the first visit of this server process
        nav = page.locator("[data-testid='stSidebarNav']")
        assert nav.get_by_text("Overview", exact=True).is_visible()
        assert nav.get_by_text("shared").count() == 0
        assert page.get_by_text("Filters apply to every page").is_visible()
        page.close()
    finally:
        app.stop()
