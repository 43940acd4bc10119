"""The workbench runs offline: a page load asks no host but the workbench itself (icon, fonts, scripts)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import AppServer, goto, wait_idle

pytestmark = pytest.mark.e2e

LOCAL = {"127.0.0.1", "localhost", "::1", ""}


@pytest.fixture
def app(tmp_path):
    server = AppServer(tmp_path).start()
    yield server
    server.stop()


def test_page_loads_request_only_the_local_server(app, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    page.on("request", lambda req: outside.append(req.url)
            if urlsplit(req.url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(req.url).hostname not in LOCAL else None)
    goto(page, app.url)
    for name in ("Competitors", "Content studio", "Overview"):
        page.locator("[data-testid='stSidebarNav']").get_by_text(name, exact=True).click()
        wait_idle(page)
    icon = page.locator("link[rel='shortcut icon'], link[rel='icon']").first.get_attribute("href") or ""
    assert urlsplit(icon).hostname in LOCAL, icon  # the favicon is served by the workbench
    assert outside == []
    page.close()
