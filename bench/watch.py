"""Watch benchmark (not a test): a live replay into a running worker, killed halfway.

A held-out advertiser (``core.sample_data.generate(seed=S)``, a seed the monitor was not
tuned on) gets known incidents injected into its last 60 days
(``core.monitoring.inject_incidents``). A real ``python -m core watch`` process is
started on an empty workspace with a local webhook; its inbox receives the history
before those days, then one file per day. Halfway the worker is killed with SIGKILL and
started again; a broken file is dropped among the days. At the end the worker gets
SIGTERM.

Reported: webhook precision and recall (``core.monitoring.evaluate`` on the alerts the
webhook received), alerts received twice, the median and worst time from a day's file
landing in the inbox to the first alert about that day, whether the broken file was set
aside with its reason, and the worker's exit status.

Run: ``.venv/bin/python bench/watch.py [--seed 11] [--days 60] [--pace 2.0]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import sample_data  # noqa: E402
from core.monitoring import evaluate, inject_incidents  # noqa: E402
from core.worker.replay import day_files  # noqa: E402

RECEIVED: list[tuple[float, dict]] = []


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        RECEIVED.append((time.time(), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _start(inbox: Path, db: Path, url: str, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "core", "watch", "--inbox", str(inbox), "--db", str(db),
                             "--webhook", url, "--interval", "0.5"], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=log)


def _wait(cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


def _report(truth: pd.DataFrame, since: pd.Timestamp, dropped: dict[str, float], inbox: Path) -> None:
    """Precision and recall of what the webhook received, duplicates, file-to-alert latency, the broken file."""
    alerts = [dict(a, _t=t) for t, body in RECEIVED for a in body["alerts"]]
    a = pd.DataFrame(alerts)
    keys = a["campaign_id"].astype(str) + "|" + a["date"].astype(str) + "|" + a["kind"] if len(a) else pd.Series()
    dupes = int(keys.duplicated().sum()) if len(a) else 0
    ev = evaluate(a.drop_duplicates(subset=["campaign_id", "date", "kind"]) if len(a) else a, truth, since=since)
    lat = []
    if len(a):
        for day, grp in a.groupby("date"):
            t_drop = dropped.get(f"day-{day}.json")
            if t_drop is not None:
                lat.append(grp["_t"].min() - t_drop)
    reason = inbox / "rejected" / "day-broken.json.reason.txt"
    print(f"webhook: {len(RECEIVED)} posts, {len(a)} alerts, {dupes} received twice")
    print(f"precision {ev['precision']:.3f} ({ev['alerts']} alerts, {ev['false_alarms']} false), "
          f"recall {ev['recall']:.3f} (kind-matched; {ev['recall_any_kind']:.3f} any kind)")
    for kind, k in ev["per_kind"].items():
        print(f"  {kind:17s} alerts {k['alerts']:3d}  false {k['false_alarms']:2d}  "
              f"incidents {k['incidents']:2d}  recall {k['recall']:.2f}")
    if lat:
        print(f"file -> first alert of its day: median {np.median(lat):.1f} s, p90 {np.quantile(lat, 0.9):.1f} s, "
              f"max {max(lat):.1f} s over {len(lat)} alerting days")
    print(f"broken file set aside: {reason.exists()} ({reason.read_text().strip() if reason.exists() else '-'})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--pace", type=float, default=2.0, help="seconds between two day files")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args(argv)

    ws = sample_data.generate(seed=args.seed)
    frame = pd.DataFrame(ws["campaigns"] if isinstance(ws, dict) else ws.campaigns)
    frame["date"] = pd.to_datetime(frame["date"])
    since = frame["date"].max() - pd.Timedelta(days=args.days - 1)
    dirty, truth = inject_incidents(frame, start=since, per_kind=4, random_state=2000 + args.seed)
    dirty["date"] = dirty["date"].dt.date.astype(str)

    tmp = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    stage, inbox, db = tmp / "stage", tmp / "inbox", tmp / "ws.duckdb"
    inbox.mkdir()
    files = day_files(dirty, stage, days=args.days)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    log = (tmp / "worker.log").open("w")
    dropped: dict[str, float] = {}
    proc = _start(inbox, db, url, log)
    t_start = time.time()
    half = len(files) // 2
    killed_at = None
    try:
        for i, p in enumerate(files):
            if i == half:
                # kill -9 while it works on the file just dropped, then start it again
                time.sleep(0.4)
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                killed_at = files[i - 1].name
                proc = _start(inbox, db, url, log)
            if i == half + 5:
                (inbox / "day-broken.json").write_text('{"campaigns": [{"date": "2026-10-31", "spend": ')
            os.replace(p, inbox / p.name)
            dropped[p.name] = time.time()
            if i == 0:  # the history: wait until it is in, like a real first load
                _wait(lambda: (inbox / "processed" / p.name).exists(), 300)
            else:
                time.sleep(args.pace)
        done = _wait(lambda: not [f for f in inbox.iterdir() if f.is_file()], 300)
        time.sleep(2.0)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.shutdown()
    wall = time.time() - t_start

    print(f"seed {args.seed}: {frame['campaign_id'].nunique()} campaigns, {len(truth)} injected incidents over the "
          f"last {args.days} days; pace {args.pace} s per day file; killed -9 after {killed_at}; wall {wall:.0f} s")
    _report(truth, since, dropped, inbox)
    print(f"inbox drained: {done}; worker exit status after SIGTERM: {rc}")
    log.close()
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
