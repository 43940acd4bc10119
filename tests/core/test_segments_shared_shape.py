"""The shared-shape (VEE) Gaussian mixture: covariances volume_k * C."""

import numpy as np

from core.segments.shared_shape import SharedShapeMixture, shared_shape_covariances


def test_m_step_recovers_one_shape_at_two_sizes_from_known_memberships():
    rng = np.random.default_rng(0)
    C = np.array([[1.0, 0.6], [0.6, 1.0]])
    C /= np.sqrt(np.linalg.det(C))  # determinant 1
    a = rng.multivariate_normal([0, 0], 0.25 * C, 4000)
    b = rng.multivariate_normal([5, 5], 4.0 * C, 4000)
    X = np.vstack([a, b])
    resp = np.zeros((8000, 2))
    resp[:4000, 0] = resp[4000:, 1] = 1.0
    means = np.array([a.mean(axis=0), b.mean(axis=0)])
    cov, volume = shared_shape_covariances(X, resp, means, reg_covar=0.0, steps=20)
    assert np.allclose(volume, [0.25, 4.0], rtol=0.06)
    assert np.allclose(cov[0] / volume[0], C, atol=0.05) and np.allclose(cov[1] / volume[1], C, atol=0.05)
    assert np.allclose(np.linalg.det(cov[1] / volume[1]), 1.0)


def test_mixture_fits_and_counts_one_parameter_per_component_more_than_tied():
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 0.4, (300, 3)), rng.normal(3, 1.2, (300, 3))])
    gm = SharedShapeMixture(2, random_state=0, n_init=2).fit(X)
    tied = GaussianMixture(2, covariance_type="tied", random_state=0).fit(X)
    assert gm._n_parameters() == tied._n_parameters() + 2 - 1  # k volumes, one absorbed by det C = 1
    labels = gm.predict(X)
    assert (labels[:300] == labels[0]).mean() > 0.97 and (labels[300:] == labels[-1]).mean() > 0.97
    assert labels[0] != labels[-1]
    ratio = np.array([c / np.cbrt(np.linalg.det(c)) for c in gm.covariances_])
    assert np.allclose(ratio[0], ratio[1], atol=0.2)  # one shape
    assert gm.bic(X) < tied.bic(X)  # two sizes: the extra number pays for itself
    assert np.allclose(gm.predict_proba(X).sum(axis=1), 1.0)


def test_selection_builds_it_by_name(monkeypatch):
    from core.segments import selection

    monkeypatch.setattr(selection, "COVARIANCE", "shared-shape")
    gm, bic = selection.fit_mixture(np.random.default_rng(2).normal(size=(200, 2)), 2)
    assert isinstance(gm, SharedShapeMixture) and np.isfinite(bic)
