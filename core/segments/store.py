"""Segments kept current in the workspace: saved through core.registry, new customers assigned incrementally.

The model's arrays (feature transform, mixture or centres) and its JSON state (names,
profiles, selection curve) go into one registry artifact under ``models/segments/``
with a passport; nothing is pickled. A saved model built with other settings, or by an
older format, is refitted; one whose files were altered is refused with the registry's
titled :class:`~core.registry.ModelMismatchError`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from core import registry
from core.errors import NotEnoughDataError
from core.segments.features import customer_features
from core.segments.model import DEFAULT_METHOD, SegmentModel
from core.segments.naming import profile_segments, segment_table
from core.segments.report import assignments_frame

STEM = "segments"
MODEL_TYPE = "SegmentModel"
#: 3: the feature transform carries normal-scores columns (ft_rank, ft_knots_x, ft_knots_z); a model
#: saved as 2 lacks them and is refitted.
FORMAT_VERSION = 3


KEEP_MODELS = 5  # a save follows every refresh, incremental ones too: older folders are pruned


def save_model(model: SegmentModel, root: Path, *, data_version: int) -> dict[str, Any]:
    """Save the model under ``root/segments/<id>/`` with its passport (keeping the newest few); returns the passport."""
    arrays, state = model.to_state()
    passport = registry.save(root, STEM, arrays, model_type=MODEL_TYPE, version=FORMAT_VERSION,
                             config=model.params(),
                             data={"data_version": int(data_version), "customers": int(model.n_seen_)},
                             metrics={"k": int(model.k_), "silhouette": state["silhouette"],
                                      "stability": state["stability"]}, extra={"state": state})
    registry.prune(root, STEM, keep=KEEP_MODELS)
    return passport


def load_model(root: Path, params: dict[str, Any]) -> tuple[SegmentModel, dict[str, Any]] | None:
    """The current saved model if it was built with ``params`` by this format, else None (refit).

    Raises :class:`~core.registry.ModelMismatchError` when its files changed since they were saved.
    """
    try:
        passport = registry.read_passport(root, STEM)
    except registry.ModelMismatchError:
        return None
    if passport.get("model_type") != MODEL_TYPE or passport.get("version") != FORMAT_VERSION \
            or passport.get("config_hash") != registry.config_hash(params):
        return None
    arrays, passport = registry.load(root, STEM, model_type=MODEL_TYPE, version=FORMAT_VERSION, config=params)
    return SegmentModel.from_state(passport["config"], arrays, passport["extra"]["state"]), passport


@dataclass
class SegmentRun:
    """What one refresh did."""

    model: SegmentModel
    assignments: pd.DataFrame
    kind: str  # "full" | "incremental" | "unchanged"
    new_customers: int = 0
    run_id: str = ""
    notes: list[str] = field(default_factory=list)


def refresh_segments(wh: Any, models_root: Path, *, k: int | str = "auto", method: str = DEFAULT_METHOD,
                     full: bool = False, random_state: int = 0) -> SegmentRun:
    """Keep the workspace's segments current.

    The first run (or ``full=True``, or changed settings) clusters everyone. Later
    runs assign only customers that arrived since, update the model with
    :meth:`SegmentModel.partial_fit`, and record segment sizes in
    ``segments_history`` so the page can show how they move across ingests.
    """
    customers = wh.customers()
    if customers.empty:
        raise NotEnoughDataError("There are no customers in the workspace yet.")
    customers = customers.assign(customer_id=customers["customer_id"].astype(str))
    params = SegmentModel(k=k, method=method, random_state=random_state).params()
    stored = wh.load_state("segments_assignments")
    loaded = None if full or stored.empty else load_model(models_root, params)
    run_id = uuid.uuid4().hex[:12]
    now = datetime.now(timezone.utc)
    if loaded is None:
        model = SegmentModel(k=k, method=method, random_state=random_state).fit(customers)
        assign = assignments_frame(customers, model.labels_, model.names_)
        kind, n_new = "full", len(customers)
        wh.save_state("segments_assignments", assign.assign(run_id=run_id, assigned_at=now), replace_all=True)
    else:
        model, _ = loaded
        known = set(stored["customer_id"].astype(str))
        fresh = customers[~customers["customer_id"].isin(known)]
        n_new = len(fresh)
        if n_new == 0:
            current = stored[stored["customer_id"].isin(set(customers["customer_id"]))]
            return SegmentRun(model, current[["customer_id", "segment", "name"]].reset_index(drop=True),
                              "unchanged", 0, str(stored["run_id"].iloc[-1]))
        model.partial_fit(fresh)
        new_assign = assignments_frame(fresh, model.predict(fresh), model.names_)
        wh.save_state("segments_assignments", new_assign.assign(run_id=run_id, assigned_at=now),
                      keys=["customer_id"])
        kind = "incremental"
        assign = wh.load_state("segments_assignments")[["customer_id", "segment", "name"]]
    save_model(model, models_root, data_version=wh.data_version)
    sizes = assign.groupby(["segment", "name"], as_index=False).size()
    wh.save_state("segments_history", sizes.assign(run_id=run_id, at=now, kind=kind, method=model.method,
                                                   new_customers=n_new, total=len(assign)),
                  keys=["run_id", "segment"])
    notes = []
    if kind == "incremental" and model.method != "kmeans":
        notes.append("Only k-means learns incrementally; new customers were assigned to the existing segments.")
    return SegmentRun(model, assign.reset_index(drop=True), kind, n_new, run_id, notes)


def current_view(customers: pd.DataFrame, run: SegmentRun, *,
                 max_points: int = 5000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The named segment table and the 2-D map of the current assignments.

    After incremental updates the assignments differ from the training labels, so the
    profiles are recomputed here; the names stay those the model gave its segments.
    """
    ids = customers["customer_id"].astype(str)
    current = run.assignments.assign(customer_id=run.assignments["customer_id"].astype(str))
    seg = ids.map(current.set_index("customer_id")["segment"])
    if seg.isna().any():  # not yet assigned (should not happen after a refresh): ask the model
        missing = seg.isna().to_numpy()
        seg[missing] = run.model.predict(customers[missing])
    labels = seg.astype(int).to_numpy()
    table = segment_table(profile_segments(customer_features(customers), labels), run.model.names_)
    return table, run.model.projection(customers, labels, max_points=max_points)


def size_history(wh: Any) -> pd.DataFrame:
    """Segment sizes per run (oldest first): run_id, at, kind, segment, name, size."""
    hist = wh.load_state("segments_history")
    if hist.empty:
        return hist
    return hist.sort_values(["at", "segment"]).reset_index(drop=True)


