"""Saved model artifacts with a passport: ``models/<stem>/<id>/`` holding files and ``meta.json``.

A passport records what a model is (type, format version, the configuration that
fixes its shape and meaning, and that configuration's hash), what it learned from
(a hash of the training data and how it was split), how good it is (metrics), when it
was made and its id, plus a sha256 of every file saved with it. Loading checks all of
it: a passport whose model type, format version or configuration hash differ from
what the code expects, or whose files changed since they were saved, is refused with
:class:`ModelMismatchError` rather than silently giving wrong answers.

``models/<stem>/CURRENT`` names the artifact in use; :func:`save` moves it unless
``promote=False``. Arrays are stored as ``.npz`` (no pickle), everything else as JSON:
small JSON documents (``documents=``) sit beside the arrays, hashed in the passport like
them, and :func:`load_document` checks the hash before it returns one. This is the one
way the workbench saves a model.

Examples
--------
>>> import tempfile, numpy as np
>>> root = Path(tempfile.mkdtemp())
>>> p = save(root, "demo", {"w": np.ones(3)}, model_type="demo", version=1, config={"k": 3})
>>> arrays, passport = load(root, "demo", model_type="demo", version=1, config={"k": 3})
>>> arrays["w"].tolist(), passport["config"]["k"]
([1.0, 1.0, 1.0], 3)
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from core.config import account_of_models_dir
from core.errors import ConfigError
from core.files import write_whole
from core.hashing import file_sha256  # noqa: F401  (re-exported: artifacts record their files' digests)

META = "meta.json"
ARRAYS = "arrays.npz"
CURRENT = "CURRENT"
_STEM = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


class ModelMismatchError(ConfigError):
    """A saved model that does not match what the code expects (or was altered)."""

    title = "Saved model does not match"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=True)


def config_hash(config: Mapping[str, Any]) -> str:
    """sha256 (first 16 hex digits) of a configuration's canonical JSON.

    >>> config_hash({"b": 1, "a": [1, 2]}) == config_hash({"a": [1, 2], "b": 1})
    True
    """
    return hashlib.sha256(canonical_json(dict(config)).encode()).hexdigest()[:16]


def new_id(stem: str, when: datetime | None = None) -> str:
    """A sortable artifact id: ``<stem>-YYYYmmddTHHMMSSZ-<6 hex>``."""
    when = when or datetime.now(timezone.utc)
    return f"{stem}-{when.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"


def _stem_dir(root: Path, stem: str) -> Path:
    if not _STEM.match(stem):
        raise ValueError(f"not a model stem: {stem!r}")
    return Path(root) / stem


def save(root: str | Path, stem: str, arrays: Mapping[str, np.ndarray], *, model_type: str, version: int,
         config: Mapping[str, Any], params: Mapping[str, Any] | None = None,
         data: Mapping[str, Any] | None = None, metrics: Mapping[str, Any] | None = None,
         extra: Mapping[str, Any] | None = None, promote: bool = True,
         artifact_id: str | None = None, documents: Mapping[str, Any] | None = None,
         replace: bool = False) -> dict[str, Any]:
    """Write arrays and a passport to ``root/stem/<id>/``; returns the passport.

    Parameters
    ----------
    root : path
        The models directory (``Settings.models_dir``).
    stem : str
        The capability (``"sentiment"``).
    arrays : mapping of str to ndarray
        Learned state, saved as one ``.npz`` without pickle.
    model_type, version, config
        What the loader checks: the config's hash goes into the passport.
    params, data, metrics, extra
        Hyper-parameters, the training data's fingerprint and split, the model card's
        figures, anything else worth keeping; JSON-serialisable.
    promote : bool
        Point ``CURRENT`` at the new artifact.
    documents : mapping of str to JSON-serialisable, optional
        Small readable documents saved as ``<name>.json`` beside the arrays (a lifecycle
        family's fitted state, for instance), hashed in the passport.
    replace : bool
        Overwrite an artifact of the same id (a workspace that was reset numbers its
        versions from ``v1`` again); otherwise an existing id is an error.
    """
    created = datetime.now(timezone.utc)
    artifact_id = artifact_id or new_id(stem, created)
    if not _ID.match(artifact_id):
        raise ValueError(f"not an artifact id: {artifact_id!r}")
    folder = _stem_dir(Path(root), stem) / artifact_id
    if replace and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=False)
    np.savez(folder / ARRAYS, **{k: np.asarray(v) for k, v in arrays.items()})
    files = {ARRAYS: file_sha256(folder / ARRAYS)}
    for name, doc in (documents or {}).items():
        if not _STEM.match(name):
            raise ValueError(f"not a document name: {name!r}")
        path = folder / f"{name}.json"
        path.write_text(json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
        files[path.name] = file_sha256(path)
    passport = {
        "id": artifact_id,
        "stem": stem,
        # The client whose data made it: a client's models live in its own folder (Settings.for_account).
        "account": account_of_models_dir(Path(root)),
        "model_type": model_type,
        "version": int(version),
        "config": dict(config),
        "config_hash": config_hash(config),
        "params": dict(params or {}),
        "data": dict(data or {}),
        "metrics": dict(metrics or {}),
        "created_at": created.isoformat(timespec="seconds"),
        "files": files,
        "promoted_on_save": bool(promote),
        **({"extra": dict(extra)} if extra else {}),
    }
    write_whole(folder / META, json.dumps(passport, indent=1, sort_keys=True, default=str) + "\n")
    if promote:
        set_current(root, stem, artifact_id)
    return passport


def set_current(root: str | Path, stem: str, artifact_id: str) -> None:
    """Make ``artifact_id`` the one :func:`load` picks by default."""
    folder = _stem_dir(Path(root), stem)
    if not (folder / artifact_id / META).exists():
        raise ModelMismatchError(f"No saved {stem} model {artifact_id!r} under {folder}.")
    write_whole(folder / CURRENT, artifact_id + "\n")


def current_id(root: str | Path, stem: str) -> str | None:
    """The promoted artifact's id, else the newest one saved as promoted, else None.

    A challenger saved with ``promote=False`` (it lost champion/challenger) never becomes
    current by being the newest.
    """
    folder = _stem_dir(Path(root), stem)
    pointer = folder / CURRENT
    if pointer.exists():
        name = pointer.read_text(encoding="utf-8").strip()
        if name and (folder / name / META).exists():
            return name
    saved = [p for p in list_artifacts(root, stem) if p.get("promoted_on_save", True)]
    return saved[-1]["id"] if saved else None


def list_artifacts(root: str | Path, stem: str) -> list[dict[str, Any]]:
    """Every readable passport of ``stem``, oldest first."""
    folder = _stem_dir(Path(root), stem)
    if not folder.is_dir():
        return []
    out = []
    for meta in folder.glob(f"*/{META}"):
        try:
            out.append(json.loads(meta.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return sorted(out, key=lambda p: (str(p.get("created_at", "")), str(p.get("id", ""))))


def prune(root: str | Path, stem: str, *, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` artifacts of ``stem`` (never the current one); returns the ids deleted.

    For capabilities that save on every refresh (incremental segments): without it each
    refresh leaves a folder behind for good.
    """
    folder = _stem_dir(Path(root), stem)
    current = current_id(root, stem)
    # passports date to the second: saves within one second are told apart by when their passport was written
    ids = sorted((str(p["id"]) for p in list_artifacts(root, stem) if _ID.match(str(p.get("id", "")))),
                 key=lambda i: (folder / i / META).stat().st_mtime_ns)
    gone = [i for i in (ids[:-keep] if keep > 0 else []) if i != current]
    for artifact_id in gone:
        shutil.rmtree(folder / artifact_id, ignore_errors=True)
    return gone


def read_passport(root: str | Path, stem: str, artifact_id: str | None = None) -> dict[str, Any]:
    """The passport of an artifact (default: the current one), unchecked."""
    artifact_id = artifact_id or current_id(root, stem)
    if artifact_id is None:
        raise ModelMismatchError(f"No saved {stem} model under {Path(root) / stem}.", "No saved model")
    path = _stem_dir(Path(root), stem) / artifact_id / META
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelMismatchError(f"No saved {stem} model {artifact_id!r} under {path.parent.parent}.",
                                 "No saved model") from exc
    except ValueError as exc:
        raise ModelMismatchError(f"The passport {path} is not valid JSON ({exc}).") from exc


def check_passport(passport: Mapping[str, Any], *, model_type: str, version: int,
                   config: Mapping[str, Any] | None = None) -> None:
    """Raise :class:`ModelMismatchError` unless the passport is what the code expects."""
    where = passport.get("id", "?")
    if passport.get("model_type") != model_type:
        raise ModelMismatchError(
            f"Model {where} is a {passport.get('model_type')!r}, expected {model_type!r}.")
    if passport.get("version") != version:
        raise ModelMismatchError(
            f"Model {where} has format version {passport.get('version')}, this code reads version {version}: "
            "retrain it (python -m core train ...).")
    stored = passport.get("config") or {}
    if passport.get("config_hash") != config_hash(stored):
        raise ModelMismatchError(f"Model {where}: its passport's configuration does not match its hash "
                                 "(the passport was edited).")
    if config is not None and config_hash(config) != passport.get("config_hash"):
        diff = sorted(k for k in set(stored) | set(config) if stored.get(k) != config.get(k))
        raise ModelMismatchError(
            f"Model {where} was built for another configuration (differs in: {', '.join(diff) or '?'}): "
            "retrain it (python -m core train ...).")


def _check_files(root: str | Path, stem: str, passport: Mapping[str, Any]) -> Path:
    account = account_of_models_dir(Path(root))
    if passport.get("account", account) != account:
        raise ModelMismatchError(f"Model {passport['id']} was trained on client {passport['account']!r}'s data, "
                                 f"not {account!r}'s: retrain it for this client.")
    folder = _stem_dir(Path(root), stem) / passport["id"]
    for name, digest in (passport.get("files") or {}).items():
        path = folder / name
        if not path.exists() or file_sha256(path) != digest:
            raise ModelMismatchError(f"Model {passport['id']}: the file {name} is missing or changed since it "
                                     "was saved.")
    return folder


def load(root: str | Path, stem: str, *, model_type: str, version: int, config: Mapping[str, Any] | None = None,
         artifact_id: str | None = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and passport of a saved artifact, after checking the passport and file hashes."""
    passport = read_passport(root, stem, artifact_id)
    check_passport(passport, model_type=model_type, version=version, config=config)
    folder = _check_files(root, stem, passport)
    with np.load(folder / ARRAYS, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return arrays, passport


def load_document(root: str | Path, stem: str, name: str, *, model_type: str, version: int,
                  config: Mapping[str, Any] | None = None, artifact_id: str | None = None) -> tuple[Any, dict]:
    """One JSON document saved with an artifact and the passport, after the same checks as :func:`load`."""
    passport = read_passport(root, stem, artifact_id)
    check_passport(passport, model_type=model_type, version=version, config=config)
    folder = _check_files(root, stem, passport)
    if f"{name}.json" not in (passport.get("files") or {}):
        raise ModelMismatchError(f"Model {passport['id']} has no document {name!r}.")
    return json.loads((folder / f"{name}.json").read_text(encoding="utf-8")), passport
