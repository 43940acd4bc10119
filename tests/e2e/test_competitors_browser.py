"""Competitors in headless chromium: add two local fixture sites, crawl, re-crawl, see the price move."""

from __future__ import annotations

import time

import pytest

from tests.competitor_site import CompetitorSite
from tests.e2e.conftest import AppServer, goto, wait_idle

pytestmark = pytest.mark.e2e


@pytest.fixture
def sites():
    with CompetitorSite("acme") as acme, CompetitorSite("globex") as globex:
        yield acme, globex


@pytest.fixture
def app(tmp_path):
    server = AppServer(tmp_path, {"WORKBENCH_ALLOW_PRIVATE_URLS": "1"}).start()
    yield server
    server.stop()


def add_site(page, name: str, url: str) -> None:
    page.get_by_role("textbox", name="Competitor", exact=True).fill(name)
    page.get_by_role("textbox", name="Start URL").fill(url)
    page.get_by_role("button", name="Add competitor").click()
    # The list of sites (a data grid) and the crawl form appear once a site is stored.
    page.get_by_role("button", name="Crawl now").wait_for(timeout=60_000)
    wait_idle(page)


def crawl(page, site: CompetitorSite) -> None:
    """Press Crawl now and wait until the site served its pricing page once more and the run ended."""
    before = site.hits["/pricing.html"]
    page.get_by_role("spinbutton", name="Seconds between requests").fill("0.2")
    page.get_by_role("button", name="Crawl now").click()
    deadline = time.monotonic() + 120
    while site.hits["/pricing.html"] == before and time.monotonic() < deadline:
        page.wait_for_timeout(200)  # polling the fixture server's hit counter, not a fixed wait
    assert site.hits["/pricing.html"] > before, "the crawl never reached the pricing page"
    page.get_by_text("Crawled").first.wait_for(timeout=120_000)
    wait_idle(page)


def test_crawl_compare_and_see_changes(app, sites, browser):
    acme, globex = sites
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    goto(page, f"{app.url}/competitors")
    add_site(page, "Acme", acme.url)
    add_site(page, "Globex", globex.url)
    crawl(page, acme)
    assert acme.hits["/robots.txt"] >= 1 and acme.hits["/private/plans.html"] == 0
    page.get_by_role("tab", name="Prices").click()
    # a Plotly chart in a tab draws once the tab shows: wait for it rather than count at once
    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=30_000)
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 1

    page.get_by_role("tab", name="Changes").click()
    assert page.get_by_text("No changes yet").is_visible()

    acme.version = 2  # Pro moves from $15 to $19, a Team plan appears
    crawl(page, acme)
    page.get_by_role("tab", name="Changes").click()
    panel = page.get_by_role("tabpanel", name="Changes")
    panel.locator("[data-testid='stDataFrame']").wait_for(timeout=60_000)
    assert panel.get_by_text("No changes yet").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    page.close()


@pytest.fixture
def sample_app(tmp_path):
    from core.cli import main

    server = AppServer(tmp_path)
    assert main(["load-sample", "--db", str(server.db), "--format", "json"]) == 0
    yield server.start()
    server.stop()


def test_the_sample_opens_on_three_competitors_and_their_price_changes(sample_app, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    goto(page, f"{sample_app.url}/competitors")
    page.get_by_text("3 competitor site(s)").wait_for(timeout=60_000)
    chart = page.locator("[data-testid='stPlotlyChart']").first
    chart.wait_for(timeout=60_000)
    for name in ("Lone Star Smiles", "Prairie Implant Center", "Red River Family Dental"):
        assert chart.get_by_text(name).count() >= 1  # the price chart's legend or axis names each rival
    page.get_by_role("tab", name="Changes").click()
    panel = page.get_by_role("tabpanel", name="Changes")
    panel.locator("[data-testid='stDataFrame']").wait_for(timeout=60_000)
    assert panel.get_by_text("No changes yet").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    page.screenshot(path=str(sample_app.db.parent / "competitors-sample.png"), full_page=True)
    page.close()
