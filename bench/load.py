"""Load test (not a unit test): N concurrent browser sessions over the heavy pages of the sample workspace.

One headless Debian chromium with N contexts (each its own cookies, so its own Streamlit
sessions) drives a real ``streamlit run app.py`` on a fresh copy of the sample workspace.
Every session, at the same time: opens Overview, Recommendations (and presses **Plan**),
Monitoring and Segments, each by URL (a fresh Streamlit session per page), waiting for the
app to finish its run (``data-test-script-state='notRunning'``), never a fixed sleep.

Measured per page: wall time from navigation until the run has finished (p50, p95, max over
sessions), error boxes and exceptions shown, and for Recommendations whether the session
fitted the response curves itself (its status says "Learned ... line items") or reused the
shared fit (issue 20: ten users pressing Plan at once must not fit ten models).

Run: ``.venv/bin/python bench/load.py [--sessions 10] [--pages overview,recommendations,monitoring,segments]
[--no-warm] [--json out.json]``. Exit status 1 when an error box showed or more than one
session fitted the curves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
PAGES = ("overview", "recommendations", "monitoring", "segments")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_workspace(folder: Path) -> dict[str, str]:
    """A fresh workspace with the sample loaded, in ``folder``; the server's environment."""
    env = {**os.environ, "WORKBENCH_DB": str(folder / "workspace.duckdb"), "WORKBENCH_MODELS": str(folder / "models"),
           "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
    subprocess.run([sys.executable, "-m", "core", "load-sample", "--format", "json"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return env


def start_server(env: dict[str, str], log: Path, timeout: float = 120) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace"))
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)  # polling the health endpoint, not waiting on the app
    proc.kill()
    raise TimeoutError("the Streamlit server did not become healthy")


async def open_page(page, url: str, stem: str, timeout_ms: float) -> None:
    await page.goto(f"{url}/{'' if stem == 'overview' else stem}", timeout=timeout_ms)
    await page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    # the app's own navigation is drawn (not Streamlit's provisional page list), then the run ends
    await page.locator("[data-testid='stSidebarNav']").get_by_text("Overview", exact=True).wait_for(timeout=timeout_ms)
    await page.wait_for_selector(IDLE, timeout=timeout_ms)


async def press_plan(page, timeout_ms: float) -> bool:
    """Press Plan; True when this session fitted the response curves itself."""
    await page.get_by_role("button", name="Plan", exact=True).click()
    await page.get_by_role("tab", name="Response curves").wait_for(timeout=timeout_ms)
    await page.wait_for_selector(IDLE, timeout=timeout_ms)
    return await page.get_by_text(re.compile(r"^Learned \d+ line items")).count() > 0


async def session(browser, url: str, pages: list[str], start: asyncio.Event, timeout_ms: float) -> dict:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    out: dict = {"times": {}, "errors": {}, "fitted_curves": None}
    await start.wait()
    for stem in pages:
        t0 = time.perf_counter()
        try:
            await open_page(page, url, stem, timeout_ms)
            if stem == "recommendations":
                out["fitted_curves"] = await press_plan(page, timeout_ms)
            out["times"][stem] = time.perf_counter() - t0
            shown = await page.locator(ERRORS).all_inner_texts()
            out["errors"][stem] = [s[:200] for s in shown]
        except Exception as exc:  # noqa: BLE001 - a timeout is a result of the load test
            out["times"][stem] = float("nan")
            out["errors"][stem] = [f"{type(exc).__name__}: {str(exc)[:200]}"]
    await ctx.close()
    return out


async def run(url: str, sessions: int, pages: list[str], timeout_s: float) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        start = asyncio.Event()
        tasks = [asyncio.create_task(session(browser, url, pages, start, timeout_s * 1000)) for _ in range(sessions)]
        await asyncio.sleep(0)
        start.set()  # every session starts at once
        results = await asyncio.gather(*tasks)
        await browser.close()
    return results


def summarise(results: list[dict], pages: list[str]) -> dict:
    per_page = {}
    for stem in pages:
        t = np.array([r["times"].get(stem, np.nan) for r in results], float)
        ok = t[np.isfinite(t)]
        per_page[stem] = {
            "sessions": len(t), "completed": int(len(ok)),
            "p50_s": round(float(np.percentile(ok, 50)), 2) if len(ok) else None,
            "p95_s": round(float(np.percentile(ok, 95)), 2) if len(ok) else None,
            "max_s": round(float(ok.max()), 2) if len(ok) else None,
            "error_boxes": sum(len(r["errors"].get(stem, [])) for r in results)}
    errors = [e for r in results for es in r["errors"].values() for e in es]
    fitted = [r["fitted_curves"] for r in results if r["fitted_curves"] is not None]
    return {"pages": per_page, "errors": errors[:10], "sessions_that_fitted_curves": int(sum(fitted)),
            "sessions_that_planned": len(fitted)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--timeout", type=float, default=600, help="seconds per page and session")
    ap.add_argument("--no-warm", action="store_true", help="the server does not warm its models at start-up")
    ap.add_argument("--json", help="write the figures here too")
    a = ap.parse_args(argv)
    pages = [p.strip() for p in a.pages.split(",") if p.strip()]
    folder = Path(tempfile.mkdtemp(prefix="wb-load-"))
    env = prepare_workspace(folder)
    if a.no_warm:
        env["WORKBENCH_WARM"] = "0"
    proc, url = start_server(env, folder / "server.log")
    try:
        t0 = time.perf_counter()
        results = asyncio.run(run(url, a.sessions, pages, a.timeout))
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    figures = {"sessions": a.sessions, "wall_s": round(wall, 1), "cores": os.cpu_count(),
               "loadavg_1m_after": round(os.getloadavg()[0], 2), "warm_start": not a.no_warm,
               **summarise(results, pages), "server_log": str(folder / "server.log")}
    print(json.dumps(figures, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(figures, indent=1))
    bad = any(v["error_boxes"] or v["completed"] < v["sessions"] for v in figures["pages"].values())
    return 1 if bad or figures["sessions_that_fitted_curves"] > 1 else 0


if __name__ == "__main__":
    raise SystemExit(main())
