"""A Gaussian mixture whose components share their axes but each has its own spread along them.

Between one covariance for all components ("tied", mclust's EEE) and a free one each
("full", VVV) sits mclust's VVE: component k's covariance is ``D diag(a_k) D^T``, with the
orthogonal axes ``D`` common to all components and the variances ``a_k`` along them its
own (Flury's common principal components). Customer groups differ in spread (a handful of
heavy buyers varies more than a mass of one-off buyers, an engaged group more in its
e-mail counts) while the fields move together for the same reasons in every group (spend
follows orders, clicks follow opens): tied makes a wide group into several components and
a narrow one into none, full pays 45 numbers per component on 9 fields and BIC undercounts
small groups. VVE pays ``d`` numbers per component over tied, less ``d`` for the one
shared scale.

The M-step is an ECM step (Celeux & Govaert 1995, "Gaussian parsimonious clustering
models"; Browne & McNicholas 2014 for the orientation step): given the axes, each
component's variances are the diagonal of its scatter in them, ``a_k = diag(D^T W_k D) /
n_k``; given the variances, the axes minimise ``sum_k tr(W_k D diag(1/a_k) D^T)``, done by
Jacobi sweeps of plane rotations, each of which has a closed-form best angle. Everything
else (E-step, restarts, ``predict_proba``) is scikit-learn's ``GaussianMixture`` with full
matrices, so the fitted state is the usual arrays and labelling with blanks works unchanged.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> R = np.array([[0.8, -0.6], [0.6, 0.8]])
>>> X = np.vstack([rng.normal(0, [0.3, 1.5], (400, 2)) @ R.T, rng.normal(0, [1.5, 0.3], (400, 2)) @ R.T + 6])
>>> gm = CommonAxesMixture(2, random_state=0).fit(X)
>>> sorted(np.round(np.sqrt(np.linalg.eigvalsh(gm.covariances_[0])), 1).tolist())
[0.3, 1.5]
"""

from __future__ import annotations

import numpy as np
from core.segments.shared_shape import ConstrainedMixture

SWEEPS = 2


def rotate_axes(D: np.ndarray, W: np.ndarray, inv_a: np.ndarray, sweeps: int = SWEEPS) -> np.ndarray:
    """Axes ``D`` (d x d orthogonal) improved by Jacobi sweeps: each plane rotation of columns i, j takes the
    angle that minimises ``sum_k tr(D^T W_k D diag(inv_a_k))`` (closed form; ``W`` is k x d x d)."""
    D = D.copy()
    d = D.shape[0]
    for _ in range(sweeps):
        for i in range(d - 1):
            for j in range(i + 1, d):
                P = D[:, [i, j]]
                M = np.einsum("ai,kab,bj->kij", P, W, P)  # k x 2 x 2: each scatter in the plane
                diff = inv_a[:, i] - inv_a[:, j]
                # f(t) = const + B cos 2t + C sin 2t: the minimum is at 2t = atan2(-C, -B)
                B = float(np.sum(0.5 * (M[:, 0, 0] - M[:, 1, 1]) * diff))
                C = float(np.sum(M[:, 0, 1] * diff))
                if abs(B) + abs(C) < 1e-14:
                    continue
                t = 0.5 * np.arctan2(-C, -B)
                c, s = np.cos(t), np.sin(t)
                D[:, i], D[:, j] = c * P[:, 0] + s * P[:, 1], -s * P[:, 0] + c * P[:, 1]
    return D


def scatter(X: np.ndarray, resp: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Each component's weighted scatter matrix (k x d x d)."""
    return np.stack([(resp[:, k, None] * (X - means[k])).T @ (X - means[k]) for k in range(resp.shape[1])])


class CommonAxesMixture(ConstrainedMixture):
    """scikit-learn's Gaussian mixture with covariances ``D diag(a_k) D^T`` (see the module doc)."""

    def _covariances(self, X: np.ndarray, resp: np.ndarray) -> np.ndarray:
        nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
        W = scatter(X, resp, self.means_)
        D = getattr(self, "_axes", None)
        if D is None:  # start from the axes of the pooled scatter (the tied solution's)
            D = np.linalg.eigh(W.sum(axis=0))[1]
        a = np.einsum("ai,kab,bi->ki", D, W, D) / nk[:, None] + self.reg_covar
        D = rotate_axes(D, W, 1.0 / a)
        a = np.einsum("ai,kab,bi->ki", D, W, D) / nk[:, None] + self.reg_covar
        self._axes = D
        return np.einsum("ai,ki,bi->kab", D, a, D)

    def _initialize(self, X, resp, xp=None):
        self._axes = None  # every restart finds its own axes
        super()._initialize(X, resp, xp=xp)

    def _n_parameters(self) -> int:
        k, d = self.means_.shape
        return int(k * d + k * d + d * (d - 1) / 2 + k - 1)  # means, variances, axes, weights
