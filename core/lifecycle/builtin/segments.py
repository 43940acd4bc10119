"""The ``segments`` family: k-means customer segments, judged by their silhouette.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.config import Settings
from core.errors import NotEnoughDataError
from core.lifecycle.builtin.common import _day, _records, _window
from core.lifecycle.catalog import Family, TrainResult, register
from core.warehouse import Warehouse


def segments_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Per customer (dated by ``first_seen``): orders, spend, engagement, age, channel.

    Recency and tenure are left out: measured from one day, they differ between
    new and old customers by construction, which is not drift.
    """
    from core import segments as seg

    cust = wh.customers()
    if not len(cust) or "first_seen" not in cust:
        return pd.DataFrame(), None
    f = seg.customer_features(cust)
    cols = [c for c in ("frequency", "monetary", *seg.ENGAGEMENT, "age", "channel") if c in f and f[c].notna().any()]
    out = f[cols].reset_index(drop=True)
    out["first_seen"] = pd.to_datetime(cust["first_seen"], errors="coerce").to_numpy()
    return out, "first_seen"


def segments_train(wh: Warehouse, settings: Settings) -> TrainResult:
    """k-means segments with k chosen by silhouette; the silhouette is the figure."""
    from core import segments as seg

    cust = wh.customers()
    if not len(cust):
        raise NotEnoughDataError("There are no customers to segment yet: load the customers table.")
    model = seg.SegmentModel(k="auto", method="kmeans", random_state=0).fit(cust)
    centres = getattr(model.model_, "cluster_centers_", None)
    profiles = model.profiles_.copy()
    profiles["name"] = profiles["segment"].map(model.names_)
    keep = [c for c in profiles.columns if c in ("segment", "name", "size", "share", "top_channel")
            or c.startswith("median_")]
    dates = cust["first_seen"] if "first_seen" in cust else pd.Series(dtype="datetime64[ns]")
    return TrainResult(
        metrics={"silhouette": float(model.silhouette_), "k": float(model.k_), "customers": float(len(cust))},
        primary="silhouette", higher_is_better=True,
        params={"method": model.method, "k": model.k, "k_range": list(model.k_range), "features": model.columns_},
        window=(_window(dates)[0], _day(model.as_of_)),
        artifact={"k": int(model.k_), "features": list(model.columns_), "segments": _records(profiles[keep], 4),
                  "centres": np.round(centres, 5).tolist() if centres is not None else None,
                  "selection_curve": _records(model.curve_, 4)})


FAMILY = register(Family('segments', "Customer segments (k-means on RFM and engagement)", segments_train, segments_features, schedule_days=30))
