"""Model registry: passports, promotion, and refusal to load what does not match."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core import registry
from core.errors import ConfigError


def _save(root, **kw):
    args = dict(model_type="toy", version=2, config={"features": ["a", "b"], "dim": 2},
                params={"C": 1.0}, data={"hash": "abc", "split": {"train": 10}}, metrics={"acc": 0.9})
    args.update(kw)
    return registry.save(root, "toy", {"coef": np.arange(4.0).reshape(2, 2), "classes": np.array(["x", "y"])},
                         **args)


def test_round_trip_keeps_arrays_and_passport(tmp_path):
    p = _save(tmp_path)
    arrays, passport = registry.load(tmp_path, "toy", model_type="toy", version=2,
                                     config={"dim": 2, "features": ["a", "b"]})
    assert arrays["coef"].tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert arrays["classes"].tolist() == ["x", "y"]
    assert passport == p
    for key in ("id", "model_type", "version", "params", "data", "metrics", "created_at", "config_hash"):
        assert key in passport
    meta = json.loads((tmp_path / "toy" / p["id"] / "meta.json").read_text())
    assert meta["config_hash"] == registry.config_hash({"features": ["a", "b"], "dim": 2})


def test_current_points_at_the_promoted_artifact(tmp_path):
    first = _save(tmp_path)
    second = _save(tmp_path, promote=False)
    assert registry.current_id(tmp_path, "toy") == first["id"]
    _, passport = registry.load(tmp_path, "toy", model_type="toy", version=2)
    assert passport["id"] == first["id"]
    registry.set_current(tmp_path, "toy", second["id"])
    assert registry.current_id(tmp_path, "toy") == second["id"]
    assert [p["id"] for p in registry.list_artifacts(tmp_path, "toy")] == sorted([first["id"], second["id"]])


@pytest.mark.parametrize("change", [
    {"model_type": "other"},
    {"version": 3},
    {"config": {"features": ["a"], "dim": 2}},
])
def test_refuses_a_mismatched_passport(tmp_path, change):
    _save(tmp_path)
    expected = dict(model_type="toy", version=2, config={"features": ["a", "b"], "dim": 2})
    expected.update(change)
    with pytest.raises(registry.ModelMismatchError):
        registry.load(tmp_path, "toy", **expected)


def test_refuses_an_edited_passport_or_changed_file(tmp_path):
    p = _save(tmp_path)
    meta_path = tmp_path / "toy" / p["id"] / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["config"]["dim"] = 3  # hash no longer matches
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(registry.ModelMismatchError, match="edited"):
        registry.load(tmp_path, "toy", model_type="toy", version=2)

    q = _save(tmp_path)
    np.savez(tmp_path / "toy" / q["id"] / registry.ARRAYS, coef=np.zeros(2))
    with pytest.raises(registry.ModelMismatchError, match="changed"):
        registry.load(tmp_path, "toy", model_type="toy", version=2, artifact_id=q["id"])


def test_missing_model_is_a_config_error(tmp_path):
    assert registry.current_id(tmp_path, "toy") is None
    with pytest.raises(ConfigError):
        registry.load(tmp_path, "toy", model_type="toy", version=2)
    with pytest.raises(ValueError):
        registry.save(tmp_path, "../evil", {}, model_type="t", version=1, config={})


def test_documents_are_saved_hashed_and_checked(tmp_path):
    from core import registry as reg

    reg.save(tmp_path, "lifecycle_demo", {}, model_type="demo", version=1, config={"k": 1},
             documents={"model": {"curves": [1, 2]}}, artifact_id="v1")
    doc, passport = reg.load_document(tmp_path, "lifecycle_demo", "model", model_type="demo", version=1)
    assert doc == {"curves": [1, 2]} and "model.json" in passport["files"]
    with pytest.raises(FileExistsError):
        reg.save(tmp_path, "lifecycle_demo", {}, model_type="demo", version=1, config={"k": 1}, artifact_id="v1")
    reg.save(tmp_path, "lifecycle_demo", {}, model_type="demo", version=1, config={"k": 1},
             documents={"model": {"curves": [3]}}, artifact_id="v1", replace=True)
    assert reg.load_document(tmp_path, "lifecycle_demo", "model", model_type="demo", version=1)[0] == {"curves": [3]}
    (tmp_path / "lifecycle_demo" / "v1" / "model.json").write_text('{"curves": [9]}')
    with pytest.raises(reg.ModelMismatchError) as err:
        reg.load_document(tmp_path, "lifecycle_demo", "model", model_type="demo", version=1)
    assert err.value.title == "Saved model does not match" and "changed" in err.value.message


def test_prune_keeps_the_newest_and_the_current(tmp_path):
    saved = [_save(tmp_path, artifact_id=f"toy-2026120{i}T000000-aaaaaa")["id"] for i in range(1, 6)]
    registry.set_current(tmp_path, "toy", saved[0])  # an old one promoted back
    gone = registry.prune(tmp_path, "toy", keep=2)
    assert gone == saved[1:3]
    assert [p["id"] for p in registry.list_artifacts(tmp_path, "toy")] == [saved[0], *saved[3:]]
    assert registry.current_id(tmp_path, "toy") == saved[0]
    assert registry.prune(tmp_path, "toy", keep=2) == []  # only the current one is beyond the two newest
