"""The ``recommendations`` family: response curves per line item, judged by a last-quarter backtest.
"""

from __future__ import annotations

import pandas as pd

from core.config import Settings
from core.lifecycle.builtin.common import HOLDOUT_DAYS, _campaigns, _records, _window
from core.lifecycle.catalog import Family, TrainResult, register
from core.overview import safe_ratio
from core.warehouse import Warehouse


def recommendations_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Daily spend, click-through rate and cost per lead per platform."""
    c = wh.campaigns()
    if not len(c):
        return pd.DataFrame(), None
    g = c.groupby(["date", "platform"], as_index=False)[["spend", "impressions", "clicks", "leads"]].sum()
    return pd.DataFrame({"date": g["date"], "platform": g["platform"], "spend": g["spend"].astype(float),
                         "ctr": safe_ratio(g["clicks"], g["impressions"]),
                         "cpl": safe_ratio(g["spend"], g["leads"])}), "date"


def recommendations_train(wh: Warehouse, settings: Settings) -> TrainResult:
    """Response curves: a backtest on the last quarter, then the curves refitted on everything."""
    from core import recommendations as rec

    campaigns = _campaigns(wh)
    bt = rec.backtest(campaigns, holdout_days=HOLDOUT_DAYS, metric="leads", level=0.8)
    model = rec.ResponseModel(metrics=("leads",), country=settings.country or None).fit(campaigns)
    curves = model.curves("leads")[["key", "platform", "r", "b", "r_lo", "r_hi", "b_lo", "b_hi", "hill_share",
                                     "current_daily_spend"]]
    return TrainResult(
        metrics={"wape": bt["wape"], "mape": bt["mape"], "bias": bt["bias"], "coverage_80": bt["coverage"],
                 "items": float(len(curves))},
        primary="wape", higher_is_better=False,
        params={"metric": "leads", "holdout_days": HOLDOUT_DAYS, "split": bt["split"], "n_grid": model.n_grid,
                "half_life_days": model.half_life_days, "families": list(model.families)},
        window=_window(campaigns["date"]),
        artifact={"metric": "leads", "curve": "r * spend saturating at b (exponential/hill mixture)",
                  "curves": _records(curves), "season": _records(model.season("leads"))})


FAMILY = register(Family('recommendations', "Response curves per line item (budget recommendations)", recommendations_train, recommendations_features, schedule_days=7))
