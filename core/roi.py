"""ROI: what each campaign returned, what drives it, and what a planned campaign will return.

Pure functions first, the estimator on top, then evaluation and the CLI handler:

* :func:`roi_table` -- ROI ``(revenue - spend) / spend``, ROAS ``revenue / spend``, CPA
  ``spend / conversions`` and CPL per campaign, platform, ad type, bidding strategy or audience.
* :func:`campaign_months` -- one row per campaign and calendar month: its targeting, its
  budget level (mean daily spend), the month, and the ROI it returned. This is what the
  models learn from.
* :class:`ROIModel` -- predicts a campaign-month's ROI from platform, ad type, bidding
  strategy, objective, audience (gender, ages, location, interests), budget level and
  season (month, as a cycle). ``kind="ridge"``: an interpretable linear model (one-hot
  categories, standardised numbers) with 95% intervals on its coefficients (estimate +/- 1.96
  bootstrap standard deviations, resampling whole campaigns); ``kind="gbm"``: a histogram gradient-boosted model. Both are fitted with
  spend as the sample weight (a month with $5,000 of spend says more about ROI than one with
  $50), and both give prediction intervals by normalised split conformal prediction: the
  later quarter of the months calibrates ``|residual| * sqrt(spend / median spend)`` (ROI
  noise shrinks as spend grows) from a fit on the earlier months.
* :func:`cross_validate` -- expanding-window CV over months (train on all months before,
  test on the next block): R2 of ROI (spend-weighted) and MAPE of revenue (months with
  revenue) for both models and a per-platform mean baseline, with interval coverage.
* :func:`what_if` -- a planned campaign's predicted ROI with an interval and the revenue it
  means at its spend.

Relation to the recommendation engine (``core.recommendations.ResponseModel``): that engine
models a line item's *daily* outcome as a saturating curve of daily spend,
``revenue(x) = r b (1 - exp(-x / b))``. This module models ROI at a budget level, so its
expected revenue at a daily spend ``x`` is ``x * (1 + ROI(x))`` per day. For a line item at
a spend it has run at, both estimate the same quantity (averaged over the year's seasons);
``tests/core/test_roi.py`` checks that they agree on the sample data. Away from the spends
seen, the response curve extrapolates along its fitted shape while this model flattens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from core.overview import safe_ratio
from core.schema import fill_unknown_audience
from core.errors import BadInputError, NotEnoughDataError

GROUPS: dict[str, list[str]] = {
    "campaign": ["campaign_id"],
    "platform": ["platform"],
    "ad_type": ["ad_type"],
    "bidding_strategy": ["bidding_strategy"],
    "audience": ["audience"],
}
CATEGORICAL = ["platform", "ad_type", "bidding_strategy", "objective", "gender", "location", "interests"]
NUMERIC = ["age_min", "age_max", "log_daily_spend", "month_sin", "month_cos"]
RAW = ["platform", "ad_type", "bidding_strategy", "objective", "gender", "location", "interests", "age_min",
       "age_max", "daily_spend", "month"]
KINDS = ("ridge", "gbm")


_THREADS: list[ThreadpoolController] = []


def _one_thread():
    """Small models on a shared box: OpenMP/BLAS threads only add contention (a GBM fit took
    36 s with them and 1 s without on the 2-core machine). One controller, built once: building
    one scans the loaded libraries (about 20 ms)."""
    if not _THREADS:
        _THREADS.append(ThreadpoolController())
    return _THREADS[0].limit(limits=1)


# ------------------------------------------------------------------ pure functions


def roi(revenue: np.ndarray | float, spend: np.ndarray | float) -> np.ndarray:
    """``(revenue - spend) / spend``; NaN where nothing was spent.

    >>> float(roi(150.0, 100.0))
    0.5
    """
    rev, sp = np.asarray(revenue, dtype=float), np.asarray(spend, dtype=float)
    return safe_ratio(rev - sp, sp)


def roi_table(campaigns: pd.DataFrame, by: str = "campaign") -> pd.DataFrame:
    """ROI, ROAS, CPA and CPL per group over the rows given (filter the period beforehand).

    Parameters
    ----------
    campaigns : DataFrame
        Campaign-days as ``Warehouse.campaigns()`` returns them.
    by : {"campaign", "platform", "ad_type", "bidding_strategy", "audience"}
    """
    if by not in GROUPS:
        raise BadInputError(f"Cannot group ROI by '{by}': use one of {', '.join(GROUPS)}.")
    cols = ["spend", "revenue", "conversions", "leads", "clicks", "impressions"]
    if len(campaigns) == 0:
        return pd.DataFrame(columns=[*GROUPS[by], *cols, "roi", "roas", "cpa", "cpl"])
    keys = GROUPS[by]
    g = campaigns.groupby(keys, sort=False)
    out = g[cols].sum()
    if by == "campaign":
        first = g[["campaign_name", "platform", "ad_type", "bidding_strategy", "audience"]].first()
        out = first.join(out)
    out = out.reset_index()
    out["roi"] = roi(out["revenue"], out["spend"])
    out["roas"] = safe_ratio(out["revenue"], out["spend"])
    out["cpa"] = safe_ratio(out["spend"], out["conversions"])
    out["cpl"] = safe_ratio(out["spend"], out["leads"])
    front = [c for c in out.columns if c not in (*cols, "roi", "roas", "cpa", "cpl")]
    out = out[[*front, "roi", "roas", "cpa", "cpl", *cols]]
    return out.sort_values("spend", ascending=False).reset_index(drop=True)


def campaign_months(campaigns: pd.DataFrame, *, min_spend: float = 50.0) -> pd.DataFrame:
    """One row per campaign and calendar month with spend of at least ``min_spend``.

    Columns: campaign_id, month_start, the targeting (platform, ad_type, bidding_strategy,
    objective, gender, age_min, age_max, location, interests as one sorted string, audience),
    days, spend, revenue, daily_spend (the budget level: spend per active day), month (1-12)
    and roi.
    """
    need = ["date", "campaign_id", "platform", "ad_type", "bidding_strategy", "objective", "gender", "age_min",
            "age_max", "location", "interests", "spend", "revenue"]
    missing = [c for c in need if c not in campaigns]
    if missing:
        raise BadInputError(f"The campaigns frame lacks columns: {', '.join(missing)}.")
    if len(campaigns) == 0:
        raise NotEnoughDataError("There are no campaign-days to learn ROI from: load campaign data first.")
    df = campaigns.copy()
    df["date"] = pd.to_datetime(df["date"])
    df["month_start"] = df["date"].dt.to_period("M").dt.to_timestamp()
    df["interests"] = df["interests"].map(lambda v: "+".join(sorted(v)) if v is not None and len(v) else "none")
    if "audience" not in df:
        unknown = df["age_min"].isna() | df["age_max"].isna()
        known = df["gender"].astype(str) + " " + df["age_min"].astype(str) + "-" + df["age_max"].astype(str)
        df["audience"] = known.where(~unknown, "unknown audience")
    df = fill_unknown_audience(df)  # an export without targeting: model it as no restriction known
    active = df[df["spend"] > 0]
    keys = ["campaign_id", "month_start"]
    g = active.groupby(keys, sort=True)
    first = g[["platform", "ad_type", "bidding_strategy", "objective", "gender", "age_min", "age_max", "location",
               "interests", "audience"]].first()
    sums = g[["spend", "revenue"]].sum()
    out = first.join(sums)
    out["days"] = g["date"].nunique()
    out = out.reset_index()
    out = out[out["spend"] >= min_spend].reset_index(drop=True)
    out["daily_spend"] = out["spend"] / out["days"]
    out["month"] = out["month_start"].dt.month
    out["roi"] = roi(out["revenue"], out["spend"])
    for c in ("age_min", "age_max"):
        out[c] = out[c].astype(float)
    return out


def features(frame: pd.DataFrame) -> pd.DataFrame:
    """Model features from raw campaign-month columns (``RAW``): categories as strings,
    ``log_daily_spend`` and the month as a cycle (``month_sin``, ``month_cos``)."""
    missing = [c for c in RAW if c not in frame]
    if missing:
        raise BadInputError(f"Describe the campaign fully: missing {', '.join(missing)}.")
    X = pd.DataFrame(index=frame.index)
    for c in CATEGORICAL:
        X[c] = frame[c].astype(str).str.lower()
    X["age_min"] = frame["age_min"].astype(float)
    X["age_max"] = frame["age_max"].astype(float)
    X["log_daily_spend"] = np.log(np.maximum(frame["daily_spend"].astype(float), 1e-3))
    m = frame["month"].astype(float)
    X["month_sin"] = np.sin(2 * np.pi * (m - 1) / 12)
    X["month_cos"] = np.cos(2 * np.pi * (m - 1) / 12)
    return X


def weighted_r2(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    """R2 with sample weights (1 - weighted SSE / weighted SS about the weighted mean)."""
    y, pred, w = (np.asarray(a, dtype=float) for a in (y, pred, w))
    mean = np.average(y, weights=w)
    ss = np.sum(w * (y - mean) ** 2)
    return float(1 - np.sum(w * (y - pred) ** 2) / ss) if ss > 0 else float("nan")


def mape(actual: np.ndarray, pred: np.ndarray) -> float:
    """Mean absolute percentage error over the rows whose actual value is positive."""
    a, p = np.asarray(actual, dtype=float), np.asarray(pred, dtype=float)
    ok = a > 0
    return float(np.mean(np.abs(p[ok] - a[ok]) / a[ok])) if ok.any() else float("nan")


# ------------------------------------------------------------------ the estimator


def _pipeline(kind: str, alpha: float, random_state: int) -> Pipeline:
    if kind == "ridge":
        pre = ColumnTransformer([
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
            ("num", StandardScaler(), NUMERIC)])
        return Pipeline([("pre", pre), ("model", Ridge(alpha=alpha))])
    pre = ColumnTransformer([
        ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                               encoded_missing_value=np.nan), CATEGORICAL),
        ("num", "passthrough", NUMERIC)])
    model = HistGradientBoostingRegressor(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=10, l2_regularization=1.0,
        categorical_features=list(range(len(CATEGORICAL))), random_state=random_state)
    return Pipeline([("pre", pre), ("model", model)])


class ROIModel(RegressorMixin, BaseEstimator):
    """A campaign-month's ROI from its targeting, budget level and season, with intervals.

    Parameters
    ----------
    kind : {"ridge", "gbm"}
        The interpretable linear model or the gradient-boosted one.
    alpha : float
        Ridge penalty (linear model).
    level : float
        Coverage of the prediction intervals (split conformal).
    calibration : float
        Share of the latest months kept aside to calibrate the intervals.
    n_boot : int
        Campaign-cluster bootstrap refits for the coefficient intervals (linear model; 0 skips).
    random_state : int

    Examples
    --------
    >>> model = ROIModel(kind="ridge").fit(months)          # doctest: +SKIP
    >>> model.predict_interval(months.head())               # doctest: +SKIP
    """

    def __init__(self, *, kind: str = "gbm", alpha: float = 1.0, level: float = 0.8, calibration: float = 0.25,
                 n_boot: int = 200, random_state: int = 0) -> None:
        self.kind = kind
        self.alpha = alpha
        self.level = level
        self.calibration = calibration
        self.n_boot = n_boot
        self.random_state = random_state

    def fit(self, months: pd.DataFrame, y: Any = None) -> "ROIModel":
        """Fit on campaign-months (``campaign_months`` output: RAW columns, spend, roi)."""
        with _one_thread():
            return self._fit(months, y)

    def _fit(self, months: pd.DataFrame, y: Any = None) -> "ROIModel":
        if self.kind not in KINDS:
            raise BadInputError(f"Unknown ROI model '{self.kind}': use one of {', '.join(KINDS)}.")
        if len(months) < 20:
            raise NotEnoughDataError("At least 20 campaign-months are needed to model ROI.")
        X = features(months)
        target = months["roi"].to_numpy(float) if y is None else np.asarray(y, dtype=float)
        w = months["spend"].to_numpy(float)
        self.median_spend_ = float(np.median(w))
        spend = w
        w = w / w.mean()     # weights of mean 1: the ridge penalty keeps its meaning whatever the currency
        # 1) conformal calibration: fit on the earlier months, score the later ones
        order = months["month_start"].rank(method="dense").to_numpy() if "month_start" in months else None
        q = np.nan
        if order is not None and order.max() >= 4:
            cut = np.quantile(np.unique(order), 1 - self.calibration)
            early, late = order <= cut, order > cut
            if early.sum() >= 10 and late.sum() >= 5:
                cal = _pipeline(self.kind, self.alpha, self.random_state)
                cal.fit(X[early], target[early], model__sample_weight=w[early])
                score = np.abs(target[late] - cal.predict(X[late])) * np.sqrt(spend[late] / self.median_spend_)
                n = len(score)
                k = min(int(np.ceil((n + 1) * self.level)), n)
                q = float(np.sort(score)[k - 1])
        self.pipeline_ = _pipeline(self.kind, self.alpha, self.random_state)
        self.pipeline_.fit(X, target, model__sample_weight=w)
        if not np.isfinite(q):    # too little history to hold months out: in-sample residuals
            score = np.abs(target - self.pipeline_.predict(X)) * np.sqrt(spend / self.median_spend_)
            q = float(np.quantile(score, self.level))
        self.conformal_q_ = q
        self.feature_names_ = list(self.pipeline_[:-1].get_feature_names_out())
        if self.kind == "ridge":
            self.coef_ = self.pipeline_[-1].coef_
            self.coef_interval_ = self._bootstrap(months, X, target, w) if self.n_boot else None
        self.n_months_ = len(months)
        return self

    def _bootstrap(self, months, X, y, w) -> np.ndarray:
        """Percentile intervals of the coefficients, resampling whole campaigns."""
        rng = np.random.default_rng(self.random_state)
        ids = months["campaign_id"].to_numpy()
        uniq = np.unique(ids)
        rows = {c: np.flatnonzero(ids == c) for c in uniq}
        Z = self.pipeline_[:-1].transform(X)                     # same columns as the main fit
        onehot = np.zeros(Z.shape[1], dtype=bool)
        onehot[:len(self.pipeline_[0].named_transformers_["cat"].get_feature_names_out())] = True
        draws, present = [], []
        for _ in range(self.n_boot):
            pick = np.concatenate([rows[c] for c in rng.choice(uniq, len(uniq))])
            m = Ridge(alpha=self.alpha).fit(Z[pick], y[pick], sample_weight=w[pick])
            draws.append(m.coef_)
            present.append(~onehot | (Z[pick] != 0).any(axis=0))
        # Normal intervals from the bootstrap spread (percentile ones need not contain the estimate
        # when categories are confounded); a level absent from a resample does not count.
        d = np.ma.masked_array(np.array(draws), mask=~np.array(present))
        sd = np.asarray(d.std(axis=0, ddof=1).filled(np.nan))
        half = 1.96 * np.nan_to_num(sd, nan=0.0)
        return np.c_[self.coef_ - half, self.coef_ + half]

    def predict(self, months: pd.DataFrame) -> np.ndarray:
        """Predicted ROI of each campaign-month (RAW columns)."""
        check_is_fitted(self, "pipeline_")
        with _one_thread():
            return self.pipeline_.predict(features(months))

    def predict_interval(self, months: pd.DataFrame, spend: np.ndarray | None = None) -> pd.DataFrame:
        """Prediction and its ``level`` interval; width shrinks with spend (``q * sqrt(median / spend)``)."""
        check_is_fitted(self, "pipeline_")
        pred = self.predict(months)
        s = np.asarray(spend if spend is not None else months["spend"], dtype=float)
        half = self.conformal_q_ * np.sqrt(self.median_spend_ / np.maximum(s, 1e-9))
        return pd.DataFrame({"predicted_roi": pred, "lo": pred - half, "hi": pred + half}, index=months.index)

    def coefficients(self) -> pd.DataFrame:
        """The linear model's effects on ROI (ROI points per one-hot level or per standard deviation)."""
        check_is_fitted(self, "pipeline_")
        if self.kind != "ridge":
            raise BadInputError("Coefficients belong to the linear model.")
        out = pd.DataFrame({"feature": [_pretty(n) for n in self.feature_names_], "effect": self.coef_})
        if self.coef_interval_ is not None:
            out["lo"], out["hi"] = self.coef_interval_[:, 0], self.coef_interval_[:, 1]
        order = np.argsort(-np.abs(out["effect"].to_numpy()), kind="stable")
        return out.iloc[order].reset_index(drop=True)


def _pretty(name: str) -> str:
    """'cat__platform_google' -> 'platform = google'; 'num__log_daily_spend' -> 'log daily spend'."""
    kind, _, rest = name.partition("__")
    if kind == "cat":
        for c in CATEGORICAL:
            if rest.startswith(c + "_"):
                return f"{c} = {rest[len(c) + 1:]}"
    return rest.replace("_", " ")


# ------------------------------------------------------------------ evaluation and drivers


def baseline_predict(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Per-platform spend-weighted mean ROI of the training months (overall mean for new platforms)."""
    overall = np.average(train["roi"], weights=train["spend"])
    by = train.groupby("platform").apply(lambda g: np.average(g["roi"], weights=g["spend"]), include_groups=False)
    return test["platform"].map(by).fillna(overall).to_numpy(float)


def time_folds(months: pd.DataFrame, n_splits: int = 4, min_train: int = 6) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window folds over calendar months: train on every month before a block, test on the block."""
    uniq = np.sort(months["month_start"].unique())
    if len(uniq) < min_train + 1:
        raise NotEnoughDataError(f"Time-ordered validation needs at least {min_train + 1} months of history; "
                                 f"there are {len(uniq)}.")
    test_months = uniq[min_train:]
    blocks = np.array_split(test_months, min(n_splits, len(test_months)))
    folds = []
    for b in blocks:
        tr = np.flatnonzero(months["month_start"].to_numpy() < b[0])
        te = np.flatnonzero(months["month_start"].isin(b).to_numpy())
        folds.append((tr, te))
    return folds


@dataclass
class CVResult:
    """Pooled out-of-time scores per model, per-fold scores and every test prediction."""

    scores: pd.DataFrame          # model, r2, mape, coverage, n
    folds: pd.DataFrame           # fold, model, r2, mape, train_months, test_start, test_end
    predictions: pd.DataFrame     # the test months with a column per model (and lo/hi)

    def best(self) -> str:
        s = self.scores[self.scores["model"].isin(KINDS)].set_index("model")
        return str(s["r2"].idxmax())

    def to_payload(self) -> dict[str, Any]:
        s = self.scores.set_index("model")
        best = self.best()
        return {"r2": float(s.loc[best, "r2"]), "mape": float(s.loc[best, "mape"]), "model": best,
                "coverage": float(s.loc[best, "coverage"]), "folds": int(self.folds["fold"].nunique()),
                "baseline_r2": float(s.loc["platform mean", "r2"]), "baseline_mape": float(s.loc["platform mean", "mape"]),
                "by_model": {m: {"r2": float(r["r2"]), "mape": float(r["mape"])} for m, r in s.iterrows()}}


def cross_validate(months: pd.DataFrame, *, n_splits: int = 4, min_train: int = 6, level: float = 0.8,
                   alpha: float = 1.0, random_state: int = 0,
                   progress: Callable[[float, str], None] | None = None) -> CVResult:
    """Expanding-window validation of both models and the per-platform baseline on later months.

    R2 is of ROI, weighted by spend; MAPE is of revenue (predicted ``(1 + ROI) * spend``) over
    months that had revenue; coverage is the share of test months inside the interval.
    """
    folds = time_folds(months, n_splits, min_train)
    report = progress or (lambda f, m: None)
    preds, rows = [], []
    for i, (tr, te) in enumerate(folds):
        report(i / len(folds), f"fold {i + 1} of {len(folds)}")
        train, test = months.iloc[tr], months.iloc[te]
        out = test[["campaign_id", "month_start", "platform", "spend", "revenue", "roi"]].copy()
        out["fold"] = i + 1
        out["platform mean"] = baseline_predict(train, test)
        for kind in KINDS:
            m = ROIModel(kind=kind, alpha=alpha, level=level, n_boot=0, random_state=random_state).fit(train)
            iv = m.predict_interval(test)
            out[kind], out[f"{kind}_lo"], out[f"{kind}_hi"] = iv["predicted_roi"], iv["lo"], iv["hi"]
        for name in ("platform mean", *KINDS):
            rows.append({"fold": i + 1, "model": name, "train_months": train["month_start"].nunique(),
                         "test_start": test["month_start"].min(), "test_end": test["month_start"].max(),
                         **_scores(out, name)})
        preds.append(out)
    report(1.0, "done")
    pred = pd.concat(preds, ignore_index=True)
    scores = pd.DataFrame([{"model": name, **_scores(pred, name), "n": len(pred)}
                           for name in ("platform mean", *KINDS)])
    return CVResult(scores, pd.DataFrame(rows), pred)


def _scores(frame: pd.DataFrame, name: str) -> dict[str, float]:
    y, p, w = frame["roi"].to_numpy(float), frame[name].to_numpy(float), frame["spend"].to_numpy(float)
    res = {"r2": weighted_r2(y, p, w), "mape": mape(frame["revenue"].to_numpy(float), (1 + p) * w)}
    if f"{name}_lo" in frame:
        res["coverage"] = float(((frame[f"{name}_lo"] <= y) & (y <= frame[f"{name}_hi"])).mean())
    else:
        res["coverage"] = float("nan")
    return res


def permutation_importance_frame(model: ROIModel, months: pd.DataFrame, *, n_repeats: int = 5,
                                 random_state: int = 0) -> pd.DataFrame:
    """Drop in spend-weighted R2 when each raw feature is shuffled (mean and spread over repeats)."""
    check_is_fitted(model, "pipeline_")
    rng = np.random.default_rng(random_state)
    y, w = months["roi"].to_numpy(float), months["spend"].to_numpy(float)
    base = weighted_r2(y, model.predict(months), w)
    cols = [c for c in RAW]
    rows = []
    for c in cols:
        drops = []
        for _ in range(n_repeats):
            shuffled = months.copy()
            shuffled[c] = rng.permutation(shuffled[c].to_numpy())
            drops.append(base - weighted_r2(y, model.predict(shuffled), w))
        rows.append({"feature": c, "importance": float(np.mean(drops)), "std": float(np.std(drops))})
    return pd.DataFrame(rows).sort_values("importance", ascending=False).reset_index(drop=True)


def partial_dependence(model: ROIModel, months: pd.DataFrame, feature: str,
                       grid: Sequence[Any] | None = None) -> pd.DataFrame:
    """Mean predicted ROI when every campaign-month takes each value of ``feature``."""
    check_is_fitted(model, "pipeline_")
    if feature not in RAW:
        raise BadInputError(f"No partial dependence for '{feature}'.")
    if grid is None:
        if feature == "daily_spend":
            grid = np.geomspace(*np.quantile(months["daily_spend"], [0.05, 0.95]), 25)
        elif feature == "month":
            grid = range(1, 13)
        elif feature in ("age_min", "age_max"):
            grid = np.sort(months[feature].unique())
        else:
            grid = sorted(months[feature].astype(str).unique())
    rows = []
    w = months["spend"].to_numpy(float)
    for v in grid:
        m = months.copy()
        m[feature] = v
        rows.append({"feature": feature, "value": v, "roi": float(np.average(model.predict(m), weights=w))})
    return pd.DataFrame(rows)


def what_if(model: ROIModel, plan: Mapping[str, Any], *, days: float = 365 / 12) -> dict[str, Any]:
    """Predicted ROI of a planned campaign-month, its interval and the revenue it means.

    ``plan`` gives platform, ad_type, bidding_strategy, objective, gender, age_min, age_max,
    location, interests (a list or '+'-joined string), daily_budget (spent in full) and month
    (1-12; omit it for the average over the year).
    """
    check_is_fitted(model, "pipeline_")
    p = dict(plan)
    if "daily_budget" not in p and "daily_spend" not in p:
        raise BadInputError("Give the planned daily budget.")
    daily = float(p.get("daily_spend", p.get("daily_budget")))
    if daily <= 0:
        raise BadInputError("The planned daily budget must be above zero.")
    interests = p.get("interests", "none")
    if not isinstance(interests, str):
        interests = "+".join(sorted(interests)) or "none"
    months = [int(p["month"])] if p.get("month") else list(range(1, 13))
    base = {k: p.get(k) for k in ("platform", "ad_type", "bidding_strategy", "objective", "gender", "location",
                                  "age_min", "age_max")}
    missing = [k for k, v in base.items() if v is None]
    if missing:
        raise BadInputError(f"Describe the campaign fully: missing {', '.join(missing)}.")
    frame = pd.DataFrame([{**base, "interests": interests, "daily_spend": daily, "month": m} for m in months])
    spend = daily * days
    iv = model.predict_interval(frame, spend=np.full(len(frame), spend))
    pred, lo, hi = (float(iv[c].mean()) for c in ("predicted_roi", "lo", "hi"))
    return {"predicted_roi": pred, "interval": [lo, hi], "spend": spend,
            "expected_revenue": spend * (1 + pred), "revenue_interval": [spend * (1 + lo), spend * (1 + hi)],
            "daily_revenue": daily * (1 + pred)}


_COMBINATION = ("platform", "ad_type", "bidding_strategy")
_AUDIENCE = ("gender", "location", "interests")


def what_if_novelty(months: pd.DataFrame, plan: Mapping[str, Any]) -> dict[str, Any]:
    """How far a what-if lies from the history: never-seen combinations and budgets outside those run.

    Returns ``seen`` (True when the platform x ad type x bidding combination, the audience and the
    budget were all run before), ``combination_seen``, ``warnings`` (sentences naming what is new) and ``budget_range``
    (the daily spends the same combination ran at, or None).
    """
    def label(cols: Sequence[str]) -> str:
        return " + ".join(str(plan.get(c)) for c in cols)

    warnings = []
    same = months
    for c in _COMBINATION:
        same = same[same[c].astype(str) == str(plan.get(c))]
    if same.empty:
        warnings.append(f"The combination {label(_COMBINATION)} never ran in the history: the figure below is the "
                        "model's extrapolation from its parts, not a measured return.")
    else:
        aud = same
        for c in _AUDIENCE:
            aud = aud[aud[c].astype(str) == str(plan.get(c))]
        if aud.empty:
            warnings.append(f"{label(_COMBINATION)} never ran for the audience {label(_AUDIENCE)}: an extrapolation.")
    budget_range = None
    if not same.empty:
        lo, hi = float(same["daily_spend"].min()), float(same["daily_spend"].max())
        budget_range = (lo, hi)
        daily = float(plan.get("daily_budget", plan.get("daily_spend", 0.0)) or 0.0)
        if daily > hi * 1.5 or daily < lo / 1.5:
            warnings.append(f"{label(_COMBINATION)} ran at ${lo:,.0f} to ${hi:,.0f} a day; ${daily:,.0f} a day is "
                            "outside what the history shows, so the figure is an extrapolation.")
    return {"seen": not warnings, "combination_seen": not same.empty, "warnings": warnings,
            "budget_range": budget_range}


def curve_agreement(model: ROIModel, campaigns: pd.DataFrame) -> pd.DataFrame:
    """Where the ROI model and the recommendation engine both speak: each line item's
    expected daily revenue at its current daily spend from both, and their ratio.

    Paused line items (no current spend) are left out: the ROI model has nothing to say there.
    """
    from core.recommendations import ResponseModel, line_items

    curves = ResponseModel(metrics=("revenue",), n_draws=20).fit(campaigns)
    rows = []
    for it in line_items(campaigns).itertuples():
        x = float(it.current_daily_spend)
        if x <= 0:
            continue
        curve = float(curves.predict(np.array([x]), "revenue", keys=[it.key])[0])
        plan = dict(platform=it.platform, ad_type=it.ad_type, bidding_strategy=it.bidding_strategy,
                    objective=it.objective, gender=it.gender, age_min=it.age_min, age_max=it.age_max,
                    location=it.location, interests=list(it.interests), daily_budget=x)
        roi_revenue = what_if(model, plan)["daily_revenue"]
        rows.append({"key": it.key, "daily_spend": x, "roi_revenue": roi_revenue, "curve_revenue": curve,
                     "ratio": roi_revenue / curve})
    return pd.DataFrame(rows, columns=["key", "daily_spend", "roi_revenue", "curve_revenue", "ratio"])


# ------------------------------------------------------------------ campaign read-out and CLI


def campaign_predictions(model: ROIModel, months: pd.DataFrame) -> pd.DataFrame:
    """Per campaign: spend, revenue, ROI and the model's ROI (spend-weighted over its months)."""
    iv = model.predict_interval(months)
    m = months[["campaign_id", "spend", "revenue"]].join(iv)
    for c in ("predicted_roi", "lo", "hi"):
        m[c + "_x"] = m[c] * m["spend"]
    g = m.groupby("campaign_id", sort=True)
    out = g[["spend", "revenue", "predicted_roi_x", "lo_x", "hi_x"]].sum()
    out["roi"] = roi(out["revenue"], out["spend"])
    for c in ("predicted_roi", "lo", "hi"):
        out[c] = out[c + "_x"] / out["spend"]
    return out[["spend", "revenue", "roi", "predicted_roi", "lo", "hi"]].reset_index()


@dataclass
class ROIAnalysis:
    """Everything the page and the CLI show."""

    months: pd.DataFrame
    cv: CVResult
    model: ROIModel
    linear: ROIModel
    campaigns: pd.DataFrame

    def drivers(self, top: int = 15) -> pd.DataFrame:
        return self.linear.coefficients().head(top)


def analyse(campaigns: pd.DataFrame, *, level: float = 0.8, n_splits: int = 4, alpha: float = 1.0,
            n_boot: int = 200, min_spend: float = 50.0, random_state: int = 0,
            progress: Callable[[float, str], None] | None = None) -> ROIAnalysis:
    """Campaign-months, time-ordered CV, the better model refitted on everything, the linear drivers."""
    report = progress or (lambda f, m: None)
    months = campaign_months(campaigns, min_spend=min_spend)
    if len(months) < 20:
        raise NotEnoughDataError("At least 20 campaign-months with spend are needed to model ROI; "
                                 f"there are {len(months)}.")
    min_train = max(3, min(6, months["month_start"].nunique() // 2))
    cv = cross_validate(months, n_splits=n_splits, min_train=min_train, level=level, alpha=alpha,
                        random_state=random_state, progress=lambda f, m: report(0.7 * f, m))
    report(0.75, "fitting the final models")
    linear = ROIModel(kind="ridge", alpha=alpha, level=level, n_boot=n_boot, random_state=random_state).fit(months)
    best = cv.best()
    model = linear if best == "ridge" else ROIModel(kind="gbm", level=level, random_state=random_state).fit(months)
    report(1.0, "done")
    return ROIAnalysis(months, cv, model, linear, campaign_predictions(model, months))


def run_roi(args: Any, ctx: Any) -> dict[str, Any]:
    """``python -m core roi``: per-campaign ROI, the model's prediction with an interval, drivers."""
    wh = ctx.warehouse()
    res = analyse(wh.campaigns())
    camps = [{"campaign_id": r.campaign_id, "spend": round(float(r.spend), 2), "revenue": round(float(r.revenue), 2),
              "roi": round(float(r.roi), 4), "predicted_roi": round(float(r.predicted_roi), 4),
              "interval": [round(float(r.lo), 4), round(float(r.hi), 4)]} for r in res.campaigns.itertuples()]
    drivers = [{"feature": d.feature, "effect": round(float(d.effect), 4),
                **({"lo": round(float(d.lo), 4), "hi": round(float(d.hi), 4)} if "lo" in res.drivers() else {})}
               for d in res.drivers().itertuples()]
    return {"model": {"ridge": "ridge (linear)", "gbm": "gradient boosting"}[res.cv.best()],
            "cv": res.cv.to_payload(), "campaigns": camps, "drivers": drivers}
