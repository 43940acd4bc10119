"""A small variant of bench/load.py: concurrent browser sessions share one fit and show no error box."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]


def _in_own_loop(coro):
    """Run a coroutine in a thread of its own: Playwright's sync fixtures keep an event loop running here."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _bench():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_three_sessions_pressing_plan_at_once_fit_the_curves_at_most_once(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    load = _bench()
    env = load.prepare_workspace(tmp_path)
    env["WORKBENCH_WARM"] = "0"  # no warm start: the sessions themselves race for the first fit
    proc, url = load.start_server(env, tmp_path / "server.log")
    try:
        # Overview first, as a user arrives (a deep link as every session's first request on a fresh
        # server races the pages/ routing guard; see the report), then Plan at once.
        results = _in_own_loop(load.run(url, 3, ["overview", "recommendations"], timeout_s=600))
    finally:
        proc.terminate()
        proc.wait(20)
    figures = load.summarise(results, ["overview", "recommendations"])
    assert figures["pages"]["recommendations"]["completed"] == 3, figures
    assert figures["pages"]["recommendations"]["error_boxes"] == 0, figures["errors"]
    assert figures["sessions_that_planned"] == 3 and figures["sessions_that_fitted_curves"] == 1, figures
