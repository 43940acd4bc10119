"""Plan revisions: an applied action, recorded (who, when, budgets before and after), undoable.

Nothing is pushed to an ad platform: a revision is an export the team applies, as a CSV
in the bulk-upload columns of Meta Ads Manager (ad sets) and Google Ads Editor
(campaigns). Revisions live in the warehouse state table ``monitoring_revisions``.
"""

from __future__ import annotations

import io
import json
import time
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from core.errors import BadInputError

REVISIONS_TABLE = "monitoring_revisions"
COLUMNS = ["revision_id", "at", "who", "incident_id", "campaign_id", "kind", "action", "effect", "changes",
           "status", "undone_at"]
META_PLATFORMS = ("facebook", "instagram", "messenger", "audience_network")
GOOGLE_PLATFORMS = ("google",)


def apply_action(wh, incident: dict[str, Any] | pd.Series, proposal: dict[str, Any], *, who: str) -> dict[str, Any]:
    """Record ``proposal`` (from :func:`core.monitoring.actions.propose_one`) as an applied revision."""
    if not proposal.get("action"):
        raise BadInputError("This incident has no proposed action to apply.")
    rev = {"revision_id": f"rev-{time.time_ns()}", "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "who": who or "someone", "incident_id": str(incident.get("incident_id", "")),
           "campaign_id": str(incident["campaign_id"]), "kind": str(incident["kind"]),
           "action": str(proposal["action"]), "effect": str(proposal.get("effect", "")),
           "changes": json.dumps(proposal.get("changes", []), default=str), "status": "applied", "undone_at": ""}
    wh.save_state(REVISIONS_TABLE, pd.DataFrame([rev], columns=COLUMNS), keys=["revision_id"])
    return rev


def revisions(wh) -> pd.DataFrame:
    """Every revision, newest first."""
    frame = wh.load_state(REVISIONS_TABLE)
    if not len(frame):
        return pd.DataFrame(columns=COLUMNS)
    return frame.sort_values("revision_id", ascending=False).reset_index(drop=True)


def undo(wh, revision_id: str) -> None:
    """Mark a revision undone (its budgets no longer count)."""
    rows = wh.load_state(REVISIONS_TABLE, revision_id=str(revision_id))
    if not len(rows):
        raise BadInputError(f"No revision {revision_id!r}.")
    rows = rows.copy()
    rows["status"] = "undone"
    rows["undone_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    wh.save_state(REVISIONS_TABLE, rows[COLUMNS], keys=["revision_id"])


def changes(revs: pd.DataFrame) -> pd.DataFrame:
    """One row per budget change of the applied revisions (oldest first)."""
    rows = []
    for r in revs[revs["status"] == "applied"].sort_values("revision_id").itertuples():
        for c in json.loads(r.changes or "[]"):
            rows.append({"revision_id": r.revision_id, "at": r.at, "who": r.who, **c})
    cols = ["revision_id", "at", "who", "campaign_id", "campaign_name", "platform", "before", "after"]
    return pd.DataFrame(rows, columns=cols)


def current_budgets(revs: pd.DataFrame) -> pd.DataFrame:
    """Each touched campaign's daily budget after every applied revision (the latest wins)."""
    ch = changes(revs)
    if not len(ch):
        return ch
    first = ch.groupby("campaign_id").first()
    last = ch.groupby("campaign_id").last()
    out = last[["campaign_name", "platform"]].copy()
    out["before"], out["after"] = first["before"], last["after"]
    return out.reset_index()


def bulk_csv(budgets: pd.DataFrame, platform: str) -> str:
    """The budgets of one platform family as a bulk-upload CSV: ``meta`` or ``google``.

    Meta (Ads Manager import, ad set level): Ad Set ID, Ad Set Name, Ad Set Daily Budget,
    Ad Set Run Status. Google (Ads Editor, campaign level): Campaign ID, Campaign, Budget,
    Campaign Status. A budget cut to 0 is a pause.
    """
    if platform == "meta":
        b = budgets[budgets["platform"].isin(META_PLATFORMS)]
        out = pd.DataFrame({"Ad Set ID": b["campaign_id"], "Ad Set Name": b["campaign_name"],
                            "Ad Set Daily Budget": b["after"].map(lambda v: f"{v:.2f}"),
                            "Ad Set Run Status": (b["after"] > 0).map({True: "ACTIVE", False: "PAUSED"})})
    elif platform == "google":
        b = budgets[budgets["platform"].isin(GOOGLE_PLATFORMS)]
        out = pd.DataFrame({"Campaign ID": b["campaign_id"], "Campaign": b["campaign_name"],
                            "Budget": b["after"].map(lambda v: f"{v:.2f}"),
                            "Campaign Status": (b["after"] > 0).map({True: "Enabled", False: "Paused"})})
    else:
        raise BadInputError(f"platform must be 'meta' or 'google', not {platform!r}.")
    buf = io.StringIO()
    out.to_csv(buf, index=False)
    return buf.getvalue()
