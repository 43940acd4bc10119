"""Incidents: consecutive alert days of one campaign and kind, grouped."""

from __future__ import annotations

from datetime import date

import pandas as pd

from core.errors import BadInputError
from core.monitoring.vocabulary import SEVERITIES

def resolve_since(since: str | date | None, last_date: pd.Timestamp, days: int = 7) -> pd.Timestamp:
    """The first day checked: ``since`` itself, or the last ``days`` days of the data."""
    if since is None or since == "":
        return pd.Timestamp(last_date).normalize() - pd.Timedelta(days=days - 1)
    try:
        return pd.Timestamp(since).normalize()
    except (ValueError, TypeError) as exc:
        raise BadInputError(f"--since must be a date as YYYY-MM-DD, not {since!r}.") from exc


def incidents(alerts: pd.DataFrame, *, last_date: pd.Timestamp | None = None, max_gap_days: int = 1) -> pd.DataFrame:
    """Group consecutive alert days of one campaign and kind into incidents.

    Days at most ``max_gap_days`` apart belong to the same incident (no
    flip-flop). An incident whose last alert is the last day of the data is
    ``ongoing``.

    Returns
    -------
    DataFrame with incident_id, campaign_id, campaign_name, platform, kind, metric,
    start (the first alert), end ("ongoing" or a date), last_alert, days (alert days),
    problem_since (when the run of zeros or short days behind it began), severity,
    observed, expected, message.
    """
    cols = ["incident_id", "campaign_id", "campaign_name", "platform", "kind", "metric", "start", "end",
            "last_alert", "days", "problem_since", "severity", "observed", "expected", "message"]
    if alerts is None or not len(alerts):
        return pd.DataFrame(columns=cols)
    a = alerts.copy()
    a["_d"] = pd.to_datetime(a["date"])
    a = a.sort_values(["campaign_id", "kind", "_d"])
    gap = a.groupby(["campaign_id", "kind"])["_d"].diff().dt.days
    a["_inc"] = (gap.isna() | (gap > max_gap_days + 1)).cumsum()
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    a["_sev"] = a["severity"].map(rank)
    last = pd.Timestamp(last_date).normalize() if last_date is not None else a["_d"].max()
    rows = []
    for _, grp in a.groupby("_inc", sort=False):
        first, final = grp.iloc[0], grp.iloc[-1]
        start = first["_d"].date().isoformat()
        ongoing = final["_d"] >= last
        rows.append({
            "incident_id": f"{first['campaign_id']}:{first['kind']}:{start}",
            "campaign_id": first["campaign_id"], "campaign_name": first.get("campaign_name"),
            "platform": first.get("platform"), "kind": first["kind"], "metric": final["metric"],
            "start": start, "end": "ongoing" if ongoing else final["_d"].date().isoformat(),
            "last_alert": final["_d"].date().isoformat(), "days": int(len(grp)),
            "problem_since": min(grp["since"]) if "since" in grp else start,
            "severity": SEVERITIES[int(grp["_sev"].max())], "observed": final["observed"],
            "expected": final["expected"], "message": final["message"]})
    out = pd.DataFrame(rows, columns=cols)
    out["_sev"] = out["severity"].map(rank)
    out["_open"] = out["end"].eq("ongoing")
    out = out.sort_values(["_open", "_sev", "last_alert"], ascending=[False, False, False])
    return out.drop(columns=["_sev", "_open"]).reset_index(drop=True)


