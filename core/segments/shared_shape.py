"""A Gaussian mixture whose components share one shape and orientation but each has its own size.

Between a covariance shared by all components ("tied", mclust's EEE) and a full one each
("full", VVV) sits mclust's VEE: component k's covariance is ``volume_k * C``, with ``C``
(determinant 1) common to all. Customer groups often differ in spread (a handful of
big spenders varies more, on the log scale, than a mass of one-off buyers) while their
fields move together in the same way; a tied mixture covers a wider group with extra
components, a full one pays 45 more numbers per component on 9 fields. This costs one
number per component more than tied.

The M-step is Celeux & Govaert (1995, "Gaussian parsimonious clustering models", the
model [lambda_k C]): alternate ``C ∝ sum_k W_k / volume_k`` (scaled to determinant 1) and
``volume_k = tr(W_k C^-1) / (d n_k)``, with ``W_k`` the component's weighted scatter.
Everything else (E-step, restarts, ``predict_proba``, ``bic``) is scikit-learn's
``GaussianMixture`` with full matrices, so the fitted state is the usual arrays.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(0, 0.5, (300, 2)), rng.normal(4, 1.5, (300, 2))])
>>> gm = SharedShapeMixture(2, random_state=0).fit(X)
>>> sorted(np.round(np.sqrt(gm.covariances_[:, 0, 0]), 1).tolist())
[0.5, 1.4]
"""

from __future__ import annotations

import numpy as np
from sklearn.mixture import GaussianMixture

INNER_STEPS = 5


def shared_shape_covariances(X: np.ndarray, resp: np.ndarray, means: np.ndarray, reg_covar: float,
                             steps: int = INNER_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Covariances ``volume_k * C + reg_covar * I`` (components x d x d) and the volumes, from responsibilities."""
    n, d = X.shape
    nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
    W = np.stack([(resp[:, k, None] * (X - means[k])).T @ (X - means[k]) for k in range(len(nk))])
    volume = np.array([np.trace(w) for w in W]) / (d * nk)
    for _ in range(steps):
        C = (W / volume[:, None, None]).sum(axis=0)
        sign, logdet = np.linalg.slogdet(C)
        C = C / np.exp(logdet / d) if sign > 0 else np.eye(d)
        inv = np.linalg.inv(C)
        volume = np.maximum(np.einsum("kij,ji->k", W, inv) / (d * nk), 1e-12)
    return volume[:, None, None] * C[None] + reg_covar * np.eye(d)[None], volume


class ConstrainedMixture(GaussianMixture):
    """A Gaussian mixture whose M-step fills the covariances from :meth:`_covariances` (subclasses).

    Takes :class:`~sklearn.mixture.GaussianMixture`'s parameters except ``covariance_type``:
    the covariances are held as full matrices, so scoring and prediction are scikit-learn's.
    """

    def __init__(self, n_components: int = 1, *, tol: float = 1e-3, reg_covar: float = 1e-6, max_iter: int = 100,
                 n_init: int = 1, init_params: str = "kmeans", random_state=None) -> None:
        super().__init__(n_components=n_components, covariance_type="full", tol=tol, reg_covar=reg_covar,
                         max_iter=max_iter, n_init=n_init, init_params=init_params, random_state=random_state)

    def _covariances(self, X: np.ndarray, resp: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _m_step(self, X, log_resp, xp=None):
        resp = np.exp(log_resp)
        nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
        self.means_ = (resp.T @ X) / nk[:, None]
        self.weights_ = nk / nk.sum()
        self.covariances_ = self._covariances(X, resp)
        self.precisions_cholesky_ = np.stack([np.linalg.cholesky(np.linalg.inv(c)) for c in self.covariances_])

    def _initialize(self, X, resp, xp=None):
        super()._initialize(X, resp, xp=xp)
        self._m_step(X, np.log(np.clip(resp, 1e-300, None)))


class SharedShapeMixture(ConstrainedMixture):
    """scikit-learn's Gaussian mixture with covariances ``volume_k * C`` (see the module doc)."""

    def _covariances(self, X: np.ndarray, resp: np.ndarray) -> np.ndarray:
        covariances, self.volumes_ = shared_shape_covariances(X, resp, self.means_, self.reg_covar)
        return covariances

    def _n_parameters(self) -> int:
        k, d = self.means_.shape
        return int(d * (d + 1) / 2 - 1 + k + k * d + k - 1)
