"""The workspace side: scores stored once per model and text, analyst corrections, labelled rows.

Everything goes through the warehouse's state store (``sentiment_scores``,
``sentiment_corrections``), so scores survive restarts and a new head rescores only
what it has not seen.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from core.errors import BadInputError
from core.sentiment.model import SentimentModel
from core.sentiment.text import LABELS, ProgressFn, normalise

SCORES_TABLE = "sentiment_scores"
CORRECTIONS_TABLE = "sentiment_corrections"
SCORE_CHUNK = 512


def _digest(text: Any) -> str:
    return hashlib.sha1(normalise(text).encode("utf-8", "replace")).hexdigest()[:16]


def score_comments(wh: Any, model: SentimentModel, *, progress: ProgressFn | None = None,
                   chunk: int = SCORE_CHUNK) -> dict[str, int]:
    """Score every comment the current model has not scored yet; store them in ``sentiment_scores``.

    A comment is scored once per model and text: a new head or an edited comment is
    scored again, nothing else. Scores are saved chunk by chunk, so an interrupted
    run keeps what it finished. ``progress(done, total)`` follows the new comments.

    Returns
    -------
    dict
        ``{"comments": all comments, "scored": newly scored, "cached": reused}``.
    """
    comments = wh.comments()
    if comments.empty:
        return {"comments": 0, "scored": 0, "cached": 0}
    digests = comments["text"].map(_digest)
    stored = wh.load_state(SCORES_TABLE)
    todo = np.ones(len(comments), dtype=bool)
    if not stored.empty:
        done = stored[stored["model_id"] == model.model_id].set_index("comment_id")["text_hash"]
        known = comments["comment_id"].map(done)
        todo = (known != digests).to_numpy()
    idx = np.flatnonzero(todo)
    total = len(idx)
    if progress is not None:
        progress(0, total)
    for start in range(0, total, chunk):
        part = comments.iloc[idx[start:start + chunk]]
        scores = model.score_texts(part["text"].tolist())
        frame = pd.DataFrame({"comment_id": part["comment_id"].to_numpy(), "model_id": model.model_id,
                              "text_hash": digests.iloc[idx[start:start + chunk]].to_numpy()})
        frame = pd.concat([frame, scores.reset_index(drop=True)], axis=1)
        frame["scored_at"] = pd.Timestamp.now(tz="UTC")
        wh.save_state(SCORES_TABLE, frame, keys=["comment_id"])
        if progress is not None:
            progress(min(start + chunk, total), total)
    return {"comments": int(len(comments)), "scored": int(total), "cached": int(len(comments) - total)}


def scored_comments(wh: Any, filters: Any = None) -> pd.DataFrame:
    """Comments joined with their stored scores and any analyst correction.

    Columns: the contract's comment columns (``label`` renamed ``human_label``), the
    model's ``model_label, score, confidence, p_*, model_id``, ``correction`` and
    ``sentiment`` (the correction where there is one, else the human label, else the model's).
    """
    comments = wh.comments(filters).rename(columns={"label": "human_label"})
    if "human_label" not in comments:
        comments["human_label"] = None
    scores = wh.load_state(SCORES_TABLE)
    cols = ["comment_id", "model_id", "label", "score", "confidence", "p_negative", "p_neutral", "p_positive"]
    if scores.empty:
        scores = pd.DataFrame(columns=cols)
    out = comments.merge(scores[cols].rename(columns={"label": "model_label"}), on="comment_id", how="left")
    corr = wh.load_state(CORRECTIONS_TABLE)
    if corr.empty:
        out["correction"] = None
    else:
        out = out.merge(corr[["comment_id", "label"]].rename(columns={"label": "correction"}),
                        on="comment_id", how="left")
    out["sentiment"] = out["correction"].where(out["correction"].notna(),
                                               out["human_label"].where(out["human_label"].notna(),
                                                                        out["model_label"]))
    return out


def correct_label(wh: Any, comment_id: str, label: str, *, model_id: str | None = None,
                  note: str = "") -> pd.DataFrame:
    """Store an analyst's label for a comment in ``sentiment_corrections`` (the latest one wins)."""
    label = str(label).strip().lower()
    if label not in LABELS:
        raise BadInputError(f"Label {label!r} is not one of {', '.join(LABELS)}.")
    comments = wh.comments()
    row = comments[comments["comment_id"] == comment_id]
    if row.empty:
        raise BadInputError(f"No comment with id {comment_id!r} in the workspace.")
    frame = pd.DataFrame([{"comment_id": str(comment_id), "text": str(row["text"].iloc[0]), "label": label,
                           "model_id": model_id or "", "note": note,
                           "corrected_at": pd.Timestamp.now(tz="UTC")}])
    wh.save_state(CORRECTIONS_TABLE, frame, keys=["comment_id"])
    return frame


def training_rows(wh: Any) -> pd.DataFrame:
    """The workspace's labelled text: analyst corrections, then human labels in ``comments``.

    One row per comment (``text, label, source``); a correction overrides the file's label.
    """
    rows = []
    corr = wh.load_state(CORRECTIONS_TABLE)
    if not corr.empty:
        rows.append(corr[["comment_id", "text", "label"]].assign(source="correction"))
    comments = wh.comments()
    if "label" in comments and comments["label"].notna().any():
        lab = comments[comments["label"].isin(LABELS)]
        rows.append(lab[["comment_id", "text", "label"]].assign(source="comments"))
    if not rows:
        return pd.DataFrame(columns=["comment_id", "text", "label", "source"])
    return pd.concat(rows, ignore_index=True).drop_duplicates("comment_id", keep="first").reset_index(drop=True)


def pending_count(wh: Any, model: Any) -> int:
    """How many comments the model has not scored yet (new, edited, or scored by another model)."""
    comments = wh.comments()
    if comments.empty:
        return 0
    stored = wh.load_state(SCORES_TABLE)
    if stored.empty:
        return int(len(comments))
    done = stored[stored["model_id"] == model.model_id].set_index("comment_id")["text_hash"]
    return int((comments["comment_id"].map(done) != comments["text"].map(_digest)).sum())
