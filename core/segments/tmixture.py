"""A mixture of multivariate Student-t distributions: Gaussian mixture clustering that heavy tails do not split.

Customer behaviour has heavy tails even after a log: a few customers buy far more, open
far more e-mail or lapse far longer than the rest of their group. A Gaussian mixture can
only cover such a tail with one more component, and BIC then counts a group too many
(on toy 8-D groups with Student-t noise of 5 degrees of freedom, BIC plus merging counted
one group too many in 10 of 12 bases with Gaussians, 3 of 12 with t components; the test
``tests/core/test_segments_tmixture.py`` keeps a small case of it). A t component has a
tail weight of its own (its degrees of freedom, estimated per component), so one group
stays one component; with many degrees of freedom it is the Gaussian again.

The fit is the ECM algorithm of McLachlan & Peel ("Finite Mixture Models", 2000, ch. 7;
Peel & McLachlan 2000, "Robust mixture modelling using the t distribution"), started from
scikit-learn's Gaussian mixture. Its state is the Gaussian mixture's arrays plus
``dof_``, so :mod:`core.segments.store` saves it without pickle.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.standard_t(3, (300, 2)), rng.standard_t(3, (300, 2)) + 8])
>>> tm = StudentMixture(2, random_state=0).fit(X)
>>> sorted(np.round(tm.means_[:, 0]).tolist()), bool((tm.dof_ < 10).all())
([0.0, 8.0], True)
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular
from scipy.optimize import brentq
from scipy.special import digamma, gammaln, logsumexp
from sklearn.mixture import GaussianMixture

#: Degrees of freedom stay in this range: below 2 a component has no variance; at 200 it is Gaussian.
DOF_RANGE = (2.0, 200.0)


def t_log_density(X: np.ndarray, mean: np.ndarray, cov: np.ndarray, dof: float) -> tuple[np.ndarray, np.ndarray]:
    """Log density of a multivariate t (``dof`` inf: the Gaussian) at each row, and the squared Mahalanobis distances."""
    d = X.shape[1]
    chol = np.linalg.cholesky(cov)
    maha = (solve_triangular(chol, (X - mean).T, lower=True) ** 2).sum(axis=0)
    half_logdet = np.log(np.diag(chol)).sum()
    if not np.isfinite(dof):
        return -0.5 * maha - half_logdet - 0.5 * d * np.log(2 * np.pi), maha
    return (gammaln((dof + d) / 2) - gammaln(dof / 2) - 0.5 * d * np.log(dof * np.pi) - half_logdet
            - 0.5 * (dof + d) * np.log1p(maha / dof)), maha


class StudentMixture:
    """A full-covariance mixture of multivariate t distributions, each with its own degrees of freedom.

    Parameters
    ----------
    n_components : int
    reg_covar : float
        Added to each covariance's diagonal (a variance floor, as in scikit-learn).
    n_init : int
        Restarts of the Gaussian mixture the fit starts from (the best one is kept).
    max_iter, tol : int, float
        ECM iterations and the change in mean log-likelihood per customer that stops them.
    random_state : int

    Attributes
    ----------
    weights_, means_, covariances_, precisions_cholesky_ : ndarray
        As in :class:`sklearn.mixture.GaussianMixture`.
    dof_ : ndarray
        Degrees of freedom of each component.
    """

    def __init__(self, n_components: int, *, reg_covar: float = 1e-6, n_init: int = 1, max_iter: int = 100,
                 tol: float = 1e-4, random_state: int = 0) -> None:
        self.n_components = n_components
        self.reg_covar = reg_covar
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X: np.ndarray) -> "StudentMixture":
        X = np.asarray(X, dtype=float)
        n, d = X.shape
        k = self.n_components
        gm = GaussianMixture(n_components=k, covariance_type="full", n_init=self.n_init, reg_covar=self.reg_covar,
                             random_state=self.random_state).fit(X)
        self.weights_, self.means_ = gm.weights_.copy(), gm.means_.copy()
        self.covariances_ = gm.covariances_.copy()
        self.dof_ = np.full(k, 30.0)
        eye = np.eye(d) * self.reg_covar
        previous = -np.inf
        for _ in range(self.max_iter):
            logp, maha = self._log_components(X)
            total = logsumexp(logp, axis=1)
            tau = np.exp(logp - total[:, None])
            u = (self.dof_ + d) / (self.dof_ + maha)
            nk = tau.sum(axis=0) + 1e-10
            tu = tau * u
            self.means_ = (tu.T @ X) / tu.sum(axis=0)[:, None]
            for c in range(k):
                diff = X - self.means_[c]
                self.covariances_[c] = (tu[:, c, None] * diff).T @ diff / nk[c] + eye
                self.dof_[c] = _dof_update(tau[:, c], u[:, c], self.dof_[c], d)
            self.weights_ = nk / nk.sum()
            mean_ll = float(total.mean())
            if abs(mean_ll - previous) < self.tol:
                break
            previous = mean_ll
        self.precisions_cholesky_ = np.array([np.linalg.cholesky(np.linalg.inv(c)) for c in self.covariances_])
        self.converged_, self.n_features_in_ = True, d
        return self

    def _log_components(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log(weight x density) of each component at each row, and the Mahalanobis distances."""
        logp = np.empty((len(X), self.n_components))
        maha = np.empty_like(logp)
        for c in range(self.n_components):
            lp, maha[:, c] = t_log_density(X, self.means_[c], self.covariances_[c], self.dof_[c])
            logp[:, c] = lp + np.log(max(self.weights_[c], 1e-300))
        return logp, maha

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        return logsumexp(self._log_components(np.asarray(X, dtype=float))[0], axis=1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        logp = self._log_components(np.asarray(X, dtype=float))[0]
        return np.exp(logp - logsumexp(logp, axis=1)[:, None])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)

    def n_parameters(self) -> int:
        k, d = self.means_.shape
        return k * (d + d * (d + 1) // 2 + 1) + k - 1  # means, covariances, degrees of freedom, weights

    def bic(self, X: np.ndarray) -> float:
        return float(-2 * self.score_samples(X).sum() + self.n_parameters() * np.log(len(X)))


def _dof_update(tau: np.ndarray, u: np.ndarray, dof: float, d: int) -> float:
    """The CM step for one component's degrees of freedom (Peel & McLachlan 2000, eq. 30)."""
    w = tau.sum()
    if w < 1e-8:
        return dof
    const = 1 + float((tau * (np.log(u) - u)).sum() / w) + digamma((dof + d) / 2) - np.log((dof + d) / 2)

    def f(v: float) -> float:
        return -digamma(v / 2) + np.log(v / 2) + const

    lo, hi = DOF_RANGE
    if f(lo) * f(hi) > 0:  # no root inside: the tail is as light (or as heavy) as allowed
        return hi if f(hi) > 0 else lo
    return float(brentq(f, lo, hi, xtol=1e-3))
