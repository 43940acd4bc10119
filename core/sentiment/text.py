"""Pure functions over comment text: normalisation, pooling, polarity, metrics, driver words, VADER.

No model and no storage here: everything takes arrays or strings and returns arrays,
frames or numbers, so it is tested without the encoder.
"""

from __future__ import annotations

import hashlib
import math
import re
from functools import lru_cache
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
VADER_FEATURES = ("neg", "neu", "pos", "compound")
ProgressFn = Callable[[int, int], None]
_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_SPACE = re.compile(r"\s+")


def normalise(text: Any) -> str:
    """One comment as the model reads it: mentions and links anonymised, spaces squeezed.

    >>> normalise("@JetBlue   see http://t.co/x  thanks!")
    '@user see http thanks!'
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    s = _URL.sub("http", str(text))
    s = _MENTION.sub("@user", s)
    return _SPACE.sub(" ", s).strip()


def mean_pool(token_embeddings: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Average of the token vectors that the attention mask keeps, L2-normalised.

    >>> tok = np.array([[[1.0, 0.0], [3.0, 4.0], [9.0, 9.0]]])
    >>> mean_pool(tok, np.array([[1, 1, 0]])).round(3).tolist()
    [[0.707, 0.707]]
    """
    mask = attention_mask[..., None].astype(token_embeddings.dtype)
    summed = (token_embeddings * mask).sum(axis=1)
    counts = np.clip(mask.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return pooled / norms


def polarity(proba: np.ndarray) -> np.ndarray:
    """Signed polarity in [-1, 1]: P(positive) - P(negative), columns in :data:`LABELS` order.

    >>> polarity(np.array([[0.7, 0.2, 0.1], [0.0, 0.0, 1.0]])).round(2).tolist()
    [-0.6, 1.0]
    """
    proba = np.asarray(proba, dtype=float)
    return np.clip(proba[:, 2] - proba[:, 0], -1.0, 1.0)


def vader_label(compound: np.ndarray, threshold: float = 0.05) -> np.ndarray:
    """VADER's own rule: compound >= 0.05 positive, <= -0.05 negative, else neutral."""
    compound = np.asarray(compound, dtype=float)
    return np.where(compound >= threshold, "positive", np.where(compound <= -threshold, "negative", "neutral"))


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str],
                           labels: Sequence[str] | None = None) -> dict[str, float]:
    """Accuracy, macro-F1 and macro-recall over ``labels`` (default: those in ``y_true``).

    Binary sets (no neutral gold label) are scored over their two classes; a
    neutral prediction on them simply counts as wrong.

    >>> classification_metrics(["positive", "negative"], ["positive", "neutral"])
    {'n': 2, 'accuracy': 0.5, 'macro_f1': 0.5, 'macro_recall': 0.5}
    """
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    y_true = np.asarray(list(y_true), dtype=object)
    y_pred = np.asarray(list(y_pred), dtype=object)
    if labels is None:
        labels = [c for c in LABELS if c in set(y_true)]
    labels = list(labels)
    return {
        "n": int(len(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), 4),
        "macro_recall": round(float(recall_score(y_true, y_pred, labels=labels, average="macro",
                                                 zero_division=0)), 4),
    }


_WORD = re.compile(r"[a-z][a-z']{2,}")
_STOP = frozenset((
    "the and for that this with you your are was were have has had but not all they them their our out "
    "about just from what when will would can could there here been its it's i'm you're don't did does "
    "get got one more some than then too very also into over any who how why which these those she her "
    "his him said say let user http amp rt").split())


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of a comment, without stop words, mentions or links.

    >>> tokens("@user LOVED the new menu, http://x.co")
    ['loved', 'new', 'menu']
    """
    return [w for w in _WORD.findall(normalise(text).lower().replace("@user", " ")) if w not in _STOP]


def document_counts(texts: Sequence[str], labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Vocabulary and its word x class matrix of document counts (a word counts once per comment).

    >>> words, counts = document_counts(["great staff", "rude staff"], ["positive", "negative"])
    >>> dict(zip(words.tolist(), counts.tolist()))["staff"]
    [1.0, 0.0, 1.0]
    """
    index = {lab: i for i, lab in enumerate(LABELS)}
    vocab: dict[str, np.ndarray] = {}
    for text, lab in zip(texts, labels):
        if lab not in index:
            continue
        for w in set(tokens(text)):
            vocab.setdefault(w, np.zeros(len(LABELS)))[index[lab]] += 1
    if not vocab:
        return np.array([], dtype=object), np.zeros((0, len(LABELS)))
    words = np.array(list(vocab))
    return words, np.vstack([vocab[w] for w in words])


def log_odds_z(counts: np.ndarray, column: int, alpha: np.ndarray) -> np.ndarray:
    """Each word's z-scored log-odds of class ``column`` against the rest, with a Dirichlet prior ``alpha``."""
    total = counts.sum(axis=1)
    yi = counts[:, column]
    yj = total - yi
    ni, nj, a0 = yi.sum(), yj.sum(), alpha.sum()
    delta = np.log((yi + alpha) / (ni + a0 - yi - alpha)) - np.log((yj + alpha) / (nj + a0 - yj - alpha))
    return delta / np.sqrt(1.0 / (yi + alpha) + 1.0 / (yj + alpha))


def driver_words(texts: Sequence[str], labels: Sequence[str], *, top: int = 12,
                 min_count: int = 3, prior: float = 0.1) -> pd.DataFrame:
    """Words that drive each class: log-odds with an informative Dirichlet prior (Monroe et al. 2008).

    For every class, each word's log-odds of appearing in that class's comments
    against all other comments, smoothed towards its overall frequency and divided by
    its standard error (a z-score), so a word seen twice does not top the list. The
    prior's total weight is ``prior`` times the word count (at least the vocabulary size),
    spread by each word's overall frequency.

    Returns
    -------
    DataFrame
        Columns ``label, word, z, count`` with the ``top`` words of each class.
    """
    cols = ["label", "word", "z", "count"]
    words, counts = document_counts(list(texts), list(labels))
    keep = counts.sum(axis=1) >= min_count
    words, counts = words[keep], counts[keep]
    if len(words) == 0:
        return pd.DataFrame(columns=cols)
    total = counts.sum(axis=1)
    alpha = total / total.sum() * max(prior * total.sum(), len(words)) + 1e-3
    rows: list[dict[str, Any]] = []
    for c, lab in enumerate(LABELS):
        if counts[:, c].sum() == 0:
            continue
        z = log_odds_z(counts, c, alpha)
        rows += [{"label": lab, "word": str(words[j]), "z": round(float(z[j]), 2), "count": int(counts[j, c])}
                 for j in np.argsort(-z)[:top] if z[j] > 0 and counts[j, c] > 0]
    return pd.DataFrame(rows, columns=cols)


def vader_scores(texts: Sequence[str]) -> np.ndarray:
    """VADER's ``neg, neu, pos, compound`` for each text, ``(n, 4)``."""
    analyzer = _vader()
    rows = [analyzer.polarity_scores(normalise(t)) for t in texts]
    if not rows:
        return np.zeros((0, len(VADER_FEATURES)))
    return np.array([[r[k] for k in VADER_FEATURES] for r in rows], dtype=float)


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def seeded_split(n: int, fraction: float, *, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded ``fraction`` of ``range(n)`` and of the rest (both sorted).

    >>> a, b = seeded_split(10, 0.6, random_state=1)
    >>> len(a), len(b), sorted(set(a) | set(b)) == list(range(10))
    (6, 4, True)
    """
    rng = np.random.default_rng(random_state)
    perm = rng.permutation(n)
    k = int(round(n * fraction))
    return np.sort(perm[:k]), np.sort(perm[k:])


def text_hash(texts: Iterable[str], labels: Iterable[str] | None = None) -> str:
    """sha256 of texts (and labels) in order: the training data's fingerprint in a passport."""
    h = hashlib.sha256()
    for i, t in enumerate(texts):
        h.update(str(t).encode("utf-8", "replace"))
        h.update(b"\x00")
    if labels is not None:
        for lab in labels:
            h.update(str(lab).encode())
            h.update(b"\x01")
    return h.hexdigest()
