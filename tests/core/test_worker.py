"""The watching worker: inbox, ledger, webhook retries, email, restart after kill -9, SIGTERM, sharing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from core.cli import main
from core.warehouse import Warehouse
from core.worker import inbox, ledger, share
from core.worker.mail import SmtpSettings
from core.worker.replay import day_files
from core.worker.service import Advisor, WatchConfig, Worker
from tests.core._monitoring_synth import synthetic_campaigns, to_records

ROOT = Path(__file__).resolve().parents[2]
LIVE_DAYS = 6


@pytest.fixture(scope="module")
def broken() -> list[dict]:
    """A small account whose biggest campaign's tracking stops four days before the end."""
    frame = synthetic_campaigns(8, 150, random_state=3)
    last = frame["date"].max()
    cid = frame.groupby("campaign_id")["leads"].mean().idxmax()
    cut = (frame["campaign_id"] == cid) & (frame["date"] > last - pd.Timedelta(days=4))
    frame.loc[cut, ["leads", "conversions"]] = 0
    frame.loc[cut, "revenue"] = 0.0
    return to_records(frame)


class _Hook(BaseHTTPRequestHandler):
    bodies: list = []
    down = False

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).down:
            self.send_response(503)
        else:
            type(self).bodies.append(json.loads(body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    _Hook.bodies, _Hook.down = [], False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook
    server.shutdown()
    server.server_close()


def _alert_keys(bodies: list[dict]) -> list[str]:
    return [ledger.alert_key(a) for b in bodies for a in b["alerts"]]


def _worker(tmp_path: Path, **kw) -> Worker:
    cfg = WatchConfig(inbox=tmp_path / "inbox", db=tmp_path / "ws.duckdb", interval_s=0.05, once=True,
                      settle_s=0.0, **kw)
    return Worker(cfg, log=lambda m: None)


# ------------------------------------------------------------------ the inbox


def test_settler_waits_for_a_file_that_is_still_growing(tmp_path):
    t = [0.0]
    s = inbox.Settler(settle_s=0.5, clock=lambda: t[0])
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text("{")
    b.write_text("{}")
    assert s.ready([a, b]) == []  # first look: nothing has held still yet
    t[0] = 1.0
    with a.open("a") as fh:
        fh.write('"campaigns": ')  # a is still being written
    assert s.ready([a, b]) == []  # and b waits behind it: name order
    t[0] = 2.0
    assert s.ready([a, b]) == [a, b]
    (tmp_path / ".hidden.json").write_text("{}")
    (tmp_path / "c.json.part").write_text("{}")
    assert [p.name for p in inbox.candidates(tmp_path)] == ["a.json", "b.json"]


def test_reject_keeps_the_reason_beside_the_file(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("nope")
    dest = inbox.reject(p, "x.json: not JSON")
    assert dest == tmp_path / "rejected" / "x.json" and not p.exists()
    assert (tmp_path / "rejected" / "x.json.reason.txt").read_text() == "x.json: not JSON\n"


def test_a_queued_upload_is_never_seen_half_written_and_names_its_client(tmp_path):
    box = tmp_path / "inbox"
    path = inbox.queue(box, "../../etc/more data.json", b'{"campaigns": []}', account="north")
    assert path.parent == box and path.name.endswith("-more_data.json")  # a base name, never a path
    assert inbox.candidates(box) == [path]  # the client note and the part file are hidden
    assert inbox.account_of(path) == "north"
    inbox.forget_account(path)
    assert inbox.account_of(path) is None and [p.name for p in box.iterdir()] == [path.name]
    assert inbox.account_of(inbox.queue(box, "x.json", b"{}")) is None  # no client: the worker's own


def test_the_worker_loads_a_queued_upload_into_the_client_it_names(tmp_path):
    fixtures = ROOT / "tests" / "fixtures" / "platforms"
    inbox.queue(tmp_path / "inbox", "google_ads_report.csv", (fixtures / "google_ads_report.csv").read_bytes(),
                account="south")
    w = _worker(tmp_path)  # a worker without --account
    assert w.run() == 0 and w.stats["processed"] == 1
    wh = Warehouse.open(tmp_path / "ws.duckdb")
    assert wh.accounts() == ["south"]
    assert len(wh.for_account("south").campaigns()) > 0
    wh.close()
    assert not any(p.name.endswith(".account") for p in (tmp_path / "inbox").iterdir())


# ------------------------------------------------------------------ the ledger


def test_a_check_and_its_alerts_are_one_transaction(tmp_path, monkeypatch):
    wh = Warehouse.open(tmp_path / "ws.duckdb")
    alert = {"campaign_id": "c1", "date": "2026-10-30", "kind": "tracking_stopped", "message": "m"}
    ledger.record_check(wh, [alert], pd.Timestamp("2026-10-30"), channels={"webhook": True})
    assert ledger.checked_through(wh) == pd.Timestamp("2026-10-30")
    assert ledger.pending(wh, "webhook") == [alert] and ledger.pending(wh, "email") == []

    def boom(*a, **k):
        raise RuntimeError("killed")

    monkeypatch.setattr(wh, "save_state", boom)
    with pytest.raises(RuntimeError):
        ledger.record_check(wh, [{**alert, "date": "2026-10-31"}], pd.Timestamp("2026-10-31"),
                            channels={"webhook": True})
    monkeypatch.undo()
    assert ledger.checked_through(wh) == pd.Timestamp("2026-10-30")  # neither the watermark nor the alert
    ledger.mark_sent(wh, "webhook", [alert])
    assert ledger.pending(wh, "webhook") == [] and ledger.known_keys(wh) == {ledger.alert_key(alert)}
    wh.close()


# ------------------------------------------------------------------ delivery


def test_webhook_down_keeps_alerts_and_sends_them_once_when_it_answers(tmp_path, broken, hook):
    url, handler = hook
    day_files(broken, tmp_path / "inbox", days=LIVE_DAYS)
    handler.down = True
    w = _worker(tmp_path, webhook=url)
    w.advisor = Advisor()
    assert w.run() == 0
    assert w.stats["processed"] == LIVE_DAYS + 1 and w.stats["alerts"] > 0
    assert handler.bodies == []
    wh = Warehouse.open(tmp_path / "ws.duckdb")
    assert len(ledger.pending(wh, "webhook")) == w.stats["alerts"]  # kept, none lost
    wh.close()
    handler.down = False
    w2 = _worker(tmp_path, webhook=url)
    assert w2.run() == 0  # nothing new in the inbox: it only delivers the queue
    keys = _alert_keys(handler.bodies)
    assert len(keys) == w.stats["alerts"] == len(set(keys))
    body = handler.bodies[0]
    assert set(body) == {"text", "alerts"} and "new alert" in body["text"]
    assert {a["kind"] for a in body["alerts"]} == {"tracking_stopped"}
    assert body["alerts"][0]["action"].startswith("Check the tracking of")  # the proposed action rides along
    assert set(body["alerts"][0]) >= {"campaign_id", "date", "metric", "kind", "severity", "observed", "expected",
                                      "message"}
    assert _worker(tmp_path, webhook=url).run() == 0 and len(_alert_keys(handler.bodies)) == len(keys)  # once


def test_alerts_by_email_through_a_local_smtp_server(tmp_path, broken):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as sock:  # a free port on 127.0.0.1
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        smtp = SmtpSettings.from_mapping({"WORKBENCH_SMTP_HOST": "127.0.0.1", "WORKBENCH_SMTP_PORT": str(port),
                                          "WORKBENCH_SMTP_TO": "team@example.com, boss@example.com"})
        day_files(broken, tmp_path / "inbox", days=LIVE_DAYS)
        w = _worker(tmp_path, smtp=smtp)
        assert w.run() == 0 and w.stats["alerts"] > 0
    finally:
        ctl.stop()
    assert received and all(e.rcpt_tos == ["team@example.com", "boss@example.com"] for e in received)
    texts = [e.content.decode() for e in received]
    assert all("Subject: Campaign monitor:" in t for t in texts)
    # one email per check that found something; every alert once across them
    assert sum(t.count("\n- Tracking stopped") for t in texts) == w.stats["alerts"]


def test_smtp_settings_name_what_is_missing():
    from core.errors import ConfigError

    assert SmtpSettings.from_mapping({}) is None
    with pytest.raises(ConfigError, match="WORKBENCH_SMTP_TO"):
        SmtpSettings.from_mapping({"WORKBENCH_SMTP_HOST": "mail"})
    s = SmtpSettings.from_mapping({"WORKBENCH_SMTP_HOST": "mail", "WORKBENCH_SMTP_TO": "a@b",
                                   "WORKBENCH_SMTP_USER": "u"})
    assert s.tls == "starttls" and s.port == 587 and s.sender == "u"


def test_a_broken_file_is_set_aside_and_the_worker_carries_on(tmp_path, broken):
    day_files(broken, tmp_path / "inbox", days=2)
    (tmp_path / "inbox" / "day-2099-01-01.json").write_text('{"campaigns": [{"date": "2026-10-31"')
    w = _worker(tmp_path)
    assert w.run() == 0 and w.stats == {"processed": 3, "rejected": 1, "alerts": w.stats["alerts"]}
    reason = (tmp_path / "inbox" / "rejected" / "day-2099-01-01.json.reason.txt").read_text()
    assert "day-2099-01-01.json" in reason and "JSON" in reason
    beat = share.read_heartbeat(tmp_path / "ws.duckdb")
    assert beat["state"] == "stopped" and beat["last_rejected"] == "day-2099-01-01.json"


# ------------------------------------------------------------------ real processes


def _start(tmp_path: Path, url: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "core", "watch", "--inbox", str(tmp_path / "inbox"),
                             "--db", str(tmp_path / "ws.duckdb"), "--webhook", url, "--interval", "0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait(cond, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.slow
def test_restart_after_kill_9_neither_repeats_nor_loses_an_alert(tmp_path, broken, hook):
    url, handler = hook
    # the reference: one uninterrupted run over the same files
    ref = tmp_path / "ref"
    day_files(broken, ref / "inbox", days=LIVE_DAYS)
    w = _worker(ref, webhook=url)
    w.run()
    want = sorted(_alert_keys(handler.bodies))
    assert want
    handler.bodies.clear()

    inbox_dir = tmp_path / "inbox"
    files = day_files(broken, tmp_path / "stage", days=LIVE_DAYS)
    inbox_dir.mkdir()
    proc = _start(tmp_path, url)
    try:
        for p in files[:4]:
            os.replace(p, inbox_dir / p.name)
        _wait(lambda: len(list(inbox_dir.glob("processed/*.json"))) >= 3)
        proc.send_signal(signal.SIGKILL)  # mid-stream: the fourth file may be half done
        proc.wait(10)
        for p in files[4:]:
            os.replace(p, inbox_dir / p.name)
        proc = _start(tmp_path, url)
        _wait(lambda: not inbox.candidates(inbox_dir) and sorted(_alert_keys(handler.bodies)) == want)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    got = _alert_keys(handler.bodies)
    assert sorted(got) == want and len(got) == len(set(got))


@pytest.mark.slow
def test_sigterm_finishes_the_current_file_and_exits_0(tmp_path, broken, hook):
    url, _ = hook
    proc = _start(tmp_path, url)
    try:
        _wait(lambda: (share.read_heartbeat(tmp_path / "ws.duckdb") or {}).get("state") == "watching")
        day_files(broken, tmp_path / "stage", days=1, history=True)
        os.replace(tmp_path / "stage" / "0000-history.json", tmp_path / "inbox" / "0000-history.json")
        _wait(lambda: (share.read_heartbeat(tmp_path / "ws.duckdb") or {}).get("last_file") == "0000-history.json"
              or not (tmp_path / "inbox" / "0000-history.json").exists())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "inbox" / "processed" / "0000-history.json").exists()
    assert share.read_heartbeat(tmp_path / "ws.duckdb")["state"] == "stopped"


# ------------------------------------------------------------------ sharing with the app


def test_the_app_reads_the_snapshot_and_its_writes_reach_the_worker(tmp_path, broken):
    day_files(broken, tmp_path / "inbox", days=2)
    _worker(tmp_path).run()
    db = tmp_path / "ws.duckdb"
    share.write_heartbeat(db, state="watching")  # pretend the worker is still running
    path, kind = share.app_workspace(db)
    assert kind == "snapshot" and Path(path).parent == share.snapshots_dir(db)
    app = share.open_for_app(path, kind, db)
    assert app.counts()["campaigns"] == len(broken)
    app.save_state("monitoring_acks", pd.DataFrame([{"incident_id": "i1", "status": "acknowledged"}]),
                   keys=["incident_id"])
    assert len(app.load_state("monitoring_acks")) == 1  # the app sees its own write at once
    app.close()
    wh = Warehouse.open(db)
    assert share.apply_requests(wh, db) == 1 and len(wh.load_state("monitoring_acks")) == 1
    wh.close()
    assert share.watching_note(db).startswith("watching: last file")
    share.write_heartbeat(db, state="stopped")
    assert share.app_workspace(db) == (str(db), "workspace") and share.watching_note(db) is None


def test_cli_watch_once_and_replay(tmp_path, capsys):
    src = tmp_path / "ws.json"
    src.write_text(json.dumps({"campaigns": to_records(synthetic_campaigns(4, 40, random_state=1))}))
    assert main(["replay", "--days", "3", "--speed", "0", "--inbox", str(tmp_path / "in"), "--source", str(src),
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"][0] == "0000-history.json"
    assert main(["watch", "--inbox", str(tmp_path / "in"), "--db", str(tmp_path / "w.duckdb"), "--once",
                 "--interval", "0.05", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["processed"] == 4 and out["rejected"] == 0
    assert main(["watch", "--inbox", str(tmp_path / "in"), "--webhook", "ftp://x", "--once"]) == 2
    assert main(["replay", "--days", "0", "--inbox", str(tmp_path / "in"), "--source", str(src)]) == 2


def test_platform_exports_in_the_inbox_go_through_the_connectors(tmp_path):
    fixtures = ROOT / "tests" / "fixtures" / "platforms"
    (tmp_path / "inbox").mkdir()
    for name in ("google_ads_report.csv", "meta_error.json"):
        (tmp_path / "inbox" / name).write_bytes((fixtures / name).read_bytes())
    w = _worker(tmp_path)
    assert w.run() == 0 and w.stats["processed"] == 1 and w.stats["rejected"] == 1
    wh = Warehouse.open(tmp_path / "ws.duckdb")
    assert set(wh.campaigns()["platform"]) == {"google"}
    wh.close()
    assert "meta_error.json" in (tmp_path / "inbox" / "rejected" / "meta_error.json.reason.txt").read_text()


def _free(db: Path) -> bool:
    try:
        Warehouse.open(db).close()
        return True
    except Exception:
        return False


def test_the_app_hands_the_file_over_to_a_waiting_worker(tmp_path, broken):
    db = tmp_path / "ws.duckdb"
    app = share.open_for_app(str(db), "workspace", db)  # the app holds the file first
    app.ingest_records("campaigns", broken[:50])
    gen = share.app_target(db)[2]
    share.write_heartbeat(db, state="waiting")  # a worker started and waits for the file
    path, kind, gen2 = share.app_target(db)
    assert kind == "snapshot" and gen2 == gen + 1  # the app's cache opens afresh later
    _wait(lambda: share._open.get(str(db)) is None and _free(db), 10)  # closed once the app's run is over
    worker_side = Warehouse.open(db)  # the file is free now
    assert worker_side.counts()["campaigns"] == 50
    snap = share.open_for_app(path, kind, db)
    assert snap.counts()["campaigns"] == 50  # and the app reads what it had
    snap.close()
    worker_side.close()
    share.write_heartbeat(db, state="stopped")


def test_each_client_is_checked_on_its_own_and_told_apart(tmp_path, broken, hook):
    from core.connectors import ingest_paths

    url, handler = hook
    db = tmp_path / "ws.duckdb"
    stage = tmp_path / "stage"
    files = day_files(broken, stage, days=LIVE_DAYS)
    wh = Warehouse.open(db)
    for acc in ("north", "south"):  # two clients with the same history
        ingest_paths(wh, [files[0]], account_id=acc)
    wh.close()
    (tmp_path / "inbox").mkdir()
    for p in files[1:]:  # the live days arrive for one client only
        os.replace(p, tmp_path / "inbox" / p.name)
    w = _worker(tmp_path, webhook=url, account="south")
    assert w.run() == 0 and w.stats["alerts"] > 0
    accounts = {a["account_id"] for b in handler.bodies for a in b["alerts"]}
    assert accounts == {"south"}
    wh = Warehouse.open(db)
    assert ledger.checked_through(wh.for_account("north")) is None  # --account south: north is not watched
    assert ledger.known_keys(wh.for_account("north")) == set()
    assert len(ledger.known_keys(wh.for_account("south"))) == w.stats["alerts"]
    north = wh.for_account("north")
    for p in files[1:]:
        ingest_paths(north, [tmp_path / "inbox" / "processed" / p.name], account_id="north")
    wh.close()
    handler.bodies.clear()
    w = _worker(tmp_path, webhook=url)  # no --account: every client, each against its own ledger
    assert w.run() == 0
    assert handler.bodies == []  # south's were sent already; north's days were there before the worker
    wh = Warehouse.open(db)
    assert ledger.checked_through(wh.for_account("north")) == ledger.checked_through(wh.for_account("south"))
    wh.close()
