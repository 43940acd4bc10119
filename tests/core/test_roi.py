"""ROI: the read-out, campaign-month models, time-ordered CV vs a baseline, drivers, what-if, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from core import roi as R
from core.cli import main
from core.errors import BadInputError, NotEnoughDataError
from tests.core._roi_synth import SEASON, make_campaigns, to_records


@pytest.fixture(scope="module")
def data():
    campaigns, truth = make_campaigns(seed=0)
    return campaigns, truth, R.campaign_months(campaigns)


@pytest.fixture(scope="module")
def cv(data):
    return R.cross_validate(data[2])


@pytest.fixture(scope="module")
def gbm(data):
    return R.ROIModel(kind="gbm").fit(data[2])


@pytest.fixture(scope="module")
def ridge(data):
    return R.ROIModel(kind="ridge", n_boot=100).fit(data[2])


def _plan(**kw):
    base = dict(platform="google", ad_type="search", bidding_strategy="target_cpa", objective="sales", gender="all",
                age_min=25, age_max=44, location="US", interests=["dental"], daily_budget=60.0)
    return {**base, **kw}


# ------------------------------------------------------------------ the read-out


def test_roi_table_formulas_and_groups():
    df = pd.DataFrame({"campaign_id": ["a", "a", "b"], "campaign_name": ["A", "A", "B"],
                       "platform": ["google", "google", "facebook"], "ad_type": "search",
                       "bidding_strategy": "manual_cpc", "audience": "all 25-44 US",
                       "spend": [50.0, 50.0, 40.0], "revenue": [120.0, 30.0, 0.0], "conversions": [2, 1, 0],
                       "leads": [4, 1, 2], "clicks": 10, "impressions": 100})
    t = R.roi_table(df, "campaign").set_index("campaign_id")
    assert t.loc["a", "roi"] == pytest.approx(0.5) and t.loc["a", "roas"] == pytest.approx(1.5)
    assert t.loc["a", "cpa"] == pytest.approx(100 / 3) and t.loc["a", "cpl"] == pytest.approx(20)
    assert t.loc["b", "roi"] == pytest.approx(-1.0) and np.isnan(t.loc["b", "cpa"])
    p = R.roi_table(df, "platform")
    assert p["platform"].tolist() == ["google", "facebook"] and p["spend"].tolist() == [100.0, 40.0]
    assert len(R.roi_table(df.iloc[:0], "ad_type")) == 0
    with pytest.raises(BadInputError):
        R.roi_table(df, "colour")


def test_campaign_months(data):
    campaigns, _, months = data
    assert months.groupby(["campaign_id", "month_start"]).size().max() == 1
    assert (months["spend"] >= 50).all()
    one = months.iloc[0]
    days = campaigns[(campaigns["campaign_id"] == one["campaign_id"])
                     & (campaigns["date"].dt.to_period("M").dt.to_timestamp() == one["month_start"])]
    assert one["spend"] == pytest.approx(days["spend"].sum())
    assert one["roi"] == pytest.approx((days["revenue"].sum() - days["spend"].sum()) / days["spend"].sum())
    assert one["daily_spend"] == pytest.approx(days["spend"].sum() / (days["spend"] > 0).sum())
    with pytest.raises(BadInputError):
        R.campaign_months(campaigns.drop(columns=["revenue"]))


# ------------------------------------------------------------------ models and validation


def test_time_folds_only_train_on_the_past(data):
    months = data[2]
    for tr, te in R.time_folds(months, n_splits=4, min_train=6):
        assert months["month_start"].iloc[tr].max() < months["month_start"].iloc[te].min()


def test_cv_beats_the_per_platform_baseline_on_later_months(cv):
    s = cv.scores.set_index("model")
    base = s.loc["platform mean"]
    for kind in R.KINDS:
        assert s.loc[kind, "r2"] > base["r2"] + 0.3, kind
        assert s.loc[kind, "mape"] < 0.75 * base["mape"], kind
    # every fold, not only pooled
    f = cv.folds.pivot(index="fold", columns="model", values="r2")
    assert (f["gbm"] > f["platform mean"]).all() and (f["ridge"] > f["platform mean"]).all()
    payload = cv.to_payload()
    assert {"r2", "mape"} <= set(payload) and payload["r2"] == pytest.approx(s.loc[list(R.KINDS), "r2"].max())


def test_prediction_intervals_cover_about_their_level(cv):
    cover = cv.scores.set_index("model")["coverage"]
    for kind in R.KINDS:
        assert 0.65 <= cover[kind] <= 0.97, (kind, cover[kind])


def test_drivers_recover_the_true_effects(data, ridge, gbm):
    coefs = ridge.coefficients().set_index("feature")
    spend = coefs.loc["log daily spend"]
    assert spend["effect"] < 0 and spend["hi"] < 0               # saturation: more budget, lower ROI
    assert coefs.loc["platform = linkedin", "effect"] < coefs.loc["platform = google", "effect"]
    assert (coefs["lo"] <= coefs["effect"] + 1e-9).all() and (coefs["effect"] <= coefs["hi"] + 1e-9).all()
    imp = R.permutation_importance_frame(gbm, data[2], n_repeats=2).set_index("feature")["importance"]
    assert imp.idxmax() == "daily_spend"
    assert imp["ad_type"] > imp["objective"] and abs(imp["objective"]) < 1e-9    # objective is constant here
    pd_spend = R.partial_dependence(gbm, data[2], "daily_spend")
    assert pd_spend["roi"].iloc[0] > pd_spend["roi"].iloc[-1] + 0.5
    pd_month = R.partial_dependence(ridge, data[2], "month").set_index("value")["roi"]
    assert pd_month.idxmax() in (5, 6, 7) and pd_month.idxmin() in (11, 12, 1)   # true peak June, trough Dec


def test_estimator_contract():
    with pytest.raises(NotFittedError):
        R.ROIModel().predict(pd.DataFrame())
    with pytest.raises(BadInputError):
        R.ROIModel(kind="forest").fit(pd.DataFrame({"roi": range(30)}))
    assert R.ROIModel(kind="ridge", level=0.9).get_params()["level"] == 0.9


# ------------------------------------------------------------------ what-if


def test_what_if_prediction_interval_and_revenue(gbm, ridge):
    for model in (gbm, ridge):
        out = R.what_if(model, _plan())
        lo, hi = out["interval"]
        assert lo < out["predicted_roi"] < hi
        assert out["expected_revenue"] == pytest.approx(out["spend"] * (1 + out["predicted_roi"]))
        big = R.what_if(model, _plan(daily_budget=400.0))
        assert big["predicted_roi"] < out["predicted_roi"]           # diminishing returns
        assert big["interval"][1] - big["interval"][0] < hi - lo     # more spend, tighter ROI
    june, dec = R.what_if(gbm, _plan(month=6)), R.what_if(gbm, _plan(month=12))
    assert june["predicted_roi"] > dec["predicted_roi"]
    with pytest.raises(BadInputError):
        R.what_if(gbm, {k: v for k, v in _plan().items() if k != "platform"})
    with pytest.raises(BadInputError):
        R.what_if(gbm, _plan(daily_budget=0))


def test_what_if_agrees_with_the_recommendation_engine(data, gbm):
    """Expected daily revenue at each line item's current spend: the ROI model (x * (1 + ROI),
    averaged over months) against the response curves (posterior mean, average season)."""
    campaigns, truth, _ = data
    agree = R.curve_agreement(gbm, campaigns)
    ratios, ours, theirs = agree["ratio"].to_numpy(), agree["roi_revenue"].sum(), agree["curve_revenue"].sum()
    assert len(ratios) == len(truth)
    assert np.abs(ratios - 1).max() < 0.30                 # every line item within 30%
    assert np.median(np.abs(ratios - 1)) < 0.10            # typical item within 10%
    assert ours / theirs == pytest.approx(1.0, abs=0.05)   # in total within 5%
    assert SEASON.mean() == pytest.approx(1.0, abs=1e-9)   # both read an average season


# ------------------------------------------------------------------ analysis and CLI


def test_cli_roi_prints_the_contract(tmp_path, capsys):
    campaigns, _ = make_campaigns(seed=3, n_items=10, days=400)
    path = tmp_path / "campaigns.json"
    path.write_text(json.dumps({"campaigns": to_records(campaigns)}))
    assert main(["roi", "--data", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"model", "cv", "campaigns", "drivers"}
    assert {"r2", "mape"} <= set(out["cv"]) and out["cv"]["r2"] > out["cv"]["baseline_r2"]
    assert len(out["campaigns"]) == 10
    for c in out["campaigns"]:
        assert set(c) >= {"campaign_id", "spend", "revenue", "roi", "predicted_roi", "interval"}
        assert c["interval"][0] <= c["predicted_roi"] <= c["interval"][1]
        assert c["roi"] == pytest.approx((c["revenue"] - c["spend"]) / c["spend"], abs=1e-3)
    assert out["drivers"] and {"feature", "effect"} <= set(out["drivers"][0])


def test_cli_roi_on_too_little_data_says_so(example_file, capsys):
    assert main(["roi", "--data", str(example_file), "--format", "json"]) == 1
    assert "campaign-months" in capsys.readouterr().err


def test_analyse_not_enough_data():
    campaigns, _ = make_campaigns(seed=1, n_items=2, days=60)
    with pytest.raises(NotEnoughDataError):
        R.analyse(campaigns)


# ------------------------------------------------------------------ the sample workspace (core.sample_data)


@pytest.fixture(scope="module")
def sample():
    sample_data = pytest.importorskip("core.sample_data")
    from core.warehouse import Warehouse

    wh = Warehouse.from_files([sample_data.SAMPLE_FILE])
    campaigns = wh.campaigns()
    wh.close()
    return campaigns, R.campaign_months(campaigns)


def test_cv_beats_the_baseline_on_the_sample_workspace(sample):
    s = R.cross_validate(sample[1]).scores.set_index("model")
    base = s.loc["platform mean"]
    for kind in R.KINDS:
        assert s.loc[kind, "r2"] > base["r2"] + 0.2, kind
        assert s.loc[kind, "mape"] < 0.5 * base["mape"], kind


def test_what_if_agrees_with_the_recommendation_engine_on_the_sample(sample):
    """Where both speak (each line item at its current daily spend), the two agree on revenue."""
    campaigns, months = sample
    gbm = R.ROIModel(kind="gbm").fit(months)
    agree = R.curve_agreement(gbm, campaigns)
    ratios, ours, theirs = agree["ratio"].to_numpy(), agree["roi_revenue"].sum(), agree["curve_revenue"].sum()
    assert len(ratios) >= 20
    assert np.median(np.abs(ratios - 1)) < 0.15            # typical line item within 15%
    assert np.mean(np.abs(ratios - 1) < 0.35) >= 0.8       # four in five within 35%
    assert ours / theirs == pytest.approx(1.0, abs=0.15)   # in total within 15%


def test_what_if_novelty_names_what_was_never_run(data):
    from core.roi import campaign_months, what_if_novelty

    months = campaign_months(data[0] if isinstance(data, tuple) else data)
    row = months.iloc[0].to_dict()
    ok = what_if_novelty(months, {**row, "daily_budget": row["daily_spend"]})
    assert ok["seen"] and ok["combination_seen"] and ok["budget_range"][0] <= row["daily_spend"]
    new = what_if_novelty(months, {**row, "ad_type": "hologram", "daily_budget": row["daily_spend"]})
    assert not new["seen"] and not new["combination_seen"] and "never ran" in new["warnings"][0]
    big = what_if_novelty(months, {**row, "daily_budget": ok["budget_range"][1] * 10})
    assert big["combination_seen"] and not big["seen"] and "outside" in big["warnings"][0]


def test_unknown_audience_from_an_export_is_modelled_not_refused():
    """A Google line item from an export carries no audience (NULL ages, gender, location): ROI still fits."""
    campaigns, _ = make_campaigns(seed=1)
    frame = campaigns.copy()
    google = frame["platform"] == "google"
    assert google.any()
    frame.loc[google, ["age_min", "age_max"]] = np.nan
    frame.loc[google, ["gender", "location"]] = None
    frame = frame.drop(columns=["audience"], errors="ignore")
    months = R.campaign_months(frame)
    assert not months[["age_min", "age_max"]].isna().any().any()
    assert (months.loc[months["platform"] == "google", "audience"] == "unknown audience").all()
    result = R.analyse(frame)
    assert result is not None
