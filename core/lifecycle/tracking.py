"""MLflow tracking of every run (imported lazily: MLflow is slow to import)."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.config import Settings
from core.lifecycle.catalog import TrainResult


def tracking_uri(settings: Settings) -> str:
    """``MLFLOW_TRACKING_URI`` or a SQLite store inside the project (MLflow 3 refuses bare files)."""
    if settings.mlflow_tracking_uri:
        return settings.mlflow_tracking_uri
    path = settings.models_base.parent / "mlflow.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def artifact_root(uri: str) -> str | None:
    """Where a SQLite tracking store keeps run artifacts: ``mlartifacts/`` beside the database file.

    MLflow's default is ``./mlruns`` under the working directory, which puts artifacts in the
    code folder; a server URI (http, databricks) keeps its own default (None).

    >>> artifact_root("sqlite:////srv/wb/mlflow.db")
    'file:///srv/wb/mlartifacts'
    """
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri[len("sqlite:///"):]).resolve().parent / "mlartifacts").as_uri()


class Tracker:
    """Logs runs to MLflow (imported lazily: it is slow to import); artifacts beside the tracking store."""

    experiment = "marketing-workbench"

    def __init__(self, uri: str, account: str = "default") -> None:
        self.uri = uri
        self.account = account  # every run is tagged with the client whose data it learned from

    def _client(self):
        import logging

        import mlflow

        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("mlflow").setLevel(logging.WARNING)
        mlflow.set_tracking_uri(self.uri)
        if mlflow.get_experiment_by_name(self.experiment) is None:
            mlflow.create_experiment(self.experiment, artifact_location=artifact_root(self.uri))
        mlflow.set_experiment(self.experiment)
        return mlflow

    def log(self, family: str, result: TrainResult, *, data_version: int, promoted: bool, reason: str,
            decision: str) -> str:
        mlflow = self._client()
        with mlflow.start_run(run_name=f"{family}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}") as run:
            mlflow.set_tags({"family": family, "account": self.account, "promoted": str(promoted), "reason": reason, "decision": decision,
                             "primary_metric": result.primary})
            mlflow.log_params({"data_version": data_version, "window_start": result.window[0],
                               "window_end": result.window[1],
                               **{k: _param(v) for k, v in result.params.items()}})
            finite = {k: float(v) for k, v in result.metrics.items() if v is not None and np.isfinite(v)}
            if finite:
                mlflow.log_metrics(finite)
            if result.artifact is not None:
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / f"{family}.json"
                    path.write_text(json.dumps(result.artifact, default=str))
                    mlflow.log_artifact(str(path))
            return run.info.run_id

    def history(self, family: str | None = None) -> pd.DataFrame:
        mlflow = self._client()
        clauses = ([f"tags.family = '{family}'"] if family else []) + (
            [f"tags.account = '{self.account}'"] if self.account != "default" else [])
        runs = mlflow.search_runs(experiment_names=[self.experiment], filter_string=" and ".join(clauses))
        return runs


def _param(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text[:500]
