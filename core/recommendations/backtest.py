"""The backtest: fit on all but the last months, score weekly predictions at the spend actually made."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.errors import NotEnoughDataError
from core.recommendations.curves import saturation, season_factors
from core.recommendations.items import _with_keys
from core.recommendations.model import ResponseModel

def backtest(campaigns: pd.DataFrame, *, holdout_days: int = 182, metric: str = "leads", level: float = 0.8,
             model: ResponseModel | None = None, random_state: int = 0) -> dict[str, Any]:
    """Fit on all but the last ``holdout_days`` and score weekly predictions at the spend actually made.

    Returns
    -------
    dict
        ``wape`` and ``mape`` of weekly totals, ``bias``, ``coverage`` of the ``level`` interval,
        ``weeks`` (a frame of actual, predicted, lo, hi per week) and the split date.
    """
    df = _with_keys(campaigns)
    end = df["date"].max()
    split = end - pd.Timedelta(days=holdout_days)
    train, test = df[df["date"] <= split], df[df["date"] > split]
    if train["date"].nunique() < 90 or test.empty:
        raise NotEnoughDataError(f"A backtest needs at least 90 days of history before the last {holdout_days} days.")
    m = model or ResponseModel(metrics=(metric,), n_draws=200, random_state=random_state)
    m.fit(train)
    # calibration from the training weeks only: how much wider than Poisson-type noise weekly totals vary
    tr = _weekly(m, train, metric)
    z2 = (tr["actual"] - tr["pred"]) ** 2 / np.maximum(tr["obs_var"] + tr["draws"].var(1), 1e-9)
    inflate = float(max(1.0, np.mean(z2[tr["full"]]) if tr["full"].any() else 1.0))
    te = _weekly(m, test[test["key"].isin(m.keys_)], metric)
    rng = np.random.default_rng(random_state)
    sim = te["draws"] + rng.standard_normal(te["draws"].shape) * np.sqrt(te["obs_var"] * inflate)[:, None]
    a = (1 - level) / 2
    lo, hi = np.quantile(sim, [a, 1 - a], axis=1)
    actual, pred, weeks, full = te["actual"], te["pred"], te["weeks"], te["full"]
    if full.sum() >= 4:                      # drop partial first/last weeks
        actual, pred, lo, hi, weeks = actual[full], pred[full], lo[full], hi[full], weeks[full]
    wape = float(np.abs(pred - actual).sum() / max(actual.sum(), 1e-9))
    nz = actual > 0
    mape = float(np.mean(np.abs(pred[nz] - actual[nz]) / actual[nz])) if nz.any() else float("nan")
    coverage = float(np.mean((actual >= lo) & (actual <= hi)))
    frame = pd.DataFrame({"week": weeks, "actual": actual, "predicted": pred, "lo": lo, "hi": hi})
    return {"metric": metric, "split": split.date().isoformat(), "holdout_days": holdout_days,
            "wape": wape, "mape": mape, "bias": float(pred.sum() / max(actual.sum(), 1e-9) - 1.0),
            "coverage": coverage, "level": level, "weeks": frame, "noise_inflation": inflate,
            "items_unseen": int(test.loc[~test["key"].isin(m.keys_), "key"].nunique())}


def _weekly(m: ResponseModel, df: pd.DataFrame, metric: str) -> dict[str, Any]:
    """Weekly actual totals, predicted means, posterior draws and observation variance at actual spend."""
    panel = df.groupby(["key", "date"], sort=True)[["spend", metric]].sum().reset_index()
    fit = m.fits_[metric]
    rows = m._rows(panel["key"])
    s = season_factors(panel["date"], fit.weekday, fit.month, fit.holiday, m.holidays_)
    x = panel["spend"].to_numpy(float)
    mean = m.predict(x, metric, keys=panel["key"]) * s
    draws = saturation(m.effective_spend(x, rows)[:, None], fit.r_draws[rows], fit.b_draws[rows], fit.f_draws[rows]) * s[:, None]
    week = panel["date"].dt.to_period("W-SUN").dt.start_time
    weeks = pd.Index(sorted(week.unique()))
    wi = weeks.get_indexer(week)
    n_w = len(weeks)
    days = pd.Series(panel["date"].to_numpy()).groupby(wi).nunique().reindex(range(n_w)).to_numpy()
    return {"weeks": weeks, "full": days == 7,
            "actual": np.bincount(wi, weights=panel[metric].to_numpy(float), minlength=n_w),
            "pred": np.bincount(wi, weights=mean, minlength=n_w),
            "draws": np.stack([np.bincount(wi, weights=draws[:, k], minlength=n_w)
                               for k in range(draws.shape[1])], 1),
            "obs_var": np.bincount(wi, weights=mean * fit.dispersion[rows], minlength=n_w)}

