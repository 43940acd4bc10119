"""What the worker has checked and told, kept in the workspace (state table ``watch_ledger``).

One table holds both the checked-through watermark and every alert the worker found,
with its delivery status per channel, so that a check and what it found are written in
one ``save_state`` call: one transaction. A restart (even after ``kill -9``) therefore
finds either the check with all its alerts queued, or neither; and an alert is posted
only from the queue, then marked sent, so none is repeated or lost.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pandas as pd

LEDGER_TABLE = "watch_ledger"
WATERMARK = "__checked_through__"
CHANNELS = ("webhook", "email")
COLUMNS = ["key", "campaign_id", "date", "kind", "payload", "webhook", "email", "found_at", "sent_at"]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def alert_key(alert: dict[str, Any] | pd.Series) -> str:
    """One alert is one campaign, day and kind."""
    return f"{alert['campaign_id']}|{alert['date']}|{alert['kind']}"


def _load(wh) -> pd.DataFrame:
    frame = wh.load_state(LEDGER_TABLE)
    return frame if len(frame) else pd.DataFrame(columns=COLUMNS)


def checked_through(wh) -> pd.Timestamp | None:
    """The last day the worker has checked (None before its first check)."""
    rows = wh.load_state(LEDGER_TABLE, key=WATERMARK)
    if not len(rows) or not rows["date"].iloc[0]:
        return None
    return pd.Timestamp(rows["date"].iloc[0])


def known_keys(wh) -> set[str]:
    led = _load(wh)
    return set(led["key"].astype(str)) - {WATERMARK}


def record_check(wh, alerts: list[dict[str, Any]], through: pd.Timestamp, *, channels: dict[str, bool]) -> None:
    """Queue ``alerts`` for each configured channel and move the watermark: one transaction."""
    now = _now()
    rows = [{"key": alert_key(a), "campaign_id": str(a["campaign_id"]), "date": str(a["date"]),
             "kind": str(a["kind"]), "payload": json.dumps(a, default=str),
             **{ch: ("pending" if channels.get(ch) else "off") for ch in CHANNELS},
             "found_at": now, "sent_at": ""} for a in alerts]
    rows.append({"key": WATERMARK, "campaign_id": "", "date": pd.Timestamp(through).date().isoformat(),
                 "kind": "", "payload": "", "webhook": "", "email": "", "found_at": now, "sent_at": ""})
    wh.save_state(LEDGER_TABLE, pd.DataFrame(rows, columns=COLUMNS), keys=["key"])


def pending(wh, channel: str) -> list[dict[str, Any]]:
    """Alerts found but not yet delivered on ``channel``, oldest day first."""
    led = _load(wh)
    led = led[(led["key"] != WATERMARK) & (led[channel] == "pending")].sort_values(["date", "key"])
    return [json.loads(p) for p in led["payload"]]


def mark_sent(wh, channel: str, alerts: list[dict[str, Any]]) -> None:
    keys = {alert_key(a) for a in alerts}
    led = _load(wh)
    rows = led[led["key"].isin(keys)].copy()
    if not len(rows):
        return
    rows[channel] = "sent"
    rows["sent_at"] = _now()
    wh.save_state(LEDGER_TABLE, rows[COLUMNS], keys=["key"])


def summary(wh) -> dict[str, Any]:
    """Counts for the heartbeat: alerts found, and still queued per channel."""
    led = _load(wh)
    led = led[led["key"] != WATERMARK]
    out: dict[str, Any] = {"alerts_found": int(len(led))}
    for ch in CHANNELS:
        out[f"{ch}_pending"] = int((led[ch] == "pending").sum()) if len(led) else 0
    return out
