"""The first visits after a restart that land on deep links get the whole app, not the old pages/ routing.

Measured before `python app.py` settled the routing at start-up: of 18 concurrent first
visits to six deep links on fresh `streamlit run` servers, 13 showed
"ImportError: cannot import name '_shared'" (the guard's rerun raised while another
session was importing pages/_shared.py).
"""

from __future__ import annotations

from tests.e2e.conftest import AppServer, wait_idle

LINKS = ("monitoring", "segments", "roi", "sentiment")


def test_concurrent_first_visits_to_deep_links_each_get_the_app(browser, tmp_path):
    server = AppServer(tmp_path).start()
    try:
        pages = [browser.new_page() for _ in LINKS]
        for page, link in zip(pages, LINKS):  # all sent before any is drawn: the fresh server's first sessions
            page.goto(f"{server.url}/{link}", wait_until="commit")
        for page, link in zip(pages, LINKS):
            # app.py's own navigation, drawn only when the visit ran through app.py
            page.locator("[data-testid='stSidebarNav']").get_by_text("Overview", exact=True).wait_for(timeout=90_000)
            wait_idle(page, timeout=90_000)
            body = page.inner_text("body")
            assert "ImportError" not in body and "Traceback" not in body, (link, body[-500:])
            assert page.url.rstrip("/").endswith(link)
            page.close()
    finally:
        server.stop()
