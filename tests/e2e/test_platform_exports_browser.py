"""The real app in headless chromium: a Meta API export and a Google Ads CSV uploaded on the Data page
show up, to the cent, on the Overview."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import AppServer, goto, wait_idle

pytestmark = pytest.mark.e2e

F = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"
UPLOADS = ["meta_insights_page1.json", "meta_insights_page2.json", "meta_adsets.json", "google_ads_report.csv"]


@pytest.fixture
def server(tmp_path):
    app = AppServer(tmp_path).start()          # an empty workspace: the exports are all it holds
    yield app
    app.stop()


def tile(page, label: str) -> str:
    metric = page.locator("[data-testid='stMetric']", has_text=label).first
    return metric.locator("[data-testid='stMetricValue']").inner_text()


def test_meta_export_and_google_csv_uploaded_through_the_data_page_reach_the_overview(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    goto(page, f"{server.url}/data")
    form = page.get_by_test_id("stForm").first
    form.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(F / n) for n in UPLOADS])
    # Every upload lands before the form is sent (the list shortens long names, so count them).
    chips = form.get_by_test_id("stFileChip")
    chips.nth(len(UPLOADS) - 1).wait_for(timeout=60_000)
    for i in range(len(UPLOADS)):   # a chip shows its size once its file has arrived
        chips.nth(i).get_by_text(re.compile(r"\d(\.\d)?\s?[KM]?B$")).wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile("Load$")).click()
    page.get_by_text(re.compile(r"Loaded 14 new rows")).wait_for(timeout=90_000)
    wait_idle(page)
    assert page.locator("[data-testid='stException']").count() == 0

    goto(page, server.url)
    page.get_by_text("Spend").first.wait_for(timeout=60_000)
    # Meta 402.70 (insights pages) + Google 1,248.73 (report download, "Total:" rows left out).
    assert tile(page, "Spend") == "$1,651"
    assert tile(page, "Impressions") == "119,720"   # 43,000 + 76,720
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
