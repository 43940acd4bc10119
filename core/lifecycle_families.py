"""The workbench's model families, registered with :mod:`core.lifecycle`.

Each family says how to train its model on the warehouse and evaluate it honestly
(a backtest, a replay on injected incidents, an out-of-time cross-validation, a
hold-out), which figure decides champion/challenger, what small JSON artifact
describes the fitted model, and which inputs over time are watched for drift.

Importing this module registers: ``recommendations``, ``monitoring``,
``scheduling``, ``sentiment``, ``segments`` and ``roi``. The bandits have no
family: an experiment's allocation is a closed-form posterior of the counts
stored with the experiment, recomputed on every read, so there is nothing
learned to version or retrain.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.config import Settings
from core.errors import NotEnoughDataError
from core.lifecycle import Family, TrainResult, register
from core.warehouse import Warehouse

#: Days held out at the end of the history by the recommendations backtest and the monitor replay.
HOLDOUT_DAYS = 91
#: Forecast horizon (days) of the scheduling backtest.
FORECAST_HORIZON = 28


# ------------------------------------------------------------------ helpers


def _day(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return pd.Timestamp(value).date().isoformat()


def _window(dates: pd.Series) -> tuple[str | None, str | None]:
    d = pd.to_datetime(dates).dropna()
    return (_day(d.min()), _day(d.max())) if len(d) else (None, None)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num, den = num.astype(float), den.astype(float)
    return (num / den.where(den > 0)).astype(float)


def _campaigns(wh: Warehouse) -> pd.DataFrame:
    frame = wh.campaigns()
    if not len(frame):
        raise NotEnoughDataError("There are no campaign-days yet: load campaign data first.")
    return frame


def _records(frame: pd.DataFrame, digits: int = 6) -> list[dict[str, Any]]:
    """A frame as JSON-ready records, floats rounded (the artifact stays small and readable)."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(digits)
        elif pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict(orient="records")


# ------------------------------------------------------------------ recommendations


def recommendations_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Daily spend, click-through rate and cost per lead per platform."""
    c = wh.campaigns()
    if not len(c):
        return pd.DataFrame(), None
    g = c.groupby(["date", "platform"], as_index=False)[["spend", "impressions", "clicks", "leads"]].sum()
    return pd.DataFrame({"date": g["date"], "platform": g["platform"], "spend": g["spend"].astype(float),
                         "ctr": _ratio(g["clicks"], g["impressions"]),
                         "cpl": _ratio(g["spend"], g["leads"])}), "date"


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


# ------------------------------------------------------------------ monitoring


def monitoring_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Per campaign-day: spend against budget, click-through rate, leads per click."""
    c = wh.campaigns()
    if not len(c):
        return pd.DataFrame(), None
    return pd.DataFrame({"date": c["date"], "budget_use": _ratio(c["spend"], c["daily_budget"]),
                         "ctr": _ratio(c["clicks"], c["impressions"]),
                         "leads_per_click": _ratio(c["leads"], c["clicks"])}), "date"


def monitoring_train(wh: Warehouse, settings: Settings) -> TrainResult:
    """Replay the monitor on the last quarter with known incidents injected: precision and recall."""
    from core import monitoring as mon

    campaigns = _campaigns(wh)
    last = pd.to_datetime(campaigns["date"]).max()
    start = (last - pd.Timedelta(days=HOLDOUT_DAYS - 1)).normalize()
    if pd.to_datetime(campaigns["date"]).min() > start - pd.Timedelta(days=60):
        raise NotEnoughDataError(f"The monitor replay needs 60 days of history before the last {HOLDOUT_DAYS}.")
    injected, truth = mon.inject_incidents(campaigns, start=start.date(), per_kind=4, random_state=0)
    if truth.empty:
        raise NotEnoughDataError("No campaign is large enough to carry an injected incident: too little data.")
    country = settings.country or None
    model = mon.Monitor(country=country).fit(injected)
    alerts = model.predict(since=start)
    ev = mon.evaluate(alerts, truth, since=start)
    p, r = ev["precision"], ev["recall"]
    f1 = 2 * p * r / (p + r) if np.isfinite(p) and np.isfinite(r) and p + r > 0 else 0.0
    clean = mon.Monitor(country=country).fit(campaigns)
    days = max(int(clean.grid_.present[:, -HOLDOUT_DAYS:].sum()), 1)
    clean_alerts = clean.predict(since=start)
    kinds = clean.alerts_["kind"].value_counts().to_dict() if len(clean.alerts_) else {}
    elasticity = np.asarray(getattr(clean, "elasticity_", np.array([])), dtype=float).ravel()
    return TrainResult(
        metrics={"f1": f1, "precision": p, "recall": r, "precision_kind_matched": ev["precision_kind_matched"],
                 "injected_incidents": float(ev["incidents"]), "alerts": float(ev["alerts"]),
                 "clean_alerts_per_100_campaign_days": 100.0 * len(clean_alerts) / days},
        primary="f1", higher_is_better=True,
        params={"sensitivity": model.sensitivity, "half_life": model.half_life, "replay_days": HOLDOUT_DAYS,
                "per_kind": 4, "inject_seed": 0, "country": country},
        window=_window(campaigns["date"]),
        artifact={"last_date": _day(clean.last_date_), "alerts_by_kind_all_history": {str(k): int(v)
                                                                                      for k, v in kinds.items()},
                  "incidents_open": int(len(clean.incidents_)),
                  "spend_elasticity": {"median": float(np.nanmedian(elasticity)) if np.isfinite(elasticity).any()
                                       else None, "campaigns": int(np.isfinite(elasticity).sum())},
                  "replay_per_kind": {k: {kk: (None if isinstance(vv, float) and not np.isfinite(vv) else vv)
                                          for kk, vv in v.items()} for k, v in ev["per_kind"].items()}})


# ------------------------------------------------------------------ scheduling


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


# ------------------------------------------------------------------ sentiment


def sentiment_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Per comment: length, words, exclamation marks and VADER's compound score."""
    from core import sentiment as sen

    c = wh.comments()
    if not len(c):
        return pd.DataFrame(), None
    text = c["text"].fillna("").astype(str)
    return pd.DataFrame({"date": pd.to_datetime(c["created_at"], utc=True).dt.tz_localize(None),
                         "chars": text.str.len().astype(float),
                         "words": text.str.split().str.len().astype(float),
                         "exclamations": text.str.count("!").astype(float),
                         "vader_compound": sen.vader_scores(text.tolist())[:, 3]}), "date"


SENTIMENT_HOLDOUT = 0.3
SENTIMENT_SEED = 0


def sentiment_train(wh: Warehouse, settings: Settings) -> TrainResult:
    """The current head moved towards the workspace's labels; macro-recall on a seeded hold-out of them."""
    from core import sentiment as sen

    rows = sen.training_rows(wh)
    if len(rows) < 20 or rows["label"].nunique() < 2:
        raise NotEnoughDataError("The sentiment head needs at least 20 labelled or corrected comments "
                                 f"with two labels or more; there are {len(rows)}.")
    base = sen.load_model(settings.models_dir)  # ConfigError (a WorkbenchError) when no head is saved yet
    train_idx, hold_idx = sen.seeded_split(len(rows), 1 - SENTIMENT_HOLDOUT, random_state=SENTIMENT_SEED)
    texts = rows["text"].astype(str).tolist()
    cache = settings.root / ".cache" / "sentiment"   # the encoder's embeddings of fixed texts, kept between runs
    X = base.features(texts, embeddings=sen.cached_embeddings(texts, cache_dir=cache))
    y = rows["label"].to_numpy(object)
    head = base.head.refit_with(X[train_idx], y[train_idx].tolist(), strength=sen.PRIOR_STRENGTH,
                                sample_weight=np.full(len(train_idx), sen.WORKSPACE_WEIGHT))
    before = sen.classification_metrics(y[hold_idx], base.head.predict(X[hold_idx]), labels=sen.LABELS)
    after = sen.classification_metrics(y[hold_idx], head.predict(X[hold_idx]), labels=sen.LABELS)
    metrics = {"macro_recall": after["macro_recall"], "macro_f1": after["macro_f1"], "accuracy": after["accuracy"],
               "base_macro_recall": before["macro_recall"], "holdout": float(after["n"]),
               "train_rows": float(len(train_idx))}
    check = sen.checkset(settings.models_dir if (settings.models_dir / sen.STEM / "checkset.json").exists()
                         else None)
    if len(check):
        check_texts = check["text"].astype(str).tolist()
        Xc = base.features(check_texts, embeddings=sen.cached_embeddings(check_texts, cache_dir=cache))
        metrics["checkset_macro_recall"] = sen.classification_metrics(check["label"], head.predict(Xc))[
            "macro_recall"]
    return TrainResult(
        metrics=metrics, primary="macro_recall", higher_is_better=True,
        params={"base": base.model_id, "prior_strength": sen.PRIOR_STRENGTH, "workspace_weight": sen.WORKSPACE_WEIGHT,
                "holdout_share": SENTIMENT_HOLDOUT, "split_seed": SENTIMENT_SEED,
                "by_source": rows["source"].value_counts().to_dict()},
        window=_window(wh.comments()["created_at"].pipe(pd.to_datetime, utc=True).dt.tz_localize(None)),
        artifact={"labels": list(sen.LABELS), "features": int(head.coef_.shape[1]),
                  "coef": np.round(head.coef_, 5).tolist(), "intercept": np.round(head.intercept_, 5).tolist(),
                  "base": base.model_id})


# ------------------------------------------------------------------ segments


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


# ------------------------------------------------------------------ roi


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


# ------------------------------------------------------------------ bandits


def bandits_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Per arm-day of every experiment: traffic and the click and conversion rates it earned."""
    from core import bandits

    logs = [bandits.experiment_results(wh, e).assign(experiment=e)
            for e in bandits.experiments(wh)["experiment_id"]]
    logs = [df for df in logs if len(df)]
    if not logs:
        return pd.DataFrame(), None
    df = pd.concat(logs, ignore_index=True)
    imps = df["impressions"].astype(float)
    return pd.DataFrame({"date": df["date"], "log_impressions": np.log1p(imps),
                         "ctr": np.where(imps > 0, df["clicks"] / imps.where(imps > 0, 1), np.nan),
                         "experiment": df["experiment"]}), "date"


def bandits_train(wh: Warehouse, settings: Settings) -> TrainResult:
    """Each experiment's posterior, next-period shares and stopping read-out (the bandit state).

    The state is a function of the logged results, so a newer one is never worse
    evidence; the figure that decides is the amount of evidence (trials logged).
    """
    from core import bandits

    exps = bandits.experiments(wh)
    if not len(exps):
        raise NotEnoughDataError("There are no A/B bandit experiments yet: create one on the A/B bandits page.")
    states, trials, decided, best = [], 0.0, 0, []
    dates = []
    for exp in exps.itertuples():
        results = bandits.experiment_results(wh, exp.experiment_id)
        if not len(results):
            continue
        model, decision = bandits.analyse(wh, exp.experiment_id)
        trials += float(np.sum(model.trials_))
        decided += int(decision.stop)
        best.append(float(np.max(decision.prob_best)))
        dates.append(results["date"])
        states.append({"experiment_id": exp.experiment_id, "name": exp.name, "policy": model.policy,
                       "reward": model.reward, "arms": list(model.arms_),
                       "successes": np.round(model.successes_, 4).tolist(),
                       "trials": np.round(model.trials_, 4).tolist(),
                       "next_shares": np.round(model.shares_, 4).tolist(),
                       "prob_best": np.round(decision.prob_best, 4).tolist(),
                       "leader": decision.leader, "stop": bool(decision.stop), "verdict": decision.verdict})
    if not states:
        raise NotEnoughDataError("No experiment has logged results yet: enter a day's results first.")
    return TrainResult(
        metrics={"experiments": float(len(states)), "trials": trials, "decided": float(decided),
                 "mean_max_prob_best": float(np.mean(best))},
        primary="trials", higher_is_better=True,
        params={"experiments": [s["experiment_id"] for s in states]},
        window=_window(pd.concat(dates)), artifact={"experiments": states})


# ------------------------------------------------------------------ registration

register(Family("recommendations", "Response curves per line item (budget recommendations)",
                recommendations_train, recommendations_features, schedule_days=7))
register(Family("monitoring", "Campaign monitor baselines (alerts)", monitoring_train, monitoring_features,
                schedule_days=7))
register(Family("scheduling", "Prophet forecast of daily leads and best posting times", scheduling_train,
                scheduling_features, schedule_days=7))
register(Family("sentiment", "Sentiment head refitted on analyst corrections", sentiment_train, sentiment_features,
                schedule_days=30))
register(Family("segments", "Customer segments (k-means on RFM and engagement)", segments_train, segments_features,
                schedule_days=30))
register(Family("roi", "ROI models of campaign-months (ridge / gradient boosting)", roi_train, roi_features,
                schedule_days=30))
register(Family("bandits", "A/B bandit state: each experiment's posterior, shares and verdict", bandits_train,
                bandits_features, schedule_days=1))
