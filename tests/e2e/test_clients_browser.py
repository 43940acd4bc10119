"""Two clients in one workspace, in the real app: the sidebar switcher changes every page and download.

Both clients are generated from the same generator (so they share campaign ids) with
different seeds; each page shows different numbers for each, and each download holds
only the chosen client's rows.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pandas as pd
import pytest

from core import sample_data
from core.warehouse import Filters, Warehouse
from tests.e2e.conftest import AppServer, goto, wait_idle

pytestmark = pytest.mark.e2e

# Pages whose numbers come from the client's data, and a text each shows once it has drawn them.
# (Segments: a heading drawn only after segmenting; "segment" matched the title while it still ran.)
# Each marker is drawn only after the page's numbers (a title, caption or tab label would match
# before the page has read the client's data: "Sentiment" did so once in a full run).
DATA_PAGES = {"Overview": "Breakdown", "Monitoring": "Observed vs expected", "Scheduling": "Best slot",
              "Segments": "What each segment is worth", "ROI": "What drives ROI", "Sentiment": "Posts, most negative first"}


@pytest.fixture
def server(tmp_path):
    """The app on a workspace of two clients; also what each client's downloads must hold."""
    wh = Warehouse.open(tmp_path / "workspace.duckdb")
    expected = {}
    for seed, account, name in ((11, "acme", "acme"), (12, "globex", "Globex Corporation")):
        ws = sample_data.generate(seed=seed, days=150, n_line_items=6, n_posts=80, n_comments=60, n_customers=120)
        path = tmp_path / f"{account}.json"
        path.write_text(json.dumps(ws.records()))
        wh.ingest(path, account=account)
        view = wh.for_account(account)
        lo, hi = view.date_range()  # the sidebar's default range: the last 90 days
        expected[name] = {"account": account, "campaign_days": view.counts()["campaigns"],
                          "spend_90d": view.totals(Filters(start=hi - timedelta(days=89), end=hi))["spend"]}
    wh.rename_client("globex", "Globex Corporation")
    wh.close()
    app = AppServer(tmp_path).start()
    yield app, expected
    app.stop()


def choose_client(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Client").click()
    page.get_by_role("option", name=name, exact=True).click()
    wait_idle(page)


def open_in_app(page, title: str) -> None:
    """Follow the sidebar link (the session, and so the chosen client, stays)."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait_idle(page, timeout=180_000)


def main_text(page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def download_button(page, name):
    """One of our download buttons (not a table's own toolbar download)."""
    return page.get_by_test_id("stDownloadButton").get_by_role("button", name=name, exact=isinstance(name, str))


def download(page, button) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        button.click()
    return open(info.value.path(), "rb").read()


def spend_tile(page) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text="Spend").first
    return tile.locator("[data-testid='stMetricValue']").inner_text()


def test_switching_clients_changes_every_page_and_download(server, browser):
    server, expected = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # Twelve page visits, each fitting models for a client on first sight: on a loaded 2-core
    # machine one visit (Segments, at 16:47 in a full run beside two benchmarks) took over 120 s.
    page.set_default_timeout(240_000)
    goto(page, server.url)
    seen: dict[str, dict[str, str]] = {}
    for name in ("acme", "Globex Corporation"):
        choose_client(page, name)
        seen[name] = {}
        for title, marker in DATA_PAGES.items():
            open_in_app(page, title)
            page.get_by_test_id("stMain").get_by_text(re.compile(marker, re.I)).first.wait_for()
            assert page.get_by_test_id("stException").count() == 0, title
            assert page.get_by_test_id("stAlertContentError").count() == 0, (title, main_text(page))
            seen[name][title] = main_text(page)
        # The overview's breakdown download holds only this client's campaigns.
        open_in_app(page, "Overview")
        page.get_by_text("Breakdown", exact=True).wait_for()
        seen[name]["spend"] = spend_tile(page)
        csv = download(page, download_button(page, "CSV").first)
        seen[name]["breakdown"] = pd.read_csv(io.BytesIO(csv))
        # The Data page's export is this client's workspace, each record filed under it.
        open_in_app(page, "Data")
        page.get_by_role("button", name=re.compile("Prepare .* workspace JSON")).click()
        wait_idle(page)
        exported = json.loads(download(page, download_button(page, re.compile(r"Download .*\.json"))))
        seen[name]["accounts"] = {r["account_id"] for t in exported.values() for r in t}
        seen[name]["campaign_days"] = len(exported["campaigns"])
    acme, globex = seen["acme"], seen["Globex Corporation"]
    for title in DATA_PAGES:
        assert acme[title] != globex[title], f"{title} shows the same for both clients"
    assert acme["spend"] != globex["spend"]
    for name, want in expected.items():
        assert seen[name]["accounts"] == {want["account"]}
        assert seen[name]["campaign_days"] == want["campaign_days"]
        assert seen[name]["breakdown"]["spend"].sum() == pytest.approx(want["spend_90d"], rel=1e-9)
    page.close()
