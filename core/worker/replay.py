"""Feed days into an inbox one file per day (``python -m core replay``), for demos and checks.

Each file is written under a hidden temporary name and renamed when complete, so a
watcher never sees half a file.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from core.errors import BadInputError
from core.files import write_whole


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        rec = {k: v for k, v in rec.items() if not (isinstance(v, float) and v != v)}
        rec["date"] = pd.Timestamp(rec["date"]).date().isoformat()
        out.append(rec)
    return out


def write_file(path: Path, payload: dict[str, Any]) -> Path:
    return write_whole(path, json.dumps(payload, default=str))


def day_files(campaigns: list[dict[str, Any]] | pd.DataFrame, inbox: Path, *, days: int, speed: float = 0.0,
              history: bool = True, sleep: Callable[[float], None] = time.sleep,
              on_file: Callable[[Path, str], None] | None = None) -> list[Path]:
    """Write the last ``days`` days of ``campaigns`` into ``inbox``, one file a day.

    ``history`` first writes everything before those days as ``0000-history.json``.
    ``speed`` is days per second (0: as fast as possible). ``on_file(path, day)`` is
    called after each file lands (benchmarks time alerts from it).
    """
    frame = pd.DataFrame(campaigns).copy()
    if not len(frame):
        raise BadInputError("There are no campaign-days to replay.")
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    all_days = sorted(frame["date"].unique())
    if days < 1 or days >= len(all_days):
        raise BadInputError(f"--days must be between 1 and {len(all_days) - 1} for this data.")
    live = all_days[-days:]
    inbox.mkdir(parents=True, exist_ok=True)
    written = []
    if history:
        p = write_file(inbox / "0000-history.json", {"campaigns": _records(frame[frame["date"] < live[0]])})
        written.append(p)
        if on_file:
            on_file(p, "history")
    for i, day in enumerate(live):
        if speed > 0 and (i or history):
            sleep(1.0 / speed)
        d = pd.Timestamp(day).date().isoformat()
        p = write_file(inbox / f"day-{d}.json", {"campaigns": _records(frame[frame["date"] == day])})
        written.append(p)
        if on_file:
            on_file(p, d)
    return written


def sample_campaigns(path: str | Path) -> list[dict[str, Any]]:
    """The campaign records of a contract workspace file (gzip or plain JSON)."""
    path = Path(path)
    with path.open("rb") as fh:
        zipped = fh.read(2) == b"\x1f\x8b"
    with (gzip.open(path, "rt") if zipped else path.open()) as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or "campaigns" not in data:
        raise BadInputError(f"{path.name}: not a workspace file with campaigns.")
    return data["campaigns"]
