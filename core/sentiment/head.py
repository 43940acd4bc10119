"""The trained part: a multinomial logistic head over the encoder's vectors plus VADER's scores.

:class:`SentimentHead` is a scikit-learn estimator; :func:`fit_prior_centred` refits it
towards new labelled rows with the original data's curvature as a prior (a Laplace
approximation), so a retrain needs neither the original data nor many new labels.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from core.errors import BadInputError, NotEnoughDataError
from core.sentiment.encoder import FEATURE_DIM, SentenceEncoder, get_encoder
from core.sentiment.text import LABELS, ProgressFn, vader_scores

#: VADER's scores enter the head multiplied by this, so the L2 penalty holds them back less
#: than the 384 embedding dimensions (weights 1 and 3 scored within 0.002 of each other).
VADER_WEIGHT = 3.0


def featurize(texts: Sequence[str], *, embeddings: np.ndarray | None = None, use_vader: bool = True,
              encoder: SentenceEncoder | None = None, progress: ProgressFn | None = None) -> np.ndarray:
    """The head's input: the sentence embedding, then (optionally) VADER's four scores.

    Pass ``embeddings`` when they were computed already (they must follow ``texts``).
    """
    texts = list(texts)
    if embeddings is None:
        embeddings = (encoder or get_encoder()).encode(texts, progress=progress)
    embeddings = np.asarray(embeddings, dtype=np.float64)
    if embeddings.shape != (len(texts), FEATURE_DIM):
        raise BadInputError(f"Embeddings of shape {embeddings.shape} do not match {len(texts)} texts.")
    if not use_vader:
        return embeddings
    return np.hstack([embeddings, VADER_WEIGHT * vader_scores(texts)])


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def curvature(X: np.ndarray, proba: np.ndarray, *, sample_weight: np.ndarray | None = None,
              ridge: float = 0.0) -> np.ndarray:
    """The data's curvature around a fitted head: ``sum_i w_i s_i [x_i, 1][x_i, 1]^T + ridge * I``.

    ``s_i`` is the mean of ``p_ik (1 - p_ik)`` over classes, a Kronecker-factored
    stand-in for the logistic loss's Hessian. It is what lets a later refit treat the
    original training data as a prior without keeping that data (a Laplace approximation).
    """
    X = np.asarray(X, dtype=float)
    s = (proba * (1.0 - proba)).mean(axis=1)
    if sample_weight is not None:
        s = s * np.asarray(sample_weight, dtype=float)
    Xa = np.hstack([X, np.ones((len(X), 1))])
    A = (Xa * s[:, None]).T @ Xa
    A[np.diag_indices_from(A)] += ridge
    return A


def fit_prior_centred(X: np.ndarray, y: np.ndarray, coef0: np.ndarray, intercept0: np.ndarray, *,
                      precision: np.ndarray, sample_weight: np.ndarray | None = None,
                      max_iter: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression pulled towards an earlier solution instead of towards zero.

    Minimises ``sum_i w_i * cross_entropy_i + 1/2 * sum_k (theta_k - theta0_k) A (theta_k - theta0_k)^T``
    where ``theta_k = [W_k, b_k]`` and ``A`` is ``precision`` (``(d+1, d+1)``, e.g. the
    original data's :func:`curvature`): new labelled rows move the head only where
    its original data left it free, as if they had been added to that data.

    Parameters
    ----------
    X : (n, d) array
    y : (n,) int array of class indices into :data:`LABELS`
    coef0, intercept0 : the starting (prior) head, ``(k, d)`` and ``(k,)``
    precision : (d+1, d+1) array
        The prior's precision; a scalar multiple of the identity gives plain L2 towards ``coef0``.
    """
    from scipy.optimize import minimize

    X = np.asarray(X, dtype=float)
    k, d = coef0.shape
    A = np.asarray(precision, dtype=float)
    if A.shape != (d + 1, d + 1):
        raise BadInputError(f"Prior precision of shape {A.shape} does not fit {d} features.")
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    onehot = np.zeros((len(X), k))
    onehot[np.arange(len(X)), y] = 1.0
    Xa = np.hstack([X, np.ones((len(X), 1))])
    theta0 = np.hstack([coef0, intercept0[:, None]])  # (k, d+1)

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        theta = flat.reshape(k, d + 1)
        logits = Xa @ theta.T
        logz = logits.max(axis=1, keepdims=True)
        lse = logz[:, 0] + np.log(np.exp(logits - logz).sum(axis=1))
        nll = float(np.sum(w * (lse - (logits * onehot).sum(axis=1))))
        diff = theta - theta0
        dA = diff @ A
        value = nll + 0.5 * float((dA * diff).sum())
        g = (softmax(logits) - onehot) * w[:, None]
        grad = g.T @ Xa + dA
        return value, grad.ravel()

    res = minimize(loss, theta0.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    theta = res.x.reshape(k, d + 1)
    return theta[:, :d], theta[:, d]


class SentimentHead(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression over :func:`featurize` output, three classes.

    Parameters
    ----------
    C : float
        Inverse L2 strength of the logistic regression.
    class_weight : {"balanced", None}
        Balanced weights give every class an equal say (macro-recall is the target).
    max_iter : int
    random_state : int
        Seed of the solver (lbfgs is deterministic; kept for the estimator contract).

    Attributes
    ----------
    coef_ : (3, d) array
    intercept_ : (3,) array
    precision_ : (d+1, d+1) array
        The training data's curvature (:func:`curvature`), the prior of later refits.
    classes_ : array of the three labels, in :data:`LABELS` order

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(90, 5)); y = np.array(LABELS)[X[:, 0].argsort().argsort() * 3 // 90]
    >>> head = SentimentHead(C=10).fit(X, y)
    >>> bool((head.predict(X) == y).mean() > 0.8)
    True
    """

    def __init__(self, *, C: float = 1.0, class_weight: str | None = "balanced", max_iter: int = 3000,
                 random_state: int = 0) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: Sequence[str], sample_weight: np.ndarray | None = None) -> "SentimentHead":
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=float)
        y = np.asarray(list(y), dtype=object)
        if len(X) != len(y):
            raise BadInputError(f"{len(X)} feature rows but {len(y)} labels.")
        unknown = sorted(set(y) - set(LABELS))
        if unknown:
            raise BadInputError(f"Unknown label(s) {unknown}: use {', '.join(LABELS)}.")
        missing = [c for c in LABELS if c not in set(y)]
        if missing:
            raise NotEnoughDataError(f"The training data has no {', '.join(missing)} examples.")
        lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
                                random_state=self.random_state)
        lr.fit(X, y, sample_weight=sample_weight)
        order = [list(lr.classes_).index(c) for c in LABELS]
        self.coef_ = lr.coef_[order]
        self.intercept_ = lr.intercept_[order]
        self.classes_ = np.array(LABELS, dtype=object)
        self.n_features_in_ = X.shape[1]
        weights = None
        if self.class_weight == "balanced":
            counts = pd.Series(y).value_counts()
            weights = pd.Series(y).map(len(y) / (len(LABELS) * counts)).to_numpy()
        if sample_weight is not None:
            weights = (weights if weights is not None else 1.0) * np.asarray(sample_weight, dtype=float)
        self.precision_ = curvature(X, self.predict_proba(X), sample_weight=weights, ridge=1.0 / self.C)
        return self

    def refit_with(self, X: np.ndarray, y: Sequence[str], *, strength: float = 1.0,
                   sample_weight: np.ndarray | None = None) -> "SentimentHead":
        """A copy of this head moved towards new labelled rows, as if they joined its training data.

        The prior is the training data's curvature (``precision_``) times ``strength``
        (1 = the original data counts in full; smaller lets new rows move the head more).
        See :func:`fit_prior_centred`. The copy's ``precision_`` adds the new rows' curvature,
        so retraining again builds on both.
        """
        check_is_fitted(self, "coef_")
        X = np.asarray(X, dtype=float)
        index = {c: i for i, c in enumerate(LABELS)}
        unknown = sorted(set(y) - set(index))
        if unknown:
            raise BadInputError(f"Unknown label(s) {unknown}: use {', '.join(LABELS)}.")
        yi = np.array([index[v] for v in y], dtype=int)
        precision = getattr(self, "precision_", None)
        if precision is None:
            precision = np.eye(self.n_features_in_ + 1) / self.C
        coef, intercept = fit_prior_centred(X, yi, self.coef_, self.intercept_, precision=strength * precision,
                                            sample_weight=sample_weight)
        new = SentimentHead(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
                            random_state=self.random_state)
        new.coef_, new.intercept_, new.classes_ = coef, intercept, self.classes_.copy()
        new.n_features_in_ = self.n_features_in_
        new.precision_ = precision + curvature(X, new.predict_proba(X), sample_weight=sample_weight)
        return new

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise BadInputError(f"Expected {self.n_features_in_} features, got shape {X.shape}.")
        return X @ self.coef_.T + self.intercept_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self.decision_function(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
