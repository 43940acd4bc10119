"""The ``scheduling`` family: Prophet's forecast of daily leads (rolling-origin MASE) and best posting times.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.config import Settings
from core.lifecycle.builtin.common import FORECAST_HORIZON, _campaigns, _records, _window
from core.lifecycle.catalog import Family, TrainResult, register
from core.warehouse import Warehouse


def scheduling_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Per day: leads (all campaigns), posts published and their engagement rate."""
    from core import scheduling as sch

    c, p = wh.campaigns(), wh.posts()
    parts = []
    if len(c):
        parts.append(c.groupby(pd.to_datetime(c["date"]).dt.normalize())["leads"].sum().astype(float).rename("leads"))
    if len(p):
        day = sch.local_times(p).dt.normalize()
        eng = pd.Series(sch.engagements_of(p), index=p.index, dtype=float)
        impr = pd.to_numeric(p["impressions"], errors="coerce").astype(float)
        g = pd.DataFrame({"day": day, "e": eng, "n": impr}).groupby("day")
        parts.append(g.size().astype(float).rename("posts"))
        parts.append((g["e"].sum() / g["n"].sum().where(lambda s: s > 0)).rename("engagement_rate"))
    if not parts:
        return pd.DataFrame(), None
    frame = pd.concat(parts, axis=1)
    frame.index = pd.to_datetime(frame.index).tz_localize(None) if getattr(frame.index, "tz", None) else \
        pd.to_datetime(frame.index)
    return frame.rename_axis("date").reset_index(), "date"


def scheduling_train(wh: Warehouse, settings: Settings) -> TrainResult:
    """Prophet's rolling-origin backtest of daily leads (MASE) and the best posting times."""
    from core import scheduling as sch

    campaigns = _campaigns(wh)
    series = sch.campaign_series(campaigns, "leads")
    fc = sch.Forecaster(horizon=FORECAST_HORIZON, country=settings.country or None, uncertainty_samples=0,
                        backtest_folds=3)
    bt = fc.backtest(series)
    start = series.index.max() + pd.Timedelta(days=1)
    forecast = pd.DataFrame({"date": pd.date_range(start, periods=FORECAST_HORIZON, freq="D"),
                             "yhat": fc.point_forecast(series, FORECAST_HORIZON)})
    metrics = {"mase": bt["mase"], "naive_mase": bt["naive_mase"], "relative_mae": bt["relative_mae"],
               "mae": bt["mae"]}
    artifact: dict[str, Any] = {
        "forecast": {"model": "prophet (weekly and yearly seasonality, holidays)", "metric": "leads", "horizon": FORECAST_HORIZON,
                     "next_days": _records(forecast[["date", "yhat"]], 3)}}
    posts = wh.posts()
    if len(posts):
        bt_model = sch.BestTimes().fit(posts)
        top = bt_model.predict(None, top=5)
        keep = [c for c in ("platform", "weekday", "hour", "expected_engagement_rate", "lower", "upper", "posts")
                if c in top]
        artifact["best_times"] = {"model": bt_model.describe(None),
                                  "posts": int(bt_model.n_posts_), "top": _records(top[keep])}
        metrics["posts"] = float(bt_model.n_posts_)
    return TrainResult(
        metrics=metrics, primary="mase", higher_is_better=False,
        params={"metric": "leads", "horizon": FORECAST_HORIZON, "folds": bt["folds"], "country": fc.country},
        window=_window(campaigns["date"]), artifact=artifact)


FAMILY = register(Family('scheduling', "Prophet forecast of daily leads and best posting times", scheduling_train, scheduling_features, schedule_days=7))
