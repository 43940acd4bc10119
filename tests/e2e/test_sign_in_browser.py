"""Sign-in through st.login against a local OpenID Connect provider, and roles per client."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import AppServer, wait_idle
from tests.oidc_provider import Provider

pytestmark = pytest.mark.e2e

VIEWER, ADMIN = "vera.viewer@agency.example", "adam.admin@agency.example"


@pytest.fixture(scope="module")
def provider():
    p = Provider({VIEWER: "Vera Viewer", ADMIN: "Adam Admin"}).start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory, provider):
    """One signed server for the module: each test signs in (or not) in a browser context of its own."""
    from tests.conftest import FIXTURES

    tmp_path, example_file = tmp_path_factory.mktemp("signed"), FIXTURES / "example-workspace.json"
    server = AppServer(tmp_path)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(provider.secrets_toml(server.port, {"default": "viewer", ADMIN: "admin"})
                       .replace("http://localhost:", "http://127.0.0.1:"))
    server.args = ["--secrets.files", str(secrets)]
    from core.warehouse import Warehouse

    wh = Warehouse.open(server.db)
    wh.ingest(example_file)
    wh.close()
    server.start()
    yield server
    server.stop()


def _sign_in(page, server, who: str) -> None:
    page.goto(server.url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=f"Sign in as {who}").click()
    page.wait_for_url(f"{server.url}/**", timeout=60_000)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Overview", exact=True).wait_for(timeout=60_000)
    wait_idle(page)


def test_signed_out_sees_only_the_sign_in_page(signed_server, browser):
    page = browser.new_page()
    page.goto(signed_server.url + "/data")
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert page.get_by_text("Upload", exact=True).count() == 0
    page.close()


def test_viewer_has_no_upload_button_and_admin_has(signed_server, browser):
    viewer = browser.new_context()
    page = viewer.new_page()
    _sign_in(page, signed_server, VIEWER)
    assert page.get_by_text("Signed in as").first.is_visible()
    page.locator("[data-testid='stSidebarNav']").get_by_text("Data", exact=True).click()
    wait_idle(page)
    page.get_by_text("Your role can view this client's data").wait_for(timeout=90_000)
    page.get_by_text("Emptying a client needs the admin role.").wait_for(timeout=90_000)
    assert page.get_by_role("button", name="Load", exact=True).count() == 0
    assert page.get_by_role("button", name="Empty this client").count() == 0
    viewer.close()

    admin = browser.new_context()
    page = admin.new_page()
    _sign_in(page, signed_server, ADMIN)
    page.locator("[data-testid='stSidebarNav']").get_by_text("Data", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Load", exact=True).wait_for(timeout=90_000)
    page.get_by_role("button", name="Empty this client").wait_for(timeout=90_000)
    admin.close()
