"""The ``roi`` family: the ROI models of campaign-months, judged by time-ordered cross-validation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.config import Settings
from core.lifecycle.builtin.common import _campaigns, _records, _window
from core.lifecycle.catalog import Family, TrainResult, register
from core.warehouse import Warehouse


def roi_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Per campaign-day with spend: the day's ROI, log spend and platform (the models' monthly inputs, daily)."""
    from core import roi

    c = wh.campaigns()
    if not len(c):
        return pd.DataFrame(), None
    c = c[c["spend"] > 0]
    return pd.DataFrame({"date": c["date"], "roi": roi.roi(c["revenue"].to_numpy(float), c["spend"].to_numpy(float)),
                         "log_spend": np.log(c["spend"].astype(float)),
                         "platform": c["platform"]}).reset_index(drop=True), "date"


def roi_train(wh: Warehouse, settings: Settings) -> TrainResult:
    """Time-ordered cross-validation of the ROI models against the per-platform baseline."""
    from core import roi

    campaigns = _campaigns(wh)
    res = roi.analyse(campaigns, n_boot=0)
    cv = res.cv.to_payload()
    coefs = res.linear.coefficients()
    return TrainResult(
        metrics={"r2": cv["r2"], "mape": cv["mape"], "coverage": cv["coverage"], "baseline_r2": cv["baseline_r2"],
                 "baseline_mape": cv["baseline_mape"], "folds": float(cv["folds"]),
                 "campaign_months": float(len(res.months))},
        primary="r2", higher_is_better=True,
        params={"model": cv["model"], "alpha": res.linear.alpha, "level": res.linear.level},
        window=_window(campaigns["date"]),
        artifact={"model": cv["model"], "by_model": cv["by_model"],
                  "ridge_coefficients": _records(coefs.head(40), 5) if len(coefs) else []})


FAMILY = register(Family('roi', "ROI models of campaign-months (ridge / gradient boosting)", roi_train, roi_features, schedule_days=30))
