"""One workspace, two processes: the worker owns the DuckDB file, the app reads snapshots.

DuckDB lets one process open a file for writing and no other process open it at all,
so while the worker runs:

* the worker holds ``workspace.duckdb`` and, after each check, publishes a consistent
  copy of it (checkpoint, copy, atomic rename) as ``workspace.duckdb.snapshots/N.duckdb``
  and a heartbeat ``workspace.duckdb.watch.json`` (last file, last check, queue, snapshot);
* the app, while the heartbeat is fresh, opens the newest snapshot instead of the file
  (never a lock error), and its own state writes (acknowledgements, plan revisions) go to
  the snapshot *and* as request files to ``workspace.duckdb.requests/``, which the worker
  applies to the real file on its next turn;
* when the worker starts while the app holds the file, the worker waits and says so in
  its heartbeat; the app, on its next run, hands the file over (checkpoint, copy to a
  snapshot, close) and reads that snapshot until the worker publishes its own.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from core.files import write_whole
from core.warehouse import Warehouse

FRESH_S = 30.0  # a heartbeat older than this is a worker that has gone
KEEP_SNAPSHOTS = 3


def heartbeat_path(db: str | Path) -> Path:
    return Path(f"{db}.watch.json")


def snapshots_dir(db: str | Path) -> Path:
    return Path(f"{db}.snapshots")


def requests_dir(db: str | Path) -> Path:
    return Path(f"{db}.requests")


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    write_whole(path, json.dumps(payload, default=str))


def write_heartbeat(db: str | Path, **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into the heartbeat and stamp it now."""
    path = heartbeat_path(db)
    beat = read_heartbeat(db) or {}
    beat.update(fields, pid=os.getpid(), beat_at=time.time())
    _write_json(path, beat)
    return beat


def read_heartbeat(db: str | Path) -> dict[str, Any] | None:
    try:
        return json.loads(heartbeat_path(db).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def is_fresh(beat: dict[str, Any] | None, *, now: float | None = None, fresh_s: float = FRESH_S) -> bool:
    return bool(beat) and beat.get("state") != "stopped" and (now or time.time()) - float(beat.get("beat_at", 0)) \
        <= fresh_s


def publish_snapshot(wh: Warehouse, db: str | Path) -> Path:
    """A consistent copy of the workspace for readers; older copies beyond the last few are removed."""
    folder = snapshots_dir(db)
    folder.mkdir(exist_ok=True)
    wh.checkpoint()
    stamp = f"{time.time_ns()}"
    tmp = folder / f".{stamp}.tmp"
    shutil.copyfile(db, tmp)
    dest = folder / f"{stamp}.duckdb"
    os.replace(tmp, dest)
    for old in sorted(folder.glob("*.duckdb"))[:-KEEP_SNAPSHOTS]:
        for p in (old, Path(f"{old}.wal")):
            p.unlink(missing_ok=True)  # a reader that has it open keeps reading it (POSIX)
    return dest


# ------------------------------------------------------------------ app side

_open: dict[str, Warehouse] = {}
_generation: dict[str, int] = {}  # bumped when this process lets go of a file it held
_guard = threading.Lock()


class SnapshotWarehouse(Warehouse):
    """A snapshot the app reads while the worker runs; state writes also go to the worker."""

    db_path: Path

    def save_state(self, table: str, frame: pd.DataFrame, *, keys=(), replace_all: bool = False) -> None:
        super().save_state(table, frame, keys=keys, replace_all=replace_all)
        _request(self.db_path, {"op": "save", "table": table, "rows": frame.to_dict(orient="records"),
                                "keys": list(keys), "replace_all": replace_all, "account": self.account})

    def delete_state(self, table: str, **equals: Any) -> int:
        n = super().delete_state(table, **equals)
        _request(self.db_path, {"op": "delete", "table": table, "equals": equals, "account": self.account})
        return n


def _request(db: Path, payload: dict[str, Any]) -> None:
    folder = requests_dir(db)
    folder.mkdir(exist_ok=True)
    name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.json"
    _write_json(folder / name, payload)


def apply_requests(wh: Warehouse, db: str | Path) -> int:
    """Apply the app's queued state writes to the real workspace, oldest first."""
    folder = requests_dir(db)
    if not folder.is_dir():
        return 0
    n = 0
    for path in sorted(folder.glob("*.json")):
        req = json.loads(path.read_text())
        view = wh.for_account(req.get("account"))  # the client whose page made the write
        if req["op"] == "save":
            view.save_state(req["table"], pd.DataFrame(req["rows"]), keys=req["keys"], replace_all=req["replace_all"])
        elif req["op"] == "delete":
            view.delete_state(req["table"], **req["equals"])
        path.unlink()
        n += 1
    return n


def app_workspace(db: str | Path) -> tuple[str, str]:
    """Which file the app should open now: (path, kind) with kind ``workspace`` or ``snapshot``.

    While a worker's heartbeat is fresh: its newest snapshot (handing the file over first
    when the worker is waiting for it). Otherwise the workspace file itself.
    """
    db = str(db)
    beat = read_heartbeat(db)
    if not is_fresh(beat):
        return db, "workspace"
    snap = beat.get("snapshot")
    # Only a worker waiting for the file gets it handed over: a watching worker already owns
    # the file and publishes a snapshot as it starts. Handing over on any missing snapshot
    # would close, in the middle of a page run, the file an earlier call of the same run opened.
    if beat.get("state") == "waiting":
        handed = _hand_over(db)
        if handed:
            return handed, "snapshot"
    if snap and Path(snap).exists():
        _close(db)
        return snap, "snapshot"
    return db, "workspace"


def _hand_over(db: str) -> str | None:
    """Checkpoint and copy the file this process holds, close it, and read the copy instead."""
    with _guard:
        wh = _open.get(db)
        if wh is None:
            return None
        snap = publish_snapshot(wh, db)
        del _open[db]
        _generation[db] = _generation.get(db, 0) + 1
        _close_soon(wh)
        return str(snap)


def _close(db: str) -> None:
    with _guard:
        wh = _open.pop(db, None)
        if wh is not None:
            _generation[db] = _generation.get(db, 0) + 1
            _close_soon(wh)


def _close_soon(wh: Warehouse, after_s: float = 3.0) -> None:
    """Close a handle the app let go of once the script run that still holds it has finished
    (the next run opens the snapshot; the worker retries until the file is free)."""
    timer = threading.Timer(after_s, wh.close)
    timer.name, timer.daemon = "workbench-close", True
    timer.start()


def app_target(db: str | Path) -> tuple[str, str, int]:
    """:func:`app_workspace` plus a generation number for the app's cache key (a file this
    process let go of is opened afresh when it comes back)."""
    path, kind = app_workspace(db)
    return path, kind, _generation.get(str(db), 0)


def open_for_app(path: str, kind: str, db: str | Path) -> Warehouse:
    """Open what :func:`app_workspace` chose (the app caches the result per path)."""
    if kind == "snapshot":
        wh = SnapshotWarehouse.open(path)
        wh.db_path = Path(db)
        return wh
    with _guard:
        wh = _open.get(path)
        if wh is None or _is_closed(wh):
            wh = Warehouse.open(path)
            _open[path] = wh
        return wh


def _is_closed(wh: Warehouse) -> bool:
    try:
        wh.data_version
        return False
    except Exception:
        return True


def worker_inbox(wh: Warehouse) -> Path | None:
    """The running worker's inbox when ``wh`` is its snapshot: uploads then go there, since the worker owns the file."""
    if not isinstance(wh, SnapshotWarehouse):
        return None
    beat = read_heartbeat(wh.db_path) or {}
    return Path(beat["inbox"]) if beat.get("inbox") else None


def watching_note(db: str | Path, *, now: float | None = None) -> str | None:
    """"watching: last file 2 min ago, checked through Oct 31, 0 queued" (None without a live worker)."""
    beat = read_heartbeat(db)
    if not is_fresh(beat, now=now):
        return None
    now = now or time.time()
    if beat.get("state") == "waiting":
        return "the monitor worker is starting (waiting for the workspace)"
    parts = []
    last = beat.get("last_file_at")
    parts.append(f"last file {_ago(now - float(last))}" if last else "no file yet")
    if beat.get("checked_through"):
        parts.append(f"checked through {pd.Timestamp(beat['checked_through']):%b %d}")
    parts.append(f"{int(beat.get('queue', 0))} file{'s' if int(beat.get('queue', 0)) != 1 else ''} queued")
    pend = int(beat.get("webhook_pending", 0) or 0) + int(beat.get("email_pending", 0) or 0)
    if pend:
        parts.append(f"{pend} alert message{'s' if pend != 1 else ''} waiting to be delivered")
    return "watching: " + ", ".join(parts)


def _ago(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s ago"
    if s < 3600:
        return f"{s // 60} min ago"
    if s < 86400:
        return f"{s // 3600} h ago"
    return f"{s // 86400} days ago"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
