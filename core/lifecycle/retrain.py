"""When to retrain a family and whether its challenger replaces the champion.

The families are an explicit argument (default: the workbench's own, :func:`core.lifecycle.builtin.families`).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from core.config import Settings
from core.errors import BadInputError, NotEnoughDataError, WorkbenchError
from core import registry
from core.lifecycle.catalog import Family, TrainResult
from core.lifecycle.drift import family_drift
from core.lifecycle.state import STATE_TABLE, champions, latest_runs, runs
from core.lifecycle.tracking import Tracker, tracking_uri
from core.warehouse import Warehouse


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
            progress: Callable[[float, str], None] | None = None, tracker: Tracker | None = None,
            families: Mapping[str, Family] | None = None) -> list[dict]:
    """Retrain the named families (all when None) where needed; champion/challenger decides.

    ``families`` maps names to :class:`Family` (default: the workbench's own,
    :func:`core.lifecycle.builtin.families`); a test passes its own instead of patching globals.
    """
    if families is None:
        from core.lifecycle.builtin import families as builtin

        families = builtin()
    names = list(names) if names else list(families)
    unknown = [n for n in names if n not in families]
    if unknown:
        raise BadInputError(f"Unknown model family: {', '.join(unknown)}; choose from {', '.join(families)}.")
    tracker = tracker or Tracker(tracking_uri(settings), account=settings.account)
    say = progress or (lambda _f, _m: None)
    current, latest = champions(wh), latest_runs(wh)
    results = []
    for i, name in enumerate(names):
        say(i / len(names), f"Checking {name}")
        champ = current.loc[name] if name in current.index else None
        last = latest.loc[name] if name in latest.index else None
        reason = retrain_reason(wh, families[name], champ, force=force, last=last)
        if reason is None:
            results.append({"family": name, "retrained": False, "reason": "up to date", "promoted": False,
                            "metrics": json.loads(champ["metrics"]), "run_id": champ["run_id"],
                            "version": champ["version"]})
            continue
        say(i / len(names), f"Training {name} ({reason})")
        results.append(train_and_decide(wh, settings, families[name], champ, reason, tracker))
    say(1.0, "Done")
    return results


def train_missing(wh: Warehouse, settings: Settings, *, progress: Callable[[float, str], None] | None = None,
                  tracker: Tracker | None = None, families: Mapping[str, Family] | None = None) -> list[dict]:
    """Train and track every family never run on this workspace (the Models page's first open).

    Families already run, promoted or not, are left alone: this only fills the gaps, so the
    page opens on versions and figures rather than on empty rows.
    """
    if families is None:
        from core.lifecycle.builtin import families as builtin

        families = builtin()
    latest = latest_runs(wh)
    missing = [n for n in families if n not in latest.index]
    if not missing:
        return []
    return retrain(wh, settings, missing, progress=progress, tracker=tracker, families=families)


def train_and_decide(wh: Warehouse, settings: Settings, family: Family, champ: pd.Series | None, reason: str,
                     tracker: Tracker) -> dict[str, Any]:
    """Train one family's challenger, decide, track the run in MLflow and the warehouse, save a champion."""
    name = family.name
    try:
        result = family.train(wh, settings)
    except (NotEnoughDataError, WorkbenchError) as exc:
        return {"family": name, "retrained": False, "reason": f"{reason}; cannot train: {exc}",
                "promoted": False, "metrics": {}, "run_id": None, "version": None}
    promoted, decision = decide(champ, result)
    run_id = tracker.log(name, result, data_version=wh.data_version, promoted=promoted, reason=reason,
                         decision=decision)
    version = _next_version(wh, name) if promoted else (champ["version"] if champ is not None else None)
    if promoted and result.artifact is not None:
        _save_artifact(settings, name, version, run_id, result)
    if promoted and result.on_promote is not None:
        result.on_promote()
    metrics = {k: _finite(v) for k, v in result.metrics.items()}
    wh.save_state(STATE_TABLE, pd.DataFrame([{
        "family": name, "run_id": run_id, "version": version if promoted else None,
        "trained_at": pd.Timestamp.now(tz="UTC"), "data_version": wh.data_version,
        "window_start": result.window[0], "window_end": result.window[1], "metrics": json.dumps(metrics),
        "primary_metric": result.primary, "promoted": promoted, "reason": reason, "decision": decision}]))
    return {"family": name, "retrained": True, "reason": reason, "promoted": promoted, "decision": decision,
            "metrics": metrics, "run_id": run_id, "version": version}


def decide(champion: pd.Series | None, result: TrainResult) -> tuple[bool, str]:
    """Champion/challenger for one run: against the champion's figures on the same hold-out when the
    family measured them (``result.baseline``), else against the figures stored with the champion."""
    if result.baseline and result.baseline.get(result.primary) is not None:
        ok, why = should_promote(result.baseline, result.metrics, result.primary, result.higher_is_better)
        return ok, f"{why}; both on the same hold-out"
    stored = json.loads(champion["metrics"]) if champion is not None else None
    return should_promote(stored, result.metrics, result.primary, result.higher_is_better)


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


#: Bump when a family's saved artifact changes shape: older ones then refuse to load.
ARTIFACT_VERSION = 1


def artifact_type(family: str) -> str:
    """The passport's ``model_type`` of a family's champion artifact."""
    return f"lifecycle-{family}"


def _save_artifact(settings: Settings, family: str, version: str, run_id: str, result: TrainResult) -> dict:
    """The champion's artifact, through :mod:`core.registry`: ``models/lifecycle/<family>/<version>/``.

    The fitted state is the ``model`` document (JSON) beside the passport, which names
    the MLflow run, the figures, the parameters and the training window.
    """
    return registry.save(
        settings.models_dir / "lifecycle", family, {}, model_type=artifact_type(family), version=ARTIFACT_VERSION,
        config={"family": family, "primary_metric": result.primary, "higher_is_better": result.higher_is_better},
        params={k: v for k, v in result.params.items()},
        data={"window": list(result.window)},
        metrics={k: _finite(v) for k, v in result.metrics.items()},
        extra={"mlflow_run_id": run_id, "family": family, "version": version, "account": settings.account},
        documents={"model": result.artifact}, artifact_id=version, replace=True)


def load_artifact(settings: Settings, family: str, version: str | None = None) -> tuple[Any, dict]:
    """A family's saved champion artifact (default: the current one) and its passport, checked."""
    passport = registry.read_passport(settings.models_dir / "lifecycle", family, version)
    return registry.load_document(settings.models_dir / "lifecycle", family, "model",
                                  model_type=artifact_type(family), version=ARTIFACT_VERSION,
                                  artifact_id=passport["id"])


def run_retrain(args, ctx) -> dict[str, Any]:
    """``python -m core retrain [--all | FAMILY ...] [--force]``."""
    if not args.all and not args.families:
        raise BadInputError("Name the families to retrain, or give --all.")
    names = None if args.all else args.families
    return {"results": retrain(ctx.warehouse(), ctx.settings, names, force=args.force)}
