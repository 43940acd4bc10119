"""Every model family trains on a small sample workspace, logs to MLflow and is watched for drift."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from core import lifecycle, sample_data
from core.config import Settings
from core.errors import NotEnoughDataError
from core.warehouse import Warehouse

FAMILIES = ("recommendations", "monitoring", "scheduling", "sentiment", "segments", "roi", "bandits")
# sentiment needs a saved head (built in its own test below, from the encoder)
CHEAP = ("recommendations", "monitoring", "scheduling", "segments", "roi")


def _load(wh: Warehouse, ws: sample_data.SampleWorkspace) -> Warehouse:
    for table, records in ws.records().items():
        if records:
            wh.ingest_records(table, records)
    return wh


@pytest.fixture(scope="module")
def small() -> sample_data.SampleWorkspace:
    return sample_data.generate(seed=11, days=240, n_line_items=8, n_posts=240, n_comments=120, n_customers=300)


@pytest.fixture(scope="module")
def sample_wh(small):
    w = _load(Warehouse.in_memory(), small)
    yield w
    w.close()


@pytest.fixture
def lc_settings(tmp_path) -> Settings:
    return Settings.from_mapping({"WORKBENCH_ROOT": str(tmp_path), "WORKBENCH_MODELS": str(tmp_path / "models"),
                                  "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"})


def test_every_model_family_of_the_workbench_is_registered():
    assert set(lifecycle.families()) == set(FAMILIES)
    for fam in lifecycle.families().values():
        assert fam.description and fam.schedule_days >= 1


@pytest.mark.parametrize("name", CHEAP)
def test_family_trains_on_a_small_sample_with_finite_figures(name, sample_wh, lc_settings):
    fam = lifecycle.families()[name]
    result = fam.train(sample_wh, lc_settings)
    assert result.primary in result.metrics
    assert math.isfinite(result.metrics[result.primary])
    assert all(v is None or isinstance(v, float) or isinstance(v, int) for v in result.metrics.values())
    start, end = result.window
    assert start is not None and end is not None and start <= end
    text = json.dumps(result.artifact)                    # plain JSON, no pickles
    assert 50 < len(text) < 60_000
    json.dumps(result.params, default=str)


def test_family_figures_are_in_range(sample_wh, lc_settings):
    fams = lifecycle.families()
    seg = fams["segments"].train(sample_wh, lc_settings)
    assert -1 <= seg.metrics["silhouette"] <= 1 and seg.metrics["k"] >= 2
    assert len(seg.artifact["segments"]) == seg.metrics["k"]
    mon = fams["monitoring"].train(sample_wh, lc_settings)
    assert 0 <= mon.metrics["precision"] <= 1 and 0 <= mon.metrics["recall"] <= 1
    assert mon.metrics["injected_incidents"] >= 1
    rec = fams["recommendations"].train(sample_wh, lc_settings)
    assert 0 <= rec.metrics["wape"] < 1 and 0 <= rec.metrics["coverage_80"] <= 1
    assert {"r", "b"} <= set(rec.artifact["curves"][0])


# The sample workspace holds no bandit experiments: their features are tested with one below.
@pytest.mark.parametrize("name", [f for f in FAMILIES if f != "bandits"])
def test_family_features_are_dated_and_not_empty(name, sample_wh):
    frame, date_col = lifecycle.families()[name].features(sample_wh)
    assert len(frame) > 10 and date_col in frame
    assert pd.api.types.is_datetime64_any_dtype(frame[date_col])
    assert len(frame.columns) >= 3
    report = lifecycle.family_drift(sample_wh, lifecycle.families()[name])
    assert set(report["feature"]) == set(frame.columns) - {date_col}


def test_drift_is_found_when_recent_spend_moves_and_named_in_the_reason(small, lc_settings):
    """Triple the last four weeks' spend: the recommendations inputs drift, the retrain reason says so."""
    wh = _load(Warehouse.in_memory(), small)
    fam = lifecycle.families()["recommendations"]
    before = lifecycle.drift_status(wh, fam)["table"].set_index("feature")
    assert not before.loc[["ctr", "platform"], "drifted"].any()
    camps = small.campaigns.copy()
    recent = pd.to_datetime(camps["date"]) > pd.to_datetime(camps["date"]).max() - pd.Timedelta(days=28)
    camps.loc[recent, "spend"] = camps.loc[recent, "spend"] * 3
    champ = pd.Series({"data_version": wh.data_version, "trained_at": pd.Timestamp.now(tz="UTC")})
    wh.ingest_records("campaigns", sample_data._records(camps))
    status = lifecycle.drift_status(wh, fam)
    assert status["status"] == "drift" and "spend" in status["drifted"]
    after = status["table"].set_index("feature")
    assert after.loc["spend", "psi"] > before.loc["spend", "psi"] + 1
    assert not after.loc[["ctr", "platform"], "drifted"].any()       # clicks and impressions untouched
    reason = lifecycle.retrain_reason(wh, fam, champ, force=False)
    assert reason.startswith("data changed") and "drift in" in reason and "spend" in reason
    wh.close()


def test_sentiment_family_needs_labelled_comments(wh, lc_settings):
    with pytest.raises(NotEnoughDataError):
        lifecycle.families()["sentiment"].train(wh, lc_settings)


@pytest.mark.slow
def test_sentiment_family_refits_a_saved_head_on_the_workspace_labels(sample_wh, lc_settings, small):
    from core import sentiment as sen

    comments = small.comments
    base = sen.train_head(comments["text"].tolist()[:60], comments["label"].tolist()[:60])
    sen.save_model(base, lc_settings.models_dir)
    result = lifecycle.families()["sentiment"].train(sample_wh, lc_settings)
    assert 0 <= result.metrics["macro_recall"] <= 1 and result.metrics["holdout"] == 36
    assert np.asarray(result.artifact["coef"]).shape == (3, result.artifact["features"])


@pytest.mark.slow
def test_full_retrain_tracks_every_family_and_a_second_run_retrains_nothing(small, lc_settings):
    wh = _load(Warehouse.in_memory(), small)
    seen = []
    first = lifecycle.retrain(wh, lc_settings, None, progress=lambda f, msg: seen.append((f, msg)))
    by = {r["family"]: r for r in first}
    assert set(by) == set(FAMILIES)
    trained = [r for r in first if r["retrained"]]
    assert {r["family"] for r in trained} >= set(CHEAP)
    for r in trained:
        assert r["promoted"] and r["version"] == "v1" and r["run_id"]
        primary = lifecycle.champions(wh).loc[r["family"], "primary_metric"]
        assert math.isfinite(r["metrics"][primary])
        meta = json.loads((lc_settings.models_dir / "lifecycle" / r["family"] / "v1" / "meta.json").read_text())
        assert meta["extra"]["mlflow_run_id"] == r["run_id"] and meta["model_type"] == f"lifecycle-{r['family']}"
    assert seen[-1] == (1.0, "Done") and all(0 <= f <= 1 for f, _ in seen)

    history = lifecycle.Tracker(lc_settings.mlflow_tracking_uri).history()
    assert set(history["tags.family"]) == {r["family"] for r in trained}
    assert history["params.data_version"].astype(int).eq(wh.data_version).all()

    again = lifecycle.retrain(wh, lc_settings, None)
    assert not any(r["retrained"] for r in again if r["family"] in by and by[r["family"]]["retrained"])
    assert all(r["reason"] == "up to date" for r in again if by[r["family"]]["retrained"])
    view = lifecycle.overview(wh)
    assert set(view.loc[view["version"].notna(), "family"]) == {r["family"] for r in trained}
    wh.close()


def test_cli_retrain_prints_the_contract_shape(tmp_path, monkeypatch, capsys, small):
    from core import cli

    path = tmp_path / "ws.json"
    path.write_bytes(small.to_json_bytes())
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("WORKBENCH_MODELS", str(tmp_path / "models"))
    assert cli.main(["retrain", "segments", "--data", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["results"] and len(out["results"]) == 1
    row = out["results"][0]
    assert {"family", "retrained", "reason", "promoted", "metrics", "run_id", "version"} <= set(row)
    assert row["family"] == "segments" and row["retrained"] is True and row["version"] == "v1"
    assert isinstance(row["metrics"]["silhouette"], float)
    assert cli.main(["retrain", "nope", "--data", str(path), "--format", "json"]) == 2


def test_bandits_family_tracks_each_experiments_posterior(wh, tmp_path):
    import pandas as pd

    from core import bandits
    from core.lifecycle.builtin import bandits as lifecycle_families
    from core.config import Settings
    from core.errors import NotEnoughDataError

    settings = Settings.from_mapping({"WORKBENCH_ROOT": str(tmp_path)})
    with pytest.raises(NotEnoughDataError):
        lifecycle_families.bandits_train(wh, settings)
    exp = bandits.create_experiment(wh, "Spring headline", [{"name": "A", "platform": "google", "text": "a"},
                                                            {"name": "B", "platform": "google", "text": "b"}])
    exp_id = exp if isinstance(exp, str) else exp["experiment_id"]
    log = pd.DataFrame({"arm": ["A", "B", "A", "B"], "date": pd.to_datetime(["2026-01-01"] * 2 + ["2026-01-02"] * 2),
                        "impressions": [1000, 1000, 1200, 1100], "clicks": [20, 45, 25, 50],
                        "conversions": [0, 0, 0, 0], "leads": [0, 0, 0, 0], "spend": [10.0, 10.0, 12.0, 11.0]})
    bandits.save_results(wh, exp_id, log)
    result = lifecycle_families.bandits_train(wh, settings)
    assert result.metrics["trials"] == 4300 and result.metrics["experiments"] == 1
    (state,) = result.artifact["experiments"]
    assert state["leader"] == "B" and state["prob_best"][1] > 0.95
    frame, date_col = lifecycle_families.bandits_features(wh)
    assert date_col == "date" and len(frame) == 4
