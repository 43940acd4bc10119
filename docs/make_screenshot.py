"""Take the README's screenshot from the running app on the sample workspace.

Run: ``.venv/bin/python docs/make_screenshot.py`` (needs Debian chromium, as the browser test).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.warehouse import Warehouse  # noqa: E402
from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS, AppServer, goto  # noqa: E402


def main(out: Path = ROOT / "docs" / "screenshot-overview.png", page_path: str = "", full_page: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse.open(Path(tmp) / "workspace.duckdb")
        wh.ingest(ROOT / "data" / "sample" / "workspace.json.gz")
        wh.close()
        server = AppServer(Path(tmp)).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 1100})
                goto(page, f"{server.url}/{page_path}")
                if page.locator("[data-testid='stPlotlyChart']").count():
                    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=60_000)
                    page.wait_for_timeout(1500)  # let Plotly finish its first paint animation
                page.screenshot(path=str(out), full_page=full_page)
                browser.close()
        finally:
            server.stop()
    print(f"wrote {out}")


if __name__ == "__main__":
    # Also a way to look at any page: make_screenshot.py OUT.png PAGE_PATH [full]
    main(*(sys.argv[1:2] and [Path(sys.argv[1])]), *(sys.argv[2:3]), *([True] if sys.argv[3:4] else []))
