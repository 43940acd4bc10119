"""Customer segments: features, automatic k, held-out accuracy, names, incremental updates, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from core import cli
from core.errors import BadInputError, NotEnoughDataError
from core.segments import (SegmentModel, audience, customer_features, customers_from_cdnow,
                           customers_from_personality, name_segments, read_cdnow, refresh_segments,
                           size_history, synthetic_customers)


@pytest.fixture(autouse=True)
def _one_thread():
    """The CI box is small and shared: OpenMP spin-waiting costs more CPU than it saves here."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _rfm_groups(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Three well-separated groups in RFM space, built here (not by the library's generator)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    rec = np.array([5.0, 150.0, 400.0])[truth] * np.exp(rng.normal(0, 0.1, n))
    orders = np.round(np.array([25.0, 6.0, 1.0])[truth] * np.exp(rng.normal(0, 0.1, n))).clip(1)
    spent = orders * np.array([200.0, 50.0, 10.0])[truth] * np.exp(rng.normal(0, 0.1, n))
    end = pd.Timestamp("2025-01-31")
    frame = pd.DataFrame({
        "customer_id": [f"h{seed}-{i}" for i in range(n)],
        "last_purchase": (end - pd.to_timedelta(rec.round(), unit="D")).strftime("%Y-%m-%d"),
        "first_seen": (end - pd.to_timedelta(rec.round() + 400, unit="D")).strftime("%Y-%m-%d"),
        "orders": orders.astype(int), "total_spent": spent.round(2),
        "age": rng.integers(18, 80, n), "channel": rng.choice(["google", "email", "tiktok"], n),
    })
    return frame, truth


# ------------------------------------------------------------------ features


def test_features_recency_is_relative_to_latest_date_and_never_bought_is_lapsed():
    c = pd.DataFrame({"customer_id": ["a", "b", "c"], "orders": [3, 1, 0], "total_spent": [30.0, 5.0, 0.0],
                      "first_seen": ["2024-01-01", "2024-06-01", "2024-03-01"],
                      "last_purchase": ["2024-12-31", "2024-12-01", None], "channel": ["Email", " google ", None]})
    f = customer_features(c)
    assert f.loc["a", "recency_days"] == 0
    assert f.loc["b", "recency_days"] == 30
    assert f.loc["c", "recency_days"] == f.loc["c", "tenure_days"] == 305  # never bought: lapsed since joining
    assert f.loc["b", "channel"] == "google" and pd.isna(f.loc["c", "channel"])
    assert f["sessions_90d"].isna().all()  # optional fields absent -> NaN, dropped by the model


def test_missing_required_field_is_bad_input():
    with pytest.raises(BadInputError):
        customer_features(pd.DataFrame({"customer_id": ["a"], "orders": [1]}))


# ------------------------------------------------------------------ held-out accuracy


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_auto_k_is_right_and_held_out_ari_at_least_0_8(method):
    train, _ = _rfm_groups(1500, seed=1)
    held, truth = _rfm_groups(800, seed=2)
    model = SegmentModel(k="auto", method=method, random_state=0).fit(train)
    assert model.k_ == 3
    assert adjusted_rand_score(truth, model.predict(held)) >= 0.8
    assert model.curve_["k"].tolist() == list(range(2, 9))


def test_four_groups_found_by_kmeans_and_hdbscan_on_held_out_data():
    train, _ = synthetic_customers(2000, groups=4, random_state=5)
    held, truth = synthetic_customers(1000, groups=4, random_state=6)
    km = SegmentModel(method="kmeans", random_state=0).fit(train)
    assert km.k_ == 4 and adjusted_rand_score(truth, km.predict(held)) >= 0.8
    hd = SegmentModel(method="dbscan", random_state=0).fit(train)
    assert hd.k_ == 4 and adjusted_rand_score(truth, hd.predict(held)) >= 0.8
    assert km.silhouette_ > 0.3


def test_k_by_hand_and_bad_k():
    train, _ = _rfm_groups(300, seed=3)
    assert SegmentModel(k=5, random_state=0).fit(train).k_ == 5
    with pytest.raises(BadInputError):
        SegmentModel(k=0).fit(train)
    with pytest.raises(BadInputError):
        SegmentModel(method="spectral").fit(train)
    with pytest.raises(NotEnoughDataError):
        SegmentModel().fit(train.head(5))
    with pytest.raises(NotFittedError):
        SegmentModel().predict(train)


# ------------------------------------------------------------------ profiles and names


def test_names_follow_the_profile_and_are_unique():
    train, truth = _rfm_groups(900, seed=4)
    model = SegmentModel(k=3, random_state=0).fit(train)
    table = model.segments()
    assert table["name"].is_unique
    assert table["size"].sum() == 900
    best = table.loc[table["median_monetary"].idxmax()]
    worst = table.loc[table["median_recency_days"].idxmax()]
    assert "high-value" in best["name"] or "big spenders" in best["name"]
    assert "lapsed" in worst["name"] and "one-off" in worst["name"]  # recency 400 days, one order


def test_name_clash_gets_a_distinguishing_trait():
    prof = pd.DataFrame([
        {"segment": 0, "size": 10, "median_frequency": 9, "z_monetary": 1.0, "z_frequency": 0.7,
         "z_recency_days": -1.0, "z_age": 0.0},
        {"segment": 1, "size": 8, "median_frequency": 12, "z_monetary": 1.6, "z_frequency": 0.9,
         "z_recency_days": -0.8, "z_age": 0.0},
    ])
    names = name_segments(prof)
    assert names[0] != names[1]
    assert names[0].startswith("high-value loyal") and names[1].startswith("high-value loyal")
    assert "lower spend" in names[0] and "higher spend" in names[1]


def test_projection_and_audience_export():
    train, _ = _rfm_groups(400, seed=5)
    model = SegmentModel(k=3, random_state=0).fit(train)
    proj = model.projection(train, model.labels_, max_points=100)
    assert len(proj) == 100 and set(proj.columns) >= {"pc1", "pc2", "segment", "name"}
    from core.segments import assignments_frame

    assign = assignments_frame(train, model.labels_, model.names_)
    aud = audience(train, assign, 1)
    assert len(aud) == int((model.labels_ == 1).sum())
    assert {"customer_id", "segment_name", "orders", "total_spent"} <= set(aud.columns)


# ------------------------------------------------------------------ incremental


def test_incremental_assigns_new_customers_and_moves_centres_without_refit(wh, tmp_path):
    first, _ = _rfm_groups(600, seed=6)
    wh.ingest_records("customers", first.to_dict(orient="records"))
    run1 = refresh_segments(wh, tmp_path / "m", k="auto", method="kmeans")
    assert run1.kind == "full" and len(run1.assignments) == 600
    centres = run1.model.model_.cluster_centers_.copy()
    labels_before = run1.assignments.set_index("customer_id")["segment"]

    more, _ = _rfm_groups(200, seed=7)
    more["customer_id"] = [f"new-{i}" for i in range(200)]
    wh.ingest_records("customers", more.to_dict(orient="records"))
    run2 = refresh_segments(wh, tmp_path / "m", k="auto", method="kmeans")
    assert run2.kind == "incremental" and run2.new_customers == 200
    assert len(run2.assignments) == 800
    after = run2.assignments.set_index("customer_id")["segment"]
    assert (after.loc[labels_before.index] == labels_before).all()  # old customers keep their segment
    assert not np.allclose(run2.model.model_.cluster_centers_, centres)  # the model learned
    assert run2.model.n_updates_ == 1 and run2.model.k_ == run1.model.k_

    assert refresh_segments(wh, tmp_path / "m", k="auto", method="kmeans").kind == "unchanged"
    run4 = refresh_segments(wh, tmp_path / "m", k="auto", method="kmeans", full=True)
    assert run4.kind == "full"
    hist = size_history(wh)
    assert hist["run_id"].nunique() == 3
    totals = hist.groupby("run_id")["total"].first().sort_values().tolist()
    assert totals == [600, 800, 800]


# ------------------------------------------------------------------ CLI


def test_cli_segment_prints_the_contract(tmp_path, capsys):
    train, _ = _rfm_groups(240, seed=8)
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"customers": train.to_dict(orient="records")}))
    assert cli.main(["segment", "--data", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"k", "method", "assignments", "segments", "quality"}
    assert out["k"] == 3 and out["method"] == "gmm"
    assert len(out["assignments"]) == 240 and set(out["assignments"][0]) == {"customer_id", "segment"}
    seg = out["segments"][0]
    assert set(seg) >= {"segment", "size", "profile", "name"} and isinstance(seg["profile"], dict)
    assert sum(s["size"] for s in out["segments"]) == 240
    assert isinstance(out["quality"]["silhouette"], float)
    assert 0.8 <= out["quality"]["stability"] <= 1 and out["quality"]["stability_label"] == "stable"

    assert cli.main(["segment", "--data", str(path), "--k", "4", "--method", "kmeans", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["k"] == 4 and out["method"] == "kmeans"
    assert cli.main(["segment", "--data", str(path), "--k", "many"]) == 2
    assert "--k" in capsys.readouterr().err


# ------------------------------------------------------------------ real data


def test_customer_personality_segments_are_sensible(shared_datasets):
    raw = pd.read_csv(shared_datasets / "customer-personality-marketing-campaign" / "marketing_campaign.csv",
                      sep=";")
    customers = customers_from_personality(raw)
    assert len(customers) == 2240 and customers["orders"].ge(0).all()
    model = SegmentModel(k=4, random_state=0).fit(customers)
    t = model.segments()
    assert t["name"].is_unique
    # The names agree with the numbers: every high-value segment outspends every low-spending one
    # many times over (recency there is uniform over 0-99 days, so no segment is lapsed).
    spenders = t["name"].str.contains("big spenders|high-value")
    low = t["name"].str.contains("low spenders")
    assert spenders.any() and low.any()
    assert t.loc[spenders, "median_monetary"].min() > 5 * t.loc[low, "median_monetary"].max()
    assert not t["name"].str.contains("lapsed").any()


def test_cdnow_segments_are_sensible(shared_datasets):
    customers = customers_from_cdnow(read_cdnow(shared_datasets / "cdnow-transactions" / "CDNOW_master.txt"))
    assert len(customers) == 23570
    model = SegmentModel(k=4, random_state=0).fit(customers)
    t = model.segments()
    assert t["name"].is_unique
    one_off = t[t["name"].str.contains("one-off")]
    assert len(one_off) >= 1 and (one_off["median_frequency"] == 1).all()
    top = t.loc[t["median_monetary"].idxmax()]
    assert "high-value" in top["name"] and top["median_recency_days"] < t["median_recency_days"].median()


def test_chart_builders_return_figures():
    from core.charts import segments as charts

    train, _ = _rfm_groups(300, seed=9)
    model = SegmentModel(k="auto", random_state=0).fit(train)
    fig = charts.selection_curve(model.curve_, model.k_)
    assert len(fig.data) == 2 and fig.layout.xaxis.title.text == "mixture components"
    assert fig.data[1].x[0] == len(model.component_map_)  # the star: the component count the segments came from
    assert len(charts.selection_curve(pd.DataFrame({"k": [2, 3], "score": [0.2, 0.3], "metric": "silhouette"}),
                                      3).data) == 2  # k-means' silhouette: k is the segment count itself
    assert len(charts.projection(model.projection(train)).data) == model.k_
    heat = charts.profile_heatmap(model.segments())
    assert list(heat.data[0].y) == model.segments()["name"].tolist()
    assert len(charts.size_history(pd.DataFrame()).data) == 0


def test_names_match_the_sample_workspace_latent_groups():
    """The sample generator (another module, its own latent groups) gets names that fit its groups."""
    sample_data = pytest.importorskip("core.sample_data")
    ws = sample_data.generate(seed=3, days=60, n_line_items=4, n_posts=50, n_comments=50, n_customers=2000)
    customers = ws.customers
    truth = ws.customer_groups.loc[customers["customer_id"]].to_numpy()
    model = SegmentModel(k="auto", random_state=0).fit(customers)
    named = pd.Series(model.labels_).map(model.names_)
    majority = pd.crosstab(truth, named).idxmax(axis=1)
    assert majority["loyal_high_value"] == "high-value loyal"
    assert majority["lapsed_big_spender"] == "lapsed big spenders"
    assert majority["new_engaged"].startswith("new and engaged")
    assert majority["one_off_bargain"].startswith("one-off")
    assert adjusted_rand_score(truth, model.labels_) >= 0.6


# ------------------------------------------------------------------ generalisation, stability, storage


def test_held_out_generator_right_k_and_ari():
    """A base made in a way the method was never tuned on (Pareto spend, groups differing in age and
    channel too, no e-mail fields, 3% of fields blank): right number of groups, ARI >= 0.8."""
    from tests.core._segments_synth import heavy_tail_base

    customers, truth = heavy_tail_base(1500, groups=4, seed=201)
    model = SegmentModel(random_state=0).fit(customers)
    assert model.k_ == 4
    assert adjusted_rand_score(truth, model.labels_) >= 0.8
    assert model.stability_ >= 0.8


def test_stability_tells_stable_from_fragile():
    from core.segments import stability_label

    train, _ = _rfm_groups(600, seed=11)
    assert stability_label(SegmentModel(random_state=0).fit(train).stability_) == "stable"
    rng = np.random.default_rng(0)  # one shapeless cloud cut into 5 by hand: refits cut it elsewhere
    blob = pd.DataFrame({"customer_id": [f"b{i}" for i in range(600)], "orders": rng.poisson(3, 600) + 1,
                         "total_spent": rng.gamma(2, 50, 600), "age": rng.normal(45, 12, 600).round()})
    assert stability_label(SegmentModel(k=5, random_state=0).fit(blob).stability_) == "fragile"
    assert stability_label(float("nan")) == "unknown"


def test_merge_components_by_hand():
    from core.segments.selection import merge_components

    p = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    assert merge_components(p).tolist() == [0, 0, 1]  # the first two are a coin toss: one segment
    crisp = np.eye(3)[[0, 1, 2, 0]]
    assert merge_components(crisp).tolist() == [0, 1, 2]


def test_feature_transform_imputes_and_jitters_only_whole_numbers():
    from core.segments import FeatureTransform

    f = pd.DataFrame({"frequency": [1, 1, 1, 2, 5.0], "age": [30, np.nan, 50, 41.5, 60]},
                     index=pd.Index(list("abcde"), name="customer_id"))
    t = FeatureTransform().fit(f)
    X = t.transform(f)
    assert np.isfinite(X).all() and X.shape == (5, 2)
    assert len(set(np.round(X[:3, 0], 9))) == 3  # three one-order customers no longer share one point
    assert t.integer_.tolist() == [True, False]
    assert np.allclose(t.transform(f.iloc[[4, 0]]), X[[4, 0]])  # the same customer, the same place


def test_predict_reproduces_training_labels_and_saved_model_round_trips(tmp_path, monkeypatch):
    from core import registry
    from core.segments import load_model, save_model, selection

    train, _ = _rfm_groups(500, seed=12)
    for method in ("gmm", "kmeans", "dbscan"):
        model = SegmentModel(method=method, random_state=0).fit(train)
        assert (model.predict(train) == model.labels_).mean() > 0.99, method
        root = tmp_path / method
        save_model(model, root, data_version=3)
        loaded, passport = load_model(root, model.params())
        assert passport["data"]["data_version"] == 3 and passport["metrics"]["k"] == model.k_
        assert (loaded.predict(train) == model.predict(train)).all(), method
        assert loaded.names_ == model.names_ and loaded.k_ == model.k_
        pd.testing.assert_frame_equal(loaded.curve_, model.curve_, check_dtype=False, check_like=True)  # segments per count too
        assert load_model(root, {**model.params(), "k": 7}) is None  # other settings: refit
        if method == "gmm":  # the default Gaussian saves infinite tails, and loads as the Gaussian it was
            assert np.isinf(loaded.model_.dof_).all()
            assert np.allclose(loaded.model_.predict_proba(model.transform(train, impute=False)),
                               model.model_.predict_proba(model.transform(train, impute=False)))
            with monkeypatch.context() as m:  # the t components keep their tails
                m.setattr(selection, "MIXTURE", "t")
                tmodel = SegmentModel(method=method, random_state=0).fit(train)
            save_model(tmodel, tmp_path / "t", data_version=3)
            tloaded, _ = load_model(tmp_path / "t", tmodel.params())
            assert np.isfinite(tmodel.model_.dof_).all()
            np.testing.assert_array_equal(tloaded.model_.dof_, tmodel.model_.dof_)
            assert (tloaded.predict(train) == tmodel.predict(train)).all()
            arrays, meta = tmodel.to_state()
            del arrays["gmm_dof"]
            old = SegmentModel.from_state(tmodel.params(), arrays, meta)
            assert np.isinf(old.model_.dof_).all() and (old.predict(train) >= 0).all()
    arrays = next((tmp_path / "gmm" / "segments").glob("*/arrays.npz"))
    arrays.write_bytes(arrays.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(registry.ModelMismatchError):
        load_model(tmp_path / "gmm", SegmentModel(method="gmm", random_state=0).params())
    assert not list(tmp_path.rglob("*.joblib")) and not list(tmp_path.rglob("*.pkl"))


def test_marginal_proba_judges_a_customer_on_the_fields_they_have():
    from scipy import stats as st

    from core.segments.selection import gaussian_mixture, marginal_proba

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([0, 0], 0.5, (200, 2)), rng.normal([3, -2], 0.8, (200, 2))])
    gm = gaussian_mixture(2, covariance="full").fit(X)
    assert np.allclose(marginal_proba(gm, X), gm.predict_proba(X))
    blank = np.array([[2.5, np.nan], [np.nan, np.nan], [0.1, 0.2]])
    p = marginal_proba(gm, blank)
    # first row: by hand, the 1-D marginals of the first field
    dens = gm.weights_ * st.norm.pdf(2.5, gm.means_[:, 0], np.sqrt(gm.covariances_[:, 0, 0]))
    assert np.allclose(p[0], dens / dens.sum())
    assert np.allclose(p[1], gm.weights_)  # nothing known: the prior
    assert np.allclose(p[2], gm.predict_proba(blank[2:]))


def test_channel_mix_generator_groups_are_found():
    """The sixth generator (t-copula, groups by channel mix), written after the tuning: ARI >= 0.8."""
    from tests.core._segments_synth import channel_mix_base

    customers, truth = channel_mix_base(1500, groups=4, seed=201)
    assert customers["email_opens_90d"].isna().mean() < 0.06  # about 3% blank
    model = SegmentModel(random_state=0, stability_repeats=0).fit(customers)
    assert adjusted_rand_score(truth, model.labels_) >= 0.8


def test_blank_fields_do_not_move_clearly_placed_customers():
    from tests.core._segments_synth import lognormal_base

    customers, _ = lognormal_base(1500, groups=4, seed=202)
    model = SegmentModel(random_state=0, stability_repeats=0).fit(customers)
    full = customers.dropna().reset_index(drop=True)
    blanked = full.copy()
    blanked["sessions_90d"] = None  # one field unknown for everyone
    before, after = model.predict(full), model.predict(blanked)
    assert (before == after).mean() >= 0.9  # the other fields still place nearly all of them


def test_saving_on_every_refresh_keeps_only_the_newest_models(tmp_path):
    from core import registry
    from core.segments import load_model, save_model
    from core.segments.store import KEEP_MODELS, STEM

    train, _ = _rfm_groups(300, seed=3)
    model = SegmentModel(method="kmeans", random_state=0).fit(train)
    ids = [save_model(model, tmp_path, data_version=v)["id"] for v in range(KEEP_MODELS + 3)]
    kept = [p["id"] for p in registry.list_artifacts(tmp_path, STEM)]
    assert sorted(kept) == sorted(ids[-KEEP_MODELS:]) and len(list((tmp_path / STEM).iterdir())) == KEEP_MODELS + 1  # + CURRENT
    assert load_model(tmp_path, model.params())[1]["id"] == ids[-1]


@pytest.mark.parametrize("family", ["tied", "diag", "spherical"])
def test_as_full_rewrites_a_structured_mixture_without_changing_a_probability(family):
    from core.segments.selection import as_full, gaussian_mixture, marginal_proba

    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal([0, 0, 0], 0.6, (150, 3)), rng.normal([2.5, -1, 1], 0.6, (150, 3))])
    gm = gaussian_mixture(2, covariance=family).fit(X)
    full = as_full(gm)
    assert full.covariances_.shape == (2, 3, 3) and full.covariance_type == "full"
    assert np.allclose(full.predict_proba(X), gm.predict_proba(X))
    assert np.allclose(full.score_samples(X), gm.score_samples(X))
    blank = X[:5].copy()
    blank[:, 1] = np.nan
    assert np.allclose(marginal_proba(full, blank).sum(axis=1), 1.0)


def test_pick_components_takes_the_segment_count_of_the_bic_plateau():
    from core.segments.selection import pick_components

    # per customer, BIC gaps 0.3, 0.05, 0.0, 0.1, 0.15 and 0.5: counts 3-6 are near, and three
    # of those four merge into 4 segments, so 4 segments, from the best-BIC count giving 4 (3)
    curve = pd.DataFrame({"k": [2, 3, 4, 5, 6, 7], "score": np.array([0.3, 0.05, 0.0, 0.1, 0.15, 0.5]) * 1000,
                          "metric": "bic", "segments": [2, 4, 5, 4, 4, 6], "n": 1000})
    assert pick_components(curve, tolerance=0.2) == 3
    assert pick_components(curve, tolerance=0.0) == 4  # lowest BIC alone: the old rule
    tie = curve.assign(segments=[2, 3, 5, 3, 5, 6])  # 3 and 5 tie within 0.2: the fewer segments
    assert pick_components(tie, tolerance=0.2) == 3


def test_bic_curve_counts_the_segments_each_component_count_merges_into():
    from core.segments.selection import bic_curve

    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(c, 0.4, (200, 2)) for c in ([0, 0], [4, 0], [0, 4])])
    curve = bic_curve(X, range(2, 6))
    assert curve["k"].tolist() == [2, 3, 4, 5] and (curve["segments"] <= curve["k"]).all()
    assert curve.loc[curve["k"] == 3, "segments"].item() == 3
    assert curve.loc[curve["score"].idxmin(), "k"] >= 3


def test_default_counts_the_groups_of_a_never_tuned_generator():
    """factor_base was written after the model was chosen (issue 15): its 5 groups, counted right
    (the rule before, full covariances and the lowest BIC, counted 3 of 9 such bases right)."""
    from tests.core._segments_synth import factor_base

    customers, truth = factor_base(1500, groups=5, seed=301)
    model = SegmentModel(random_state=0, stability_repeats=0).fit(customers)
    assert model.k_ == 5 and adjusted_rand_score(truth, model.labels_) >= 0.5


def test_noise_features_leaves_out_a_flat_field_tied_to_nothing_and_keeps_group_fields():
    from core.segments.features import noise_features

    rng = np.random.default_rng(3)
    g = rng.integers(0, 3, 2000)
    a = g * 2.0 + rng.normal(0, 0.7, 2000)  # marks the groups ...
    b = -g * 1.5 + rng.normal(0, 0.7, 2000)  # ... together with a: tied
    uniform = rng.uniform(-1.7, 1.7, 2000)  # flat, tied to nothing: noise
    gauss = rng.normal(0, 1, 2000)  # tied to nothing but not flat: harmless, kept
    flat_group = np.where(g == 0, -1.0, 1.0) + rng.normal(0, 0.3, 2000)  # flat-ish, but tied to a and b
    X = np.column_stack([a, b, uniform, gauss, flat_group])
    assert noise_features(X, ["a", "b", "uniform", "gauss", "flat_group"]) == ["uniform"]
    assert noise_features(X[:, [0, 2]], ["a", "uniform"]) == []  # two columns: nothing to judge by
    two_noise = np.column_stack([a, rng.uniform(size=2000), rng.uniform(size=2000)])
    # a alone shows the groups (tied to nothing here) but has dips between its peaks: kept; of the
    # two noise columns only one goes, never fewer than two columns left
    assert noise_features(two_noise, ["a", "u1", "u2"]) == ["u1"]


def test_a_uniform_age_is_left_out_of_the_model_but_kept_in_the_profiles():
    from tests.core._segments_synth import latent_base

    customers, _ = latent_base(1500, groups=4, seed=5)  # age uniform 18-80, whatever the group
    model = SegmentModel(random_state=0, stability_repeats=0).fit(customers)
    assert model.noise_columns_ == ["age"] and "age" not in model.columns_
    assert "median_age" in model.segments().columns or "age" in model.profiles_.columns
    assert (model.predict(customers.head(50)) == model.labels_[:50]).mean() > 0.9
    arrays, meta = model.to_state()
    assert SegmentModel.from_state(model.params(), arrays, meta).noise_columns_ == ["age"]


def test_a_transform_narrowed_to_some_columns_equals_a_refit_on_them():
    from core.segments.features import FeatureTransform, usable_features
    from tests.core._segments_synth import latent_base

    customers, _ = latent_base(800, groups=4, seed=3)
    feats = customer_features(customers)
    cols = usable_features(feats)
    keep = [c for c in cols if c != "age"][::2]
    narrowed = FeatureTransform().fit(feats[cols]).select(keep)
    refit = FeatureTransform().fit(feats[keep])
    assert narrowed.columns_ == refit.columns_ == keep
    for impute in (True, False):
        np.testing.assert_array_equal(narrowed.transform(feats, impute=impute), refit.transform(feats, impute=impute))
