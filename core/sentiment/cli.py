"""``python -m core sentiment`` and ``python -m core train sentiment``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import BadInputError, ConfigError
from core.sentiment.model import STEM, SentimentModel
from core.sentiment.pipeline import model_for
from core.sentiment.store import SCORES_TABLE, score_comments, training_rows
from core.sentiment.training import _cache_dir, build_shipped_head

def run_sentiment(args: Any, ctx: Any) -> dict[str, Any]:
    """``python -m core sentiment``: scores for the comments table (``--data``/``--db``) or one ``--text``."""
    model = model_for(ctx.settings)
    text = getattr(args, "text", None)
    if text is not None:
        if getattr(args, "data", None):
            raise BadInputError("Give either --text or --data, not both.")
        if not str(text).strip():
            raise BadInputError("--text is empty.")
        s = model.score_texts([text]).iloc[0]
        return {"scores": [{"comment_id": "text", "label": s["label"], "score": float(s["score"]),
                            "confidence": float(s["confidence"])}], "model": model.name}
    wh = ctx.warehouse()
    comments = wh.comments()
    if comments.empty:
        return {"scores": [], "model": model.name, "note": "no comments in the data"}
    if isinstance(model, SentimentModel):
        score_comments(wh, model)
        stored = wh.load_state(SCORES_TABLE)
        stored = stored[stored["model_id"] == model.model_id].set_index("comment_id")
        frame = stored.loc[comments["comment_id"]].reset_index()
    else:
        frame = pd.concat([comments[["comment_id"]].reset_index(drop=True),
                           model.score_texts(comments["text"].tolist())], axis=1)
    scores = [{"comment_id": str(r.comment_id), "label": str(r.label), "score": float(r.score),
               "confidence": float(r.confidence)} for r in frame.itertuples(index=False)]
    return {"scores": scores, "model": model.name}


def run_train(args: Any, ctx: Any) -> dict[str, Any]:
    """``python -m core train sentiment``: rebuild the head from the shippable data sets.

    Labelled rows of the workspace (analyst corrections, labelled comments) are
    added when ``--data`` or ``--db`` is given. The new head is saved under the
    models directory (``WORKBENCH_MODELS``, default ``models/``) and promoted.
    """
    settings = ctx.settings
    datasets = Path(settings.datasets_dir)
    if not (datasets / "tweeteval-sentiment").exists():
        raise ConfigError(f"The TweetEval data set is not at {datasets / 'tweeteval-sentiment'}; the head is "
                          "trained from the data sets folder: set WORKBENCH_DATASETS (default shared/datasets beside "
                          "the checkout).", "Training data missing")
    extra = None
    if getattr(args, "data", None) or getattr(args, "db", None):
        extra = training_rows(ctx.warehouse())
    model = build_shipped_head(datasets, settings.models_dir, extra=extra, cache_dir=_cache_dir(settings))
    p = model.passport
    return {"model": model.name, "id": p["id"], "metrics": p["metrics"], "data": p["data"],
            "saved_to": str(Path(settings.models_dir) / STEM / p["id"])}
