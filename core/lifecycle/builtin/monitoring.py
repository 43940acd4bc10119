"""The ``monitoring`` family: the campaign monitor, judged by a replay with injected incidents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.config import Settings
from core.errors import NotEnoughDataError
from core.lifecycle.builtin.common import HOLDOUT_DAYS, _campaigns, _day, _window
from core.lifecycle.catalog import Family, TrainResult, register
from core.overview import safe_ratio
from core.warehouse import Warehouse


def monitoring_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Per campaign-day: spend against budget, click-through rate, leads per click."""
    c = wh.campaigns()
    if not len(c):
        return pd.DataFrame(), None
    return pd.DataFrame({"date": c["date"], "budget_use": safe_ratio(c["spend"], c["daily_budget"]),
                         "ctr": safe_ratio(c["clicks"], c["impressions"]),
                         "leads_per_click": safe_ratio(c["leads"], c["clicks"])}), "date"


def monitoring_train(wh: Warehouse, settings: Settings) -> TrainResult:
    """Replay the monitor on the last quarter with known incidents injected: precision and recall."""
    from core import monitoring as mon

    campaigns = _campaigns(wh)
    last = pd.to_datetime(campaigns["date"]).max()
    start = (last - pd.Timedelta(days=HOLDOUT_DAYS - 1)).normalize()
    if pd.to_datetime(campaigns["date"]).min() > start - pd.Timedelta(days=60):
        raise NotEnoughDataError(f"The monitor replay needs 60 days of history before the last {HOLDOUT_DAYS}.")
    injected, truth = mon.inject_incidents(campaigns, start=start.date(), per_kind=4, random_state=0)
    if truth.empty:
        raise NotEnoughDataError("No campaign is large enough to carry an injected incident: too little data.")
    country = settings.country or None
    shared = wh.shared_budgets()
    model = mon.Monitor(country=country).fit(injected, shared)
    alerts = model.predict(since=start)
    ev = mon.evaluate(alerts, truth, since=start)
    p, r = ev["precision"], ev["recall"]
    f1 = 2 * p * r / (p + r) if np.isfinite(p) and np.isfinite(r) and p + r > 0 else 0.0
    clean = mon.Monitor(country=country).fit(campaigns, shared)
    days = max(int(clean.grid_.present[:, -HOLDOUT_DAYS:].sum()), 1)
    clean_alerts = clean.predict(since=start)
    kinds = clean.alerts_["kind"].value_counts().to_dict() if len(clean.alerts_) else {}
    elasticity = np.asarray(getattr(clean, "elasticity_", np.array([])), dtype=float).ravel()
    return TrainResult(
        metrics={"f1": f1, "precision": p, "recall": r, "precision_kind_matched": ev["precision_kind_matched"],
                 "injected_incidents": float(ev["incidents"]), "alerts": float(ev["alerts"]),
                 "clean_alerts_per_100_campaign_days": 100.0 * len(clean_alerts) / days},
        primary="f1", higher_is_better=True,
        params={"sensitivity": model.sensitivity, "half_life": model.half_life, "replay_days": HOLDOUT_DAYS,
                "per_kind": 4, "inject_seed": 0, "country": country},
        window=_window(campaigns["date"]),
        artifact={"last_date": _day(clean.last_date_), "alerts_by_kind_all_history": {str(k): int(v)
                                                                                      for k, v in kinds.items()},
                  "incidents_open": int(len(clean.incidents_)),
                  "spend_elasticity": {"median": float(np.nanmedian(elasticity)) if np.isfinite(elasticity).any()
                                       else None, "campaigns": int(np.isfinite(elasticity).sum())},
                  "replay_per_kind": {k: {kk: (None if isinstance(vv, float) and not np.isfinite(vv) else vv)
                                          for kk, vv in v.items()} for k, v in ev["per_kind"].items()}})


FAMILY = register(Family('monitoring', "Campaign monitor baselines (alerts)", monitoring_train, monitoring_features, schedule_days=7))
