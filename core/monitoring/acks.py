"""Acknowledged and muted incidents, kept in the warehouse's state table ``monitoring_acks``."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from core.errors import BadInputError
from core.monitoring.vocabulary import ACKS_TABLE

def load_acks(wh) -> pd.DataFrame:
    """Acknowledged and muted incidents (empty frame when none)."""
    acks = wh.load_state(ACKS_TABLE)
    if not len(acks):
        return pd.DataFrame(columns=["incident_id", "campaign_id", "kind", "status", "until", "note", "at"])
    return acks


def acknowledge(wh, incident: dict[str, Any] | pd.Series, *, status: str = "acknowledged", note: str = "",
                until: str | date | None = None) -> None:
    """Acknowledge one incident, or mute its campaign and kind (optionally until a date).

    Stored in the warehouse state table ``monitoring_acks``, so it survives restarts.
    """
    if status not in ("acknowledged", "muted"):
        raise BadInputError(f"status must be 'acknowledged' or 'muted', not {status!r}.")
    row = pd.DataFrame([{
        "incident_id": str(incident["incident_id"]), "campaign_id": str(incident["campaign_id"]),
        "kind": str(incident["kind"]), "status": status,
        "until": pd.Timestamp(until).date().isoformat() if until else "",
        "note": note or "", "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}])
    wh.save_state(ACKS_TABLE, row, keys=["incident_id"])


def unacknowledge(wh, incident_id: str) -> int:
    """Reopen an acknowledged or muted incident."""
    return wh.delete_state(ACKS_TABLE, incident_id=str(incident_id))


def apply_acks(incidents_: pd.DataFrame, acks: pd.DataFrame, *, today: date | None = None) -> pd.DataFrame:
    """Add a ``status`` column: open, closed, acknowledged or muted.

    An acknowledgement covers its incident; a mute covers every incident of the
    same campaign and kind (until its date, when one is set).
    """
    out = incidents_.copy()
    out["status"] = np.where(out["end"].eq("ongoing"), "open", "closed") if len(out) else []
    if not len(out) or acks is None or not len(acks):
        return out
    today_s = (today or date.today()).isoformat()
    ack_ids = set(acks.loc[acks["status"] == "acknowledged", "incident_id"].astype(str))
    mutes = acks[acks["status"] == "muted"]
    active = mutes[(mutes["until"].fillna("") == "") | (mutes["until"].fillna("") >= today_s)]
    muted_pairs = set(zip(active["campaign_id"].astype(str), active["kind"].astype(str)))
    muted_ids = set(mutes["incident_id"].astype(str))
    is_muted = [(c, k) in muted_pairs or i in muted_ids for c, k, i in
                zip(out["campaign_id"].astype(str), out["kind"], out["incident_id"])]
    out.loc[out["incident_id"].isin(ack_ids), "status"] = "acknowledged"
    out.loc[np.array(is_muted, dtype=bool), "status"] = "muted"
    return out


