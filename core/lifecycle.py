"""Model lifecycle: every model tracked in MLflow, watched for drift, retrained on schedule.

A *family* is one kind of model the workbench fits (recommendation curves, monitor
baselines, forecasts, sentiment head, segments, ROI). Each family knows how to train
itself on the warehouse and evaluate the result; this module decides *when* to train
(data changed, drift found, model too old, or forced), keeps a new model only when its
evaluation is no worse than the champion's, records every run in MLflow, and keeps the
champion's passport in the warehouse so the app can say which model made a number.

Pure maths first (``psi``, ``drift_report``, ``should_promote``), then tracking, then
the retrain loop.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from core.config import Settings
from core.errors import BadInputError, NotEnoughDataError, WorkbenchError
from core.warehouse import Warehouse

STATE_TABLE = "lifecycle_models"
PSI_DRIFT = 0.25  # the usual reading: < 0.1 stable, 0.1-0.25 moderate, > 0.25 shifted
KS_ALPHA = 0.001


# ------------------------------------------------------------------ drift maths


def psi(reference: Iterable[float], current: Iterable[float], bins: int = 10) -> float:
    """Population stability index of a numeric feature, on the reference's quantile bins.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(psi(rng.normal(size=5000), rng.normal(size=5000)), 2) < 0.05
    True
    """
    ref = np.asarray(list(reference), dtype=float)
    cur = np.asarray(list(current), dtype=float)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) < 2 or len(cur) < 2:
        return float("nan")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0 if np.allclose(cur, edges[0]) else float("inf")
    edges[0], edges[-1] = -np.inf, np.inf
    return _psi_from_counts(np.histogram(ref, edges)[0], np.histogram(cur, edges)[0])


def psi_categorical(reference: Iterable[Any], current: Iterable[Any]) -> float:
    """Population stability index of a categorical feature."""
    ref = pd.Series(list(reference)).astype(str).value_counts()
    cur = pd.Series(list(current)).astype(str).value_counts()
    cats = ref.index.union(cur.index)
    return _psi_from_counts(ref.reindex(cats, fill_value=0).to_numpy(), cur.reindex(cats, fill_value=0).to_numpy())


def _psi_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray, eps: float = 1e-4) -> float:
    p = np.clip(ref_counts / max(ref_counts.sum(), 1), eps, None)
    q = np.clip(cur_counts / max(cur_counts.sum(), 1), eps, None)
    return float(np.sum((q - p) * np.log(q / p)))


def drift_report(reference: pd.DataFrame, current: pd.DataFrame, columns: Iterable[str] | None = None,
                 *, psi_threshold: float = PSI_DRIFT, ks_alpha: float = KS_ALPHA) -> pd.DataFrame:
    """One row per feature: PSI, and for numbers the Kolmogorov-Smirnov test; ``drifted`` flags.

    A numeric feature drifts when its PSI passes the threshold *and* the KS test
    rejects equality, so a large sample's tiny shift is not called drift (nor a small
    sample's noisy PSI); a categorical one when its PSI passes the threshold and a
    chi-square test of the two windows' counts rejects equality.
    """
    from scipy import stats

    cols = list(columns) if columns is not None else [c for c in reference.columns if c in current.columns]
    rows = []
    for col in cols:
        ref, cur = reference[col].dropna(), current[col].dropna()
        if len(ref) < 5 or len(cur) < 5:
            rows.append({"feature": col, "psi": np.nan, "ks_stat": np.nan, "p_value": np.nan, "drifted": False,
                         "note": "too few values"})
            continue
        if pd.api.types.is_numeric_dtype(ref) and not pd.api.types.is_bool_dtype(ref):
            value = psi(ref, cur)
            ks = stats.ks_2samp(ref.to_numpy(float), cur.to_numpy(float))
            drifted = bool(value > psi_threshold and ks.pvalue < ks_alpha)
            rows.append({"feature": col, "psi": value, "ks_stat": float(ks.statistic), "p_value": float(ks.pvalue),
                         "drifted": drifted, "note": ""})
        else:
            value = psi_categorical(ref, cur)
            counts = pd.crosstab(np.r_[np.zeros(len(ref)), np.ones(len(cur))],
                                 np.r_[ref.astype(str).to_numpy(), cur.astype(str).to_numpy()])
            p_value = float(stats.chi2_contingency(counts.to_numpy())[1]) if counts.shape[1] > 1 else 1.0
            rows.append({"feature": col, "psi": value, "ks_stat": np.nan, "p_value": p_value,
                         "drifted": bool(value > psi_threshold and p_value < ks_alpha), "note": "categorical"})
    return pd.DataFrame(rows, columns=["feature", "psi", "ks_stat", "p_value", "drifted", "note"])


def seasonal_windows(dates: pd.Series, recent_days: int = 28) -> tuple[pd.Series, pd.Series]:
    """Masks for the recent window and its seasonally matched reference.

    The reference is the same calendar window one year earlier when the history
    reaches that far (so December is compared with last December, not with
    November); otherwise the equally long window just before the recent one.
    """
    d = pd.to_datetime(dates)
    end = d.max()
    start = end - pd.Timedelta(days=recent_days - 1)
    recent = (d >= start) & (d <= end)
    year_ago = (d >= start - pd.Timedelta(days=364)) & (d <= end - pd.Timedelta(days=364))
    if year_ago.sum() >= max(5, 0.5 * recent.sum()):
        return recent, year_ago
    before = (d >= start - pd.Timedelta(days=recent_days)) & (d < start)
    return recent, before


def should_promote(champion: dict[str, float] | None, challenger: dict[str, float], metric: str,
                   higher_is_better: bool, tolerance: float = 1e-9) -> tuple[bool, str]:
    """Champion/challenger: the new model replaces the current one only if it is no worse."""
    new = challenger.get(metric)
    if new is None or not np.isfinite(new):
        return False, f"challenger has no finite {metric}"
    if not champion or champion.get(metric) is None or not np.isfinite(champion[metric]):
        return True, "no champion yet"
    old = champion[metric]
    better_or_equal = new >= old - tolerance if higher_is_better else new <= old + tolerance
    word = "higher" if higher_is_better else "lower"
    if better_or_equal:
        return True, f"{metric} {new:.4g} vs champion {old:.4g} (no worse; {word} is better)"
    return False, f"{metric} {new:.4g} is worse than the champion's {old:.4g} ({word} is better)"


# ------------------------------------------------------------------ families


@dataclass
class TrainResult:
    """What a family's training returns: figures, the inputs it saw, and a small artifact."""

    metrics: dict[str, float]
    primary: str
    higher_is_better: bool
    params: dict[str, Any] = field(default_factory=dict)
    window: tuple[str | None, str | None] = (None, None)
    features: pd.DataFrame | None = None
    date_column: str | None = None
    artifact: dict[str, Any] | None = None


@dataclass(frozen=True)
class Family:
    """One model family: how to train it and how often it must be refreshed."""

    name: str
    description: str
    train: Callable[[Warehouse, Settings], TrainResult]
    features: Callable[[Warehouse], tuple[pd.DataFrame, str | None]]
    schedule_days: int = 7


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    FAMILIES[family.name] = family
    return family


# ------------------------------------------------------------------ tracking


def tracking_uri(settings: Settings) -> str:
    """``MLFLOW_TRACKING_URI`` or a SQLite store inside the project (MLflow 3 refuses bare files)."""
    if settings.mlflow_tracking_uri:
        return settings.mlflow_tracking_uri
    path = settings.models_base.parent / "mlflow.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


class Tracker:
    """Logs runs to MLflow (imported lazily: it is slow to import)."""

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


# ------------------------------------------------------------------ state and decisions


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


def families() -> dict[str, Family]:
    """Every registered model family of the workbench."""
    _load_families()
    return dict(FAMILIES)


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


def drift_status(wh: Warehouse, family: Family, recent_days: int = 28) -> dict[str, Any]:
    """A family's drift in one line: ``status`` (drift / stable / no data / error), the features and table."""
    try:
        table = family_drift(wh, family, recent_days)
    except WorkbenchError as exc:
        return {"status": "error", "drifted": [], "table": pd.DataFrame(), "note": str(exc)}
    if table.empty or table["psi"].isna().all():
        return {"status": "no data", "drifted": [], "table": table, "note": "too little recent data to compare"}
    drifted = table.loc[table["drifted"], "feature"].tolist()
    return {"status": "drift" if drifted else "stable", "drifted": drifted, "table": table,
            "note": ("drift in " + ", ".join(drifted)) if drifted else "no feature drifted"}


def overview(wh: Warehouse) -> pd.DataFrame:
    """One row per family: current version, training window, primary figure, last run and its decision."""
    fams = families()
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


def family_drift(wh: Warehouse, family: Family, recent_days: int = 28) -> pd.DataFrame:
    """Drift of a family's inputs: the recent window against its seasonal reference."""
    frame, date_col = family.features(wh)
    if frame is None or frame.empty or date_col is None or date_col not in frame:
        return drift_report(pd.DataFrame(), pd.DataFrame(), [])
    recent, reference = seasonal_windows(frame[date_col], recent_days)
    cols = [c for c in frame.columns if c != date_col]
    return drift_report(frame[reference], frame[recent], cols)


def latest_runs(wh: Warehouse) -> pd.DataFrame:
    """The latest run of each family, promoted or not (what was last checked against the data)."""
    frame = wh.load_state(STATE_TABLE)
    if frame.empty:
        return frame
    return frame.sort_values("trained_at").groupby("family").tail(1).set_index("family")


def retrain_reason(wh: Warehouse, family: Family, champion: pd.Series | None, *, force: bool,
                   now: datetime | None = None, last: pd.Series | None = None) -> str | None:
    """Why a family must be retrained now, or None when its model is up to date.

    Data version and age are read from the family's latest run (``last``, default the
    champion): a challenger that lost on new data is not trained again on the same
    data. Drift is checked when the data changed (a model trained on exactly these
    data has seen whatever drift they hold, so retraining on them cannot help) and
    is named in the reason.
    """
    if force:
        return "forced"
    if champion is None:
        return "no model yet"
    last = champion if last is None else last
    now = now or datetime.now(timezone.utc)
    if int(last["data_version"]) != wh.data_version:
        reason = f"data changed (version {int(last['data_version'])} -> {wh.data_version})"
        try:
            drift = family_drift(wh, family)
        except WorkbenchError:
            drift = pd.DataFrame()
        if not drift.empty and drift["drifted"].any():
            reason += "; drift in " + ", ".join(drift.loc[drift["drifted"], "feature"])
        return reason
    trained = pd.Timestamp(last["trained_at"])
    trained = trained.tz_localize("UTC") if trained.tzinfo is None else trained
    if now - trained.to_pydatetime() > timedelta(days=family.schedule_days):
        return f"older than its {family.schedule_days}-day schedule"
    return None


def retrain(wh: Warehouse, settings: Settings, names: Iterable[str] | None = None, *, force: bool = False,
            progress: Callable[[float, str], None] | None = None, tracker: Tracker | None = None) -> list[dict]:
    """Retrain the named families (all when None) where needed; champion/challenger decides."""
    _load_families()
    names = list(names) if names else list(FAMILIES)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise BadInputError(f"Unknown model family: {', '.join(unknown)}; choose from {', '.join(FAMILIES)}.")
    tracker = tracker or Tracker(tracking_uri(settings), account=settings.account)
    current, latest = champions(wh), latest_runs(wh)
    results = []
    for i, name in enumerate(names):
        family = FAMILIES[name]
        if progress:
            progress(i / len(names), f"Checking {name}")
        champ = current.loc[name] if name in current.index else None
        reason = retrain_reason(wh, family, champ, force=force,
                                last=latest.loc[name] if name in latest.index else None)
        if reason is None:
            results.append({"family": name, "retrained": False, "reason": "up to date", "promoted": False,
                            "metrics": json.loads(champ["metrics"]), "run_id": champ["run_id"],
                            "version": champ["version"]})
            continue
        if progress:
            progress(i / len(names), f"Training {name} ({reason})")
        try:
            result = family.train(wh, settings)
        except (NotEnoughDataError, WorkbenchError) as exc:
            results.append({"family": name, "retrained": False, "reason": f"{reason}; cannot train: {exc}",
                            "promoted": False, "metrics": {}, "run_id": None, "version": None})
            continue
        champ_metrics = json.loads(champ["metrics"]) if champ is not None else None
        promoted, decision = should_promote(champ_metrics, result.metrics, result.primary, result.higher_is_better)
        run_id = tracker.log(name, result, data_version=wh.data_version, promoted=promoted, reason=reason,
                             decision=decision)
        version = _next_version(wh, name) if promoted else (champ["version"] if champ is not None else None)
        if promoted and result.artifact is not None:
            _save_artifact(settings, name, version, run_id, result)
        wh.save_state(STATE_TABLE, pd.DataFrame([{
            "family": name, "run_id": run_id, "version": version if promoted else None,
            "trained_at": pd.Timestamp.now(tz="UTC"), "data_version": wh.data_version,
            "window_start": result.window[0], "window_end": result.window[1],
            "metrics": json.dumps({k: _finite(v) for k, v in result.metrics.items()}),
            "primary_metric": result.primary, "promoted": promoted, "reason": reason, "decision": decision}]))
        results.append({"family": name, "retrained": True, "reason": reason, "promoted": promoted,
                        "decision": decision, "metrics": {k: _finite(v) for k, v in result.metrics.items()},
                        "run_id": run_id, "version": version})
    if progress:
        progress(1.0, "Done")
    return results


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _next_version(wh: Warehouse, family: str) -> str:
    done = runs(wh, family)
    n = 1 if done.empty else int(done["promoted"].sum()) + 1
    return f"v{n}"


def _save_artifact(settings: Settings, family: str, version: str, run_id: str, result: TrainResult) -> None:
    """The champion's artifact and passport under models/<family>/<version>/."""
    folder = settings.models_dir / "lifecycle" / family / version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text(json.dumps(result.artifact, default=str))
    (folder / "meta.json").write_text(json.dumps({
        "family": family, "account": settings.account, "version": version, "mlflow_run_id": run_id,
        "metrics": result.metrics,
        "params": result.params, "window": list(result.window),
        "created": datetime.now(timezone.utc).isoformat()}, default=str, indent=1))


def _load_families() -> None:
    """Import the module that registers the workbench's families."""
    import core.lifecycle_families  # noqa: F401


def run_retrain(args, ctx) -> dict[str, Any]:
    """``python -m core retrain [--all | FAMILY ...] [--force]``."""
    if not args.all and not args.families:
        raise BadInputError("Name the families to retrain, or give --all.")
    names = None if args.all else args.families
    return {"results": retrain(ctx.warehouse(), ctx.settings, names, force=args.force)}
