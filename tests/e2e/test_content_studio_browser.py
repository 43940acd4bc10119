"""Content studio in headless chromium: copy generated against a local OpenAI-compatible server, scored."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import AppServer, goto, wait_idle
from tests.fake_openai import FakeOpenAI

pytestmark = pytest.mark.e2e


@pytest.fixture
def fake():
    server = FakeOpenAI(chunk_chars=6)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(tmp_path, fake):
    server = AppServer(tmp_path, {"OPENAI_API_KEY": "sk-browser-test", "OPENAI_BASE_URL": fake.base_url,
                                  "OPENAI_MODEL": "fake-model", "OPENAI_TIMEOUT": "10"}).start()
    yield server
    server.stop()


def test_generate_copy_against_the_local_server_and_see_the_score(app, fake, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    goto(page, f"{app.url}/content_studio")
    page.get_by_label("Brief").fill("Promote our dental clinic in Austin to busy parents, 20% off the first visit.")
    page.get_by_label("Keywords (comma-separated)").fill("dental clinic")
    page.get_by_role("button", name="Generate").click()
    page.get_by_text("Written by AI (fake-model)").wait_for(timeout=90_000)
    wait_idle(page)

    (req,) = [r for r in fake.requests if r["path"].endswith("/chat/completions")]
    assert req["body"]["stream"] is True and req["headers"]["authorization"] == "Bearer sk-browser-test"
    # a responsive search ad lists its headlines; one per ad is too few, and the flag says so
    assert page.get_by_text("Headlines (1, each at most 30): Book Your Dental Checkup Today").count() == 1
    assert page.get_by_text("1 headline(s): a Google responsive search ad needs 3 to 15").count() == 3
    assert page.get_by_text("Headline shortened from 48 to 28 characters (limit 30)").count() == 1
    tiles = page.locator("[data-testid='stMetric']", has_text="SEO score")
    assert tiles.count() == 3
    for value in tiles.locator("[data-testid='stMetricValue']").all_inner_texts():
        assert re.fullmatch(r"\d{1,3}", value.strip()) and 0 <= int(value) <= 100
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
