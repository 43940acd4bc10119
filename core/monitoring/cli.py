"""``python -m core monitor`` and the two service calls the pages and benchmarks use."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from core.errors import NotEnoughDataError
from core.monitoring.incidents import resolve_since
from core.monitoring.model import Monitor
from core.monitoring.notify import notify_new
from core.monitoring.vocabulary import ALERT_COLUMNS

def replay(frame: pd.DataFrame, *, days: int = 91, sensitivity: str = "normal",
           country: str | None = "US", shared_budgets: dict[str, str] | None = None
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What would have alerted over the last ``days`` days of history: (alerts, incidents).

    Each day is judged only on the days before it, exactly as a nightly run would have.
    ``shared_budgets``: see :meth:`Monitor.fit`.
    """
    mon = Monitor(sensitivity=sensitivity, country=country).fit(frame, shared_budgets)
    start = mon.last_date_ - pd.Timedelta(days=days - 1)
    return mon.predict(since=start), mon.incidents(since=start)


def monitor(wh, *, since: str | date | None = None, sensitivity: str = "normal", country: str | None = "US",
            filters=None) -> tuple[Monitor, pd.DataFrame, pd.DataFrame]:
    """Fit the monitor on the warehouse's campaigns: (model, alerts since, incidents since)."""
    frame = wh.campaigns(filters)
    if not len(frame):
        raise NotEnoughDataError("There are no campaign-days to monitor yet: load campaign data first.")
    mon = Monitor(sensitivity=sensitivity, country=country).fit(frame, wh.shared_budgets())
    return mon, mon.predict(since), mon.incidents(since)


def run_monitor(args, ctx) -> dict[str, Any]:
    """``python -m core monitor``: alerts since ``--since`` (default the last 7 days)."""
    wh = ctx.warehouse()
    sensitivity = getattr(args, "sensitivity", None) or "normal"
    settings = ctx.settings
    since = getattr(args, "since", None)
    if since:
        resolve_since(since, pd.Timestamp.today())  # validates the date early (exit 2)
    frame = wh.campaigns()
    if not len(frame):
        return {"alerts": [], "incidents": [], "since": None, "sensitivity": sensitivity}
    country = getattr(settings, "country", "US")
    mon = Monitor(sensitivity=sensitivity, country=country).fit(frame, wh.shared_budgets())
    alerts = mon.predict(since)
    incs = mon.incidents(since)
    start = resolve_since(since, mon.last_date_)
    payload: dict[str, Any] = {
        "alerts": alerts[ALERT_COLUMNS].to_dict(orient="records") if len(alerts) else [],
        "incidents": incs.to_dict(orient="records") if len(incs) else [],
        "since": start.date().isoformat(), "until": mon.last_date_.date().isoformat(),
        "sensitivity": sensitivity,
    }
    url = getattr(args, "webhook", None) or getattr(settings, "webhook_url", None)
    if url:
        payload["notified"] = notify_new(wh, incs, url, timeout_s=5.0, retries=3,
                                         allow_private=bool(getattr(settings, "allow_private_urls", False)))
    return payload


