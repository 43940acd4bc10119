"""Optional: a local Hugging Face ``transformers`` pipeline in place of the shipped head.
"""

from __future__ import annotations

import os
import re
from typing import Any, Sequence

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.sentiment.encoder import BATCH_SIZE
from core.sentiment.model import load_model, scores_frame
from core.sentiment.text import LABELS, normalise

class PipelineModel:
    """``transformers.pipeline('sentiment-analysis', model=NAME)`` for users with a local model cache.

    Not the default: it needs the named model on disk (no hub is reachable offline).
    Labels map by name (``neg``/``neu``/``pos`` prefixes; ``LABEL_0..2`` in order; a
    two-label model gives no neutral).
    """

    def __init__(self, name: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import pipeline

        try:
            self.pipe = pipeline("sentiment-analysis", model=name, top_k=None, device=-1)
        except Exception as exc:  # noqa: BLE001 - any load failure means the cache lacks it
            reason = (str(exc).strip().splitlines() or ["unknown error"])[0]
            raise ConfigError(f"The Hugging Face model {name!r} could not be loaded offline; unset "
                              f"WORKBENCH_HF_SENTIMENT_MODEL to use the shipped head ({reason})",
                              "Model not available") from exc
        self.model_id = f"hf:{name}"
        self.name = f"transformers pipeline ({name})"
        self.passport = {"id": self.model_id, "metrics": {}}

    @staticmethod
    def _label(raw: str, n_labels: int) -> str:
        r = raw.lower()
        for lab in LABELS:
            if r.startswith(lab[:3]):
                return lab
        m = re.match(r"label_(\d+)", r)
        if m:
            i = int(m.group(1))
            return LABELS[i] if n_labels == 3 else ("negative", "positive")[min(i, 1)]
        return "neutral"

    def predict_proba(self, texts: Sequence[str], **_: Any) -> np.ndarray:
        out = np.zeros((len(texts), len(LABELS)))
        results = self.pipe([normalise(t) for t in texts], batch_size=BATCH_SIZE, truncation=True)
        for i, res in enumerate(results):
            for item in res:
                out[i, LABELS.index(self._label(item["label"], len(res)))] += float(item["score"])
        return out / np.clip(out.sum(axis=1, keepdims=True), 1e-12, None)

    def score_texts(self, texts: Sequence[str], **kw: Any) -> pd.DataFrame:
        return scores_frame(self.predict_proba(list(texts)))


def model_for(settings: Any) -> Any:
    """The model a command uses: the HF pipeline when ``settings.hf_model`` names one, else the head."""
    name = getattr(settings, "hf_model", None)
    if name:
        return PipelineModel(name)
    return load_model(getattr(settings, "models_dir", None))
