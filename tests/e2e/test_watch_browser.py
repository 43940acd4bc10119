"""The worker and the app on one workspace: an incident appears live, its action is applied."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from core.worker import share
from core.worker.replay import day_files
from tests.core._monitoring_synth import synthetic_campaigns, to_records
from tests.e2e.conftest import ROOT, AppServer, goto, wait_idle

pytestmark = pytest.mark.e2e


def _open_incidents(page) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text="Open incidents").first
    return tile.locator("[data-testid='stMetricValue']").inner_text()


def _until(cond, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.2)  # polling files the worker writes, not waiting on the app


def test_an_incident_appears_while_the_worker_runs_and_its_action_becomes_a_revision(tmp_path, browser):
    frame = synthetic_campaigns(8, 150, random_state=2)
    last = frame["date"].max()
    cid = frame.groupby("campaign_id")["spend"].mean().idxmax()
    day = (frame["campaign_id"] == cid) & (frame["date"] == last)
    frame.loc[day, "spend"] = frame.loc[day, "daily_budget"] * 2.5  # an overspend on the last day
    stage, inbox = tmp_path / "stage", tmp_path / "inbox"
    files = day_files(to_records(frame), stage, days=2)
    inbox.mkdir()
    os.replace(files[0], inbox / files[0].name)  # the history first

    app = AppServer(tmp_path)
    worker = subprocess.Popen([sys.executable, "-m", "core", "watch", "--inbox", str(inbox), "--db", str(app.db),
                               "--interval", "0.3"], cwd=ROOT, env={**app.env, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _until(lambda: (inbox / "processed" / files[0].name).exists())
        app.start()
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        goto(page, f"{app.url}/monitoring")
        page.get_by_text(re.compile("^watching: last file")).wait_for(timeout=60_000)
        assert _open_incidents(page) == "0"
        for p in files[1:]:
            os.replace(p, inbox / p.name)
        # no reload: the page refreshes itself while the worker watches
        page.locator("[data-testid='stMetric']", has_text="Open incidents").get_by_text("1", exact=True) \
            .wait_for(timeout=90_000)
        wait_idle(page)
        page.get_by_label("Who").fill("Dana")
        page.get_by_role("button", name=re.compile("Apply this action")).click()
        page.get_by_text(re.compile(r"^Plan revision rev-\d+: Lower the budget cap of")).wait_for(timeout=60_000)
        wait_idle(page)
        page.get_by_text("Plan revisions", exact=True).wait_for(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0
        page.close()
        _until(lambda: not list(share.requests_dir(app.db).glob("*.json")))  # the worker took the app's write
    finally:
        app.stop()
        worker.send_signal(signal.SIGTERM)
        try:
            assert worker.wait(30) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
    # the app's revision reached the real workspace through the worker
    from core.monitoring import revisions
    from core.warehouse import Warehouse

    wh = Warehouse.open(app.db)
    revs = revisions.revisions(wh)
    wh.close()
    assert revs["who"].tolist() == ["Dana"] and revs["campaign_id"].tolist() == [cid]
