"""What the segments tell a reader: assignments, audiences, the ``python -m core segment`` payload."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.errors import BadInputError, NotEnoughDataError
from core.segments.model import SegmentModel
from core.segments.naming import _qualifiers
from core.segments.selection import stability_label


def _round(v: float, nd: int = 4) -> float | None:
    return None if v is None or np.isnan(v) else round(float(v), nd)


def assignments_frame(customers: pd.DataFrame, labels: np.ndarray, names: dict[int, str]) -> pd.DataFrame:
    """customer_id, segment, name for every customer."""
    labels = np.asarray(labels, dtype=int)
    return pd.DataFrame({"customer_id": customers["customer_id"].astype(str).to_numpy(), "segment": labels,
                         "name": [names.get(int(s), "unassigned (outliers)") for s in labels]})


def audience(customers: pd.DataFrame, assignments: pd.DataFrame, segment: int) -> pd.DataFrame:
    """The customers of one segment, with their contract fields: an audience to upload or mail."""
    members = assignments.loc[assignments["segment"] == int(segment), ["customer_id", "segment", "name"]]
    out = members.merge(customers.assign(customer_id=customers["customer_id"].astype(str)), on="customer_id",
                        how="left")
    return out.rename(columns={"name": "segment_name"})


def result_payload(model: SegmentModel, customers: pd.DataFrame, labels: np.ndarray) -> dict[str, Any]:
    """The ``python -m core segment`` JSON shape (CLI.md)."""
    table = model.segments()
    segs = []
    for _, r in table.iterrows():
        medians = {k.removeprefix("median_"): r[k] for k in table.columns if k.startswith("median_")}
        zs = {k.removeprefix("z_"): round(float(r[k]), 3) for k in table.columns if k.startswith("z_")}
        segs.append({"segment": int(r["segment"]), "size": int(r["size"]), "name": r["name"],
                     "profile": {"share": round(float(r["share"]), 4), "medians": medians, "z": zs,
                                 "top_channel": r.get("top_channel"),
                                 "distinctive": _qualifiers(r)[:3]}})
    assignments = [{"customer_id": c, "segment": int(s)}
                   for c, s in zip(customers["customer_id"].astype(str).tolist(), np.asarray(labels).tolist())]
    return {"k": int(model.k_), "method": model.method, "assignments": assignments, "segments": segs,
            "quality": {"silhouette": _round(model.silhouette_), "stability": _round(model.stability_),
                        "stability_label": stability_label(model.stability_)},
            "curve": model.curve_[["k", "score", "metric"]].to_dict(orient="records")}


def run_segment(args: Any, ctx: Any) -> dict[str, Any]:
    """``python -m core segment --data PATH [--k N|auto] [--method gmm|kmeans|dbscan|lca]``."""
    k: int | str = str(getattr(args, "k", "auto") or "auto").strip().lower()
    if k != "auto":
        try:
            k = int(k)
        except ValueError:
            raise BadInputError(f"--k must be a whole number or 'auto', not {args.k!r}.") from None
    customers = ctx.warehouse().customers()
    if customers.empty:
        raise NotEnoughDataError("There are no customers in the data: give --data a file with customers.")
    model = SegmentModel(k=k, method=args.method, random_state=0).fit(customers)
    return result_payload(model, customers, model.labels_)


