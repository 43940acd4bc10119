"""The ``sentiment`` family: the head refitted on the workspace's labels, judged on a seeded hold-out of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.config import Settings
from core.errors import NotEnoughDataError
from core.lifecycle.builtin.common import _window
from core.lifecycle.catalog import Family, TrainResult, register
from core.warehouse import Warehouse


def sentiment_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Per comment: length, words, exclamation marks and VADER's compound score."""
    from core import sentiment as sen

    c = wh.comments()
    if not len(c):
        return pd.DataFrame(), None
    text = c["text"].fillna("").astype(str)
    return pd.DataFrame({"date": pd.to_datetime(c["created_at"], utc=True).dt.tz_localize(None),
                         "chars": text.str.len().astype(float),
                         "words": text.str.split().str.len().astype(float),
                         "exclamations": text.str.count("!").astype(float),
                         "vader_compound": sen.vader_scores(text.tolist())[:, 3]}), "date"


SENTIMENT_HOLDOUT = 0.3
SENTIMENT_SEED = 0


def sentiment_train(wh: Warehouse, settings: Settings) -> TrainResult:
    """The current head moved towards the workspace's labels; macro-recall on a seeded hold-out of them."""
    from core import sentiment as sen

    rows = sen.training_rows(wh)
    if len(rows) < 20 or rows["label"].nunique() < 2:
        raise NotEnoughDataError("The sentiment head needs at least 20 labelled or corrected comments "
                                 f"with two labels or more; there are {len(rows)}.")
    base = sen.load_model(settings.models_dir)  # ConfigError (a WorkbenchError) when no head is saved yet
    train_idx, hold_idx = sen.seeded_split(len(rows), 1 - SENTIMENT_HOLDOUT, random_state=SENTIMENT_SEED)
    texts = rows["text"].astype(str).tolist()
    cache = settings.root / ".cache" / "sentiment"   # the encoder's embeddings of fixed texts, kept between runs
    X = base.features(texts, embeddings=sen.cached_embeddings(texts, cache_dir=cache))
    y = rows["label"].to_numpy(object)
    head = base.head.refit_with(X[train_idx], y[train_idx].tolist(), strength=sen.PRIOR_STRENGTH,
                                sample_weight=np.full(len(train_idx), sen.WORKSPACE_WEIGHT))
    before = sen.classification_metrics(y[hold_idx], base.head.predict(X[hold_idx]), labels=sen.LABELS)
    after = sen.classification_metrics(y[hold_idx], head.predict(X[hold_idx]), labels=sen.LABELS)
    metrics = {"macro_recall": after["macro_recall"], "macro_f1": after["macro_f1"], "accuracy": after["accuracy"],
               "base_macro_recall": before["macro_recall"], "holdout": float(after["n"]),
               "train_rows": float(len(train_idx))}
    check = sen.checkset(settings.models_dir if (settings.models_dir / sen.STEM / "checkset.json").exists()
                         else None)
    # The family wins on the workspace's own labels; the page switches to its head only when the shipped
    # check set (real tweets no head trained on) does not get worse: labels of one workspace (the sample's
    # are generated) must not trade away how the head reads other people's texts.
    check_ok = True
    if len(check):
        check_texts = check["text"].astype(str).tolist()
        Xc = base.features(check_texts, embeddings=sen.cached_embeddings(check_texts, cache_dir=cache))
        check_before = sen.classification_metrics(check["label"], base.head.predict(Xc))
        check_after = sen.classification_metrics(check["label"], head.predict(Xc))
        metrics["checkset_macro_recall"] = check_after["macro_recall"]
        check_ok = check_after["accuracy"] >= check_before["accuracy"]
    return TrainResult(
        metrics=metrics, primary="macro_recall", higher_is_better=True,
        baseline={"macro_recall": before["macro_recall"], "accuracy": before["accuracy"]},
        params={"base": base.model_id, "prior_strength": sen.PRIOR_STRENGTH, "workspace_weight": sen.WORKSPACE_WEIGHT,
                "holdout_share": SENTIMENT_HOLDOUT, "split_seed": SENTIMENT_SEED,
                "by_source": rows["source"].value_counts().to_dict()},
        window=_window(wh.comments()["created_at"].pipe(pd.to_datetime, utc=True).dt.tz_localize(None)),
        artifact={"labels": list(sen.LABELS), "features": int(head.coef_.shape[1]),
                  "coef": np.round(head.coef_, 5).tolist(), "intercept": np.round(head.intercept_, 5).tolist(),
                  "base": base.model_id},
        on_promote=lambda: sen.save_model(
            sen.SentimentModel(head=head, use_vader=base.use_vader, passport={
                "params": {**(base.passport.get("params") or {}), "prior_strength": sen.PRIOR_STRENGTH},
                "data": {"base": base.model_id, "rows": int(len(train_idx)), "lifecycle_family": "sentiment"},
                "metrics": {"workspace_holdout": {"before": before, "after": after},
                            "base_model_card": {k: v for k, v in (base.passport.get("metrics") or {}).items()}}}),
            settings.models_dir, promote=check_ok))


FAMILY = register(Family('sentiment', "Sentiment head refitted on analyst corrections", sentiment_train, sentiment_features, schedule_days=30))
