"""The Student-t mixture behind the segments: its density, its fit, and why it replaced the Gaussian."""

import numpy as np
from scipy import stats

from core.segments import selection
from core.segments.tmixture import StudentMixture, t_log_density


def test_t_log_density_matches_scipy_and_the_gaussian_at_infinite_dof():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    mean, cov = np.array([0.5, -1.0, 0.0]), np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 0.5]])
    got, maha = t_log_density(X, mean, cov, 4.0)
    np.testing.assert_allclose(got, stats.multivariate_t(mean, cov, df=4.0).logpdf(X), rtol=1e-10)
    diff = X - mean
    np.testing.assert_allclose(maha, np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov), diff), rtol=1e-10)
    gauss, _ = t_log_density(X, mean, cov, np.inf)
    np.testing.assert_allclose(gauss, stats.multivariate_normal(mean, cov).logpdf(X), rtol=1e-10)


def _heavy_groups(seed: int, n: int = 1500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    centres = np.array([[0, 0, 0, 0], [5, 0, 3, 0], [0, 5, 0, 3]], dtype=float)
    noise = rng.normal(size=(n, 4)) / np.sqrt(rng.chisquare(3, (n, 1)) / 3)
    return centres[truth] + noise, truth


def test_fit_recovers_heavy_tails_and_gaussian_data_gets_many_dof():
    X, truth = _heavy_groups(1)
    tm = StudentMixture(3, n_init=2, random_state=0).fit(X)
    assert np.all(tm.dof_ < 8), tm.dof_  # the groups' tails are t with 3 degrees of freedom
    assert np.allclose(tm.predict_proba(X).sum(axis=1), 1.0)
    assert np.isclose(tm.weights_.sum(), 1.0)
    rng = np.random.default_rng(2)
    G = np.vstack([rng.normal(size=(600, 2)), rng.normal(size=(600, 2)) + 6])
    assert np.all(StudentMixture(2, random_state=0).fit(G).dof_ > 30)


def test_bic_counts_heavy_tailed_groups_that_the_gaussian_mixture_overcounts(monkeypatch):
    wins = 0
    for seed in (3, 4, 5):
        X, _ = _heavy_groups(seed)
        picks = {}
        for kind in ("t", "gaussian"):
            monkeypatch.setattr(selection, "MIXTURE", kind)
            picks[kind] = selection.best_k(selection.bic_curve(X, range(2, 7)))
        assert picks["t"] == 3, picks
        wins += picks["gaussian"] > 3
    assert wins >= 2  # the Gaussian spends components on the tails


def test_marginal_proba_of_a_t_mixture_uses_the_t_marginal_of_the_observed_fields():
    X, _ = _heavy_groups(6, n=400)
    tm = StudentMixture(3, random_state=0).fit(X)
    Xm = X.copy()
    Xm[:5, 1] = np.nan
    full, marg = tm.predict_proba(X), selection.marginal_proba(tm, Xm)
    np.testing.assert_allclose(marg[5:], full[5:], rtol=1e-8)
    # a blank row is judged on its observed fields: the t marginal of those fields
    keep = [0, 2, 3]
    lp = np.array([np.log(tm.weights_[c]) + stats.multivariate_t(tm.means_[c, keep],
                   tm.covariances_[c][np.ix_(keep, keep)], df=tm.dof_[c]).logpdf(X[0, keep]) for c in range(3)])
    np.testing.assert_allclose(marg[0], np.exp(lp - np.logaddexp.reduce(lp)), rtol=1e-6, atol=1e-12)
