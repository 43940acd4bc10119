"""Browser tests: the real app served by Streamlit, driven by Playwright in Debian chromium.

Never a fixed sleep: wait for /_stcore/health, then for the app to finish each run
(``[data-testid='stApp'][data-test-script-state='notRunning']``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """A Streamlit server on a free port with its own workspace file, started as `make run` starts it."""

    def __init__(self, tmp: Path, env: dict[str, str] | None = None, args: list[str] | None = None) -> None:
        self.port = _free_port()
        self.args = list(args or [])
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = tmp / "workspace.duckdb"
        self.env = {**os.environ, "WORKBENCH_DB": str(self.db), "WORKBENCH_MODELS": str(tmp / "models"),
                    **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> "AppServer":
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             *self.args],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stdout.read().decode(errors="replace"))
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)  # polling the health endpoint, not waiting on the app
        raise TimeoutError("the Streamlit server did not become healthy")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        # Under `make test` chromium has just been installed: missing, it is a failure, not a skip.
        if os.environ.get("WORKBENCH_REQUIRE_SYSTEM_TOOLS") == "1":
            pytest.fail("Debian chromium is missing although `make test` should have installed it")
        pytest.skip("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until the app's script run has finished."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    page.wait_for_load_state("networkidle")


def goto(page, url: str) -> None:
    """Open a page and wait until the app's own navigation (not the first guess) is drawn."""
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
    # Before app.py's st.navigation runs, Streamlit shows a provisional page list.
    page.locator("[data-testid='stSidebarNav']").get_by_text("Overview", exact=True).wait_for(timeout=60_000)
    wait_idle(page)
