"""Visit every page of a running workbench in headless Chromium; screenshot each, report error boxes and 'None' cells."""
import sys, time
from playwright.sync_api import sync_playwright

URL = sys.argv[1]
OUT = sys.argv[2]
PAGES = ["", "data", "recommendations", "roi", "bandits", "monitoring", "scheduling", "sentiment",
         "content_studio", "competitors", "segments", "models"]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
with sync_playwright() as p:
    b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
    page = b.new_page(viewport={"width": 1400, "height": 1800})
    for stem in PAGES:
        t0 = time.monotonic()
        page.goto(f"{URL}/{stem}")
        page.wait_for_selector("[data-testid='stApp']", timeout=120_000)
        page.locator("[data-testid='stSidebarNav']").get_by_text("Overview", exact=True).wait_for(timeout=120_000)
        # heavy pages fit in the background: wait until the script has finished running
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=300_000)
        page.wait_for_load_state("networkidle")
        time.sleep(2)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=300_000)
        errors = page.locator("[data-testid='stAlertContentError']").all_inner_texts()
        exc = page.locator("[data-testid='stException']").count()
        nones = page.locator("[data-testid='stDataFrame'], [data-testid='stTable']").all_inner_texts()
        none_cells = sum(t.split().count("None") for t in nones)
        page.screenshot(path=f"{OUT}/{stem or 'overview'}.png", full_page=True)
        print(f"{stem or 'overview'}: {time.monotonic() - t0:.1f}s errors={errors} exceptions={exc} none_cells={none_cells}",
              flush=True)
    b.close()
