"""The lifecycle's state in the warehouse: every run, the champion of each family, the overview."""

from __future__ import annotations

import json
from typing import Mapping

import numpy as np
import pandas as pd

from core.lifecycle.catalog import Family
from core.warehouse import Warehouse


STATE_TABLE = "lifecycle_models"


def champions(wh: Warehouse) -> pd.DataFrame:
    """The current model of each family (the latest promoted run)."""
    runs = wh.load_state(STATE_TABLE)
    if runs.empty:
        return runs
    promoted = runs[runs["promoted"]].sort_values("trained_at")
    return promoted.groupby("family").tail(1).set_index("family")


def runs(wh: Warehouse, family: str | None = None) -> pd.DataFrame:
    frame = wh.load_state(STATE_TABLE, **({"family": family} if family else {}))
    return frame.sort_values("trained_at") if not frame.empty else frame


def metric_history(wh: Warehouse, family: str | None = None) -> pd.DataFrame:
    """Every run's evaluation figures in long form: family, trained_at, metric, value, promoted, primary."""
    frame = runs(wh, family)
    cols = ["family", "trained_at", "run_id", "metric", "value", "promoted", "primary"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for r in frame.itertuples(index=False):
        for metric, value in json.loads(r.metrics or "{}").items():
            rows.append({"family": r.family, "trained_at": r.trained_at, "run_id": r.run_id, "metric": metric,
                         "value": np.nan if value is None else float(value), "promoted": bool(r.promoted),
                         "primary": metric == r.primary_metric})
    return pd.DataFrame(rows, columns=cols)


def overview(wh: Warehouse, families: Mapping[str, Family] | None = None) -> pd.DataFrame:
    """One row per family: current version, training window, primary figure, last run and its decision."""
    if families is None:
        from core.lifecycle.builtin import families as builtin

        families = builtin()
    fams = families
    champs, latest = champions(wh), latest_runs(wh)
    rows = []
    for name, fam in fams.items():
        c = champs.loc[name] if name in champs.index else None
        last = latest.loc[name] if name in latest.index else None
        metrics = json.loads(c["metrics"]) if c is not None else {}
        primary = c["primary_metric"] if c is not None else None
        rows.append({"family": name, "description": fam.description,
                     "version": c["version"] if c is not None else None,
                     "window_start": c["window_start"] if c is not None else None,
                     "window_end": c["window_end"] if c is not None else None,
                     "primary_metric": primary, "value": metrics.get(primary) if primary else None,
                     "trained_at": c["trained_at"] if c is not None else None,
                     "run_id": c["run_id"] if c is not None else None,
                     "last_run": last["trained_at"] if last is not None else None,
                     "last_decision": last["decision"] if last is not None else None,
                     "schedule_days": fam.schedule_days})
    return pd.DataFrame(rows)


def latest_runs(wh: Warehouse) -> pd.DataFrame:
    """The latest run of each family, promoted or not (what was last checked against the data)."""
    frame = wh.load_state(STATE_TABLE)
    if frame.empty:
        return frame
    return frame.sort_values("trained_at").groupby("family").tail(1).set_index("family")


def judged_drift(wh: Warehouse, family: Family, champion: pd.Series | None, recent_days: int = 28) -> dict:
    """A family's drift, judged only where there is something to compare.

    Without a model there is nothing drift could make stale; a model trained on exactly the
    current data has seen whatever shift they hold. Both come back as ``not judged`` with the
    reason; otherwise :func:`core.lifecycle.drift.drift_status`.
    """
    from core.lifecycle.drift import drift_status

    empty = pd.DataFrame()
    if champion is None:
        return {"status": "not judged", "drifted": [], "table": empty, "note": "no model yet, nothing to compare"}
    if int(champion["data_version"]) == wh.data_version:
        return {"status": "not judged", "drifted": [], "table": empty,
                "note": "the current model was trained on exactly these data"}
    return drift_status(wh, family, recent_days)
