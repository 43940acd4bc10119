"""Lifecycle: drift maths, champion/challenger, MLflow tracking, the retrain loop."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core import lifecycle
from core.config import Settings
from core.lifecycle import Family, TrainResult


def test_psi_is_small_for_resampled_data_and_large_for_shifted_data():
    rng = np.random.default_rng(1)
    train = rng.gamma(2.0, 50.0, 4000)
    resampled = rng.choice(train, 2000, replace=True)
    shifted = train[:2000] * 1.8 + 40
    assert lifecycle.psi(train, resampled) < 0.05
    assert lifecycle.psi(train, shifted) > 0.5


def test_drift_report_flags_shifted_features_only():
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"spend": rng.gamma(2, 50, 3000), "ctr": rng.beta(3, 100, 3000),
                        "platform": rng.choice(["google", "facebook"], 3000, p=[0.6, 0.4])})
    same = ref.sample(1500, replace=True, random_state=3)
    moved = same.assign(spend=same["spend"] * 2.5,
                        platform=rng.choice(["google", "facebook", "tiktok"], 1500, p=[0.2, 0.3, 0.5]))
    assert not lifecycle.drift_report(ref, same)["drifted"].any()
    flagged = lifecycle.drift_report(ref, moved).set_index("feature")["drifted"]
    assert flagged.to_dict() == {"spend": True, "ctr": False, "platform": True}


def test_seasonal_reference_is_a_year_earlier_when_history_allows():
    dates = pd.Series(pd.date_range("2024-01-01", "2025-12-31", freq="D"))
    recent, ref = lifecycle.seasonal_windows(dates, 28)
    assert dates[recent].min() == pd.Timestamp("2025-12-04")
    assert dates[ref].min() == pd.Timestamp("2024-12-05") and ref.sum() == 28
    short = pd.Series(pd.date_range("2025-10-01", "2025-12-31", freq="D"))
    recent, ref = lifecycle.seasonal_windows(short, 28)
    assert short[ref].max() == pd.Timestamp("2025-12-03") and ref.sum() == 28


@pytest.mark.parametrize("champ,new,higher,promoted", [
    (None, 0.5, True, True),
    (0.7, 0.6, True, False),
    (0.7, 0.7, True, True),
    (0.2, 0.3, False, False),
    (0.3, 0.2, False, True),
    (0.3, float("nan"), False, False),
])
def test_worse_challenger_is_not_promoted(champ, new, higher, promoted):
    ok, reason = lifecycle.should_promote(None if champ is None else {"m": champ}, {"m": new}, "m", higher)
    assert ok is promoted and reason


def _toy_family(score: list[float]) -> Family:
    def features(wh):
        df = wh.campaigns()
        return df[["date", "spend", "platform"]], "date"

    def train(wh, settings):
        value = score.pop(0)
        df = wh.campaigns()
        return TrainResult(metrics={"wape": value}, primary="wape", higher_is_better=False,
                           params={"rows": len(df)}, window=(str(df["date"].min().date()), str(df["date"].max().date())),
                           artifact={"mean_spend": float(df["spend"].mean())})

    return Family(name="toy", description="a test family", train=train, features=features, schedule_days=7)


@pytest.fixture
def toy():
    return {"toy": _toy_family([0.30, 0.40, 0.25])}


def test_retrain_loop_tracks_in_mlflow_and_keeps_the_champion(tmp_path, wh, example_file, toy):
    settings = Settings.from_mapping({"WORKBENCH_ROOT": str(tmp_path), "MLFLOW_TRACKING_URI":
                                      f"sqlite:///{tmp_path / 'mlflow.db'}"})
    wh.ingest(example_file)
    first = lifecycle.retrain(wh, settings, ["toy"], families=toy)
    assert first[0]["retrained"] and first[0]["promoted"] and first[0]["reason"] == "no model yet"
    assert first[0]["version"] == "v1"
    passport = json.loads((settings.models_dir / "lifecycle" / "toy" / "v1" / "meta.json").read_text())
    assert passport["extra"]["mlflow_run_id"] == first[0]["run_id"]
    artifact, checked = lifecycle.load_artifact(settings, "toy")
    assert artifact["mean_spend"] > 0 and checked["id"] == "v1" and checked["metrics"]["wape"] == 0.30

    again = lifecycle.retrain(wh, settings, ["toy"], families=toy)
    assert again[0]["retrained"] is False and again[0]["reason"] == "up to date"

    worse = lifecycle.retrain(wh, settings, ["toy"], force=True, families=toy)
    assert worse[0]["retrained"] and not worse[0]["promoted"] and worse[0]["version"] == "v1"
    assert lifecycle.champions(wh).loc["toy", "run_id"] == first[0]["run_id"]

    wh.ingest(example_file)  # new data version
    better = lifecycle.retrain(wh, settings, ["toy"], families=toy)
    assert better[0]["reason"].startswith("data changed") and better[0]["promoted"]
    assert better[0]["version"] == "v2"

    history = lifecycle.Tracker(settings.mlflow_tracking_uri).history("toy")
    assert len(history) == 3
    assert set(history["tags.promoted"]) == {"True", "False"}
    assert sorted(history["metrics.wape"]) == [0.25, 0.30, 0.40]


def test_unknown_family_is_bad_input(wh, toy, tmp_path):
    from core.errors import BadInputError

    with pytest.raises(BadInputError):
        lifecycle.retrain(wh, Settings.from_mapping({"WORKBENCH_ROOT": str(tmp_path)}), ["nope"], families=toy)


def test_challenger_is_judged_against_the_champion_on_the_same_holdout(tmp_path, wh, example_file):
    promoted = []

    def train(wh, settings):
        # stored champion figures are not comparable: the family measured both heads on today's hold-out
        return TrainResult(metrics={"accuracy": 0.657}, primary="accuracy", higher_is_better=True,
                           baseline={"accuracy": 0.687}, on_promote=lambda: promoted.append(1))

    fam = {"held": Family(name="held", description="d", train=train, features=lambda w: (None, None))}
    settings = Settings.from_mapping({"WORKBENCH_ROOT": str(tmp_path), "MLFLOW_TRACKING_URI":
                                      f"sqlite:///{tmp_path / 'mlflow.db'}"})
    wh.ingest(example_file)
    out = lifecycle.retrain(wh, settings, ["held"], families=fam)[0]
    assert out["retrained"] and not out["promoted"] and "same hold-out" in out["decision"]
    assert "0.657" in out["decision"] and "0.687" in out["decision"] and promoted == []


def test_mlflow_artifacts_go_beside_the_tracking_store(tmp_path, wh, example_file, toy, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "track" / "mlflow.db"
    store.parent.mkdir()
    settings = Settings.from_mapping({"WORKBENCH_ROOT": str(tmp_path), "MLFLOW_TRACKING_URI": f"sqlite:///{store}"})
    wh.ingest(example_file)
    lifecycle.retrain(wh, settings, ["toy"], families=toy)
    saved = list((store.parent / "mlartifacts").rglob("toy.json"))
    assert len(saved) == 1 and not (tmp_path / "mlruns").exists()  # MLflow's default: ./mlruns of the cwd
