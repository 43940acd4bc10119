"""Model lifecycle: every model tracked in MLflow, watched for drift, retrained on schedule.

A *family* is one kind of model the workbench fits (recommendation curves, monitor
baselines, forecasts, sentiment head, segments, ROI, bandits). Each family knows how to
train itself on the warehouse and evaluate the result; this package decides *when* to
train (data changed, drift found, model too old, or forced), keeps a new model only when
its evaluation is no worse than the champion's, records every run in MLflow, and keeps
the champion's passport in the warehouse so the app can say which model made a number.

One concern per file:

============  ==================================================================================
``catalog``   :class:`Family`, :class:`TrainResult` and the registry of families (a leaf: it
              imports no family, so the families import it and nothing imports back)
``builtin``   the workbench's families, one module each (importing it registers them)
``drift``     PSI, two-sample tests, seasonal windows, a family's drift
``tracking``  MLflow runs, artifacts beside the tracking store
``state``     runs and champions in the warehouse, the overview
``retrain``   when to retrain, champion/challenger, the champion's artifact via :mod:`core.registry`
============  ==================================================================================
"""

from __future__ import annotations

from core.lifecycle.catalog import FAMILIES, Family, TrainResult, register
from core.lifecycle.drift import (
    KS_ALPHA, PSI_DRIFT, drift_report, drift_status, family_drift, psi, psi_categorical, seasonal_windows,
)
from core.lifecycle.tracking import Tracker, tracking_uri
from core.lifecycle.state import (
    STATE_TABLE, champions, judged_drift, latest_runs, metric_history, overview, runs,
)
from core.lifecycle.retrain import (
    ARTIFACT_VERSION, artifact_type, decide, load_artifact, retrain, retrain_reason, run_retrain, should_promote,
    train_and_decide, train_missing,
)
from core.lifecycle.builtin import families

__all__ = [
    "FAMILIES", "Family", "TrainResult", "register", "KS_ALPHA", "PSI_DRIFT", "drift_report", "drift_status",
    "family_drift", "psi", "psi_categorical", "seasonal_windows", "Tracker", "tracking_uri", "STATE_TABLE",
    "champions", "judged_drift", "latest_runs", "metric_history", "overview", "runs", "ARTIFACT_VERSION", "artifact_type",
    "decide", "load_artifact", "retrain", "retrain_reason", "run_retrain", "should_promote", "train_and_decide",
    "train_missing", "families",
]
