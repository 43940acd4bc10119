"""The common-axes (VVE) Gaussian mixture: covariances D diag(a_k) D^T with D shared."""

import numpy as np
from sklearn.mixture import GaussianMixture

from core.segments import selection
from core.segments.common_axes import CommonAxesMixture, rotate_axes, scatter

ROT = np.array([[0.8, -0.6], [0.6, 0.8]])


def _objective(D, W, inv_a):
    return sum(float(np.trace(D.T @ W[k] @ D @ np.diag(inv_a[k]))) for k in range(len(W)))


def test_rotation_finds_the_shared_axes_and_never_raises_the_objective():
    rng = np.random.default_rng(0)
    a = rng.normal(0, [0.3, 1.5], (2000, 2)) @ ROT.T
    b = rng.normal(0, [1.5, 0.3], (2000, 2)) @ ROT.T
    resp = np.zeros((4000, 2))
    resp[:2000, 0] = resp[2000:, 1] = 1.0
    X = np.vstack([a, b])
    W = scatter(X, resp, np.array([a.mean(0), b.mean(0)]))
    D0 = np.eye(2)
    inv_a = 1.0 / (np.einsum("ai,kab,bi->ki", D0, W, D0) / 2000)
    D = rotate_axes(D0, W, inv_a)
    assert _objective(D, W, inv_a) < _objective(D0, W, inv_a)
    assert np.allclose(D.T @ D, np.eye(2), atol=1e-12)  # still orthogonal
    assert np.allclose(np.abs(D), np.abs(ROT), atol=0.02)  # the axes the data were drawn on


def test_mixture_recovers_each_components_spread_along_shared_axes():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, [0.3, 1.5], (500, 2)) @ ROT.T, rng.normal(0, [1.5, 0.3], (500, 2)) @ ROT.T + 6])
    gm = CommonAxesMixture(2, random_state=0).fit(X)
    labels = gm.predict(X)
    assert labels[0] != labels[-1] and (labels[:500] == labels[0]).mean() > 0.99
    for c in gm.covariances_:
        assert np.allclose(sorted(np.sqrt(np.linalg.eigvalsh(c))), [0.3, 1.5], atol=0.08)
    # the two covariances share eigenvectors: they commute
    c0, c1 = gm.covariances_
    assert np.allclose(c0 @ c1, c1 @ c0, atol=1e-8)
    full = GaussianMixture(2, covariance_type="full", random_state=0).fit(X)
    tied = GaussianMixture(2, covariance_type="tied", random_state=0).fit(X)
    assert tied._n_parameters() < gm._n_parameters() < full._n_parameters()
    assert gm.bic(X) < tied.bic(X)  # different spreads: the extra numbers pay for themselves


def test_parameter_count_on_nine_fields():
    gm = CommonAxesMixture(5)
    gm.means_ = np.zeros((5, 9))
    # means 45, variances 45, axes 36, weights 4 (full would be 45 + 225 + 4)
    assert gm._n_parameters() == 45 + 45 + 36 + 4


def test_selection_builds_it_and_labels_customers_with_blanks():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(0, 0.5, (300, 3)), rng.normal(3, 1.0, (300, 3))])
    gm = selection.gaussian_mixture(2, covariance="common-axes").fit(X)
    assert isinstance(gm, CommonAxesMixture)
    X_blank = X.copy()
    X_blank[::7, 1] = np.nan
    proba = selection.marginal_proba(gm, X_blank)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (proba.argmax(1)[::7] == gm.predict(X)[::7]).mean() > 0.97
