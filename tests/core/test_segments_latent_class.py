"""The latent class model behind ``SegmentModel(method="lca")``: each field kind's likelihood, EM, blanks, saving."""

import math

import numpy as np
import pandas as pd
from scipy import stats

from core.segments import SegmentModel
from core.segments.latent_class import (LatentClassMixture, _nb_size_newton, feature_kinds, nbinom_logpmf,
                                        normal_logpdf)


def test_negative_binomial_log_pmf_by_hand_and_against_scipy():
    # mean 2, size 1 is a geometric with p = 1/3 of stopping: P(0) = 1/3, P(2) = (2/3)^2 / 3.
    assert math.isclose(float(nbinom_logpmf(np.array(0.0), 2.0, 1.0)), math.log(1 / 3), rel_tol=1e-12)
    assert math.isclose(float(nbinom_logpmf(np.array(2.0), 2.0, 1.0)), math.log(4 / 27), rel_tol=1e-12)
    y = np.arange(0, 40, dtype=float)
    for mean, size in ((0.4, 0.3), (7.0, 2.5), (30.0, 900.0)):
        want = stats.nbinom.logpmf(y, size, size / (size + mean))
        np.testing.assert_allclose(nbinom_logpmf(y, mean, size), want, rtol=1e-9, atol=1e-12)
    # A huge size is the Poisson.
    np.testing.assert_allclose(nbinom_logpmf(y[:10], 3.0, 1e6), stats.poisson.logpmf(y[:10], 3.0), atol=1e-4)


def test_normal_log_pdf_by_hand():
    # At the mean with sd 1: -log(sqrt(2 pi)); one sd 2 away from a mean of 0: -1/2 - log 2 - log(sqrt(2 pi)).
    assert math.isclose(float(normal_logpdf(np.array(0.0), 0.0, 1.0)), -0.5 * math.log(2 * math.pi))
    assert math.isclose(float(normal_logpdf(np.array(2.0), 0.0, 2.0)), -0.5 - math.log(2) - 0.5 * math.log(2 * math.pi))


def test_a_positive_field_is_log_normal_on_log1p_and_a_count_field_sums_its_pmf():
    # One component: the log-likelihood of a customer is the sum of the fields' own log densities.
    X = np.array([[0, 9.0, 30.0], [3, 99.0, 50.0], [1, 0.0, 40.0]])
    lc = LatentClassMixture(1, kinds=("count", "positive", "normal"), n_init=1).fit(X)
    y = np.log1p(X[:, 1])
    assert np.allclose(lc.loc_[0, 1], y.mean()) and np.allclose(lc.scale_[0, 1], y.std())
    assert np.allclose(lc.loc_[0, 0], X[:, 0].mean())  # the NB mean is the sample mean
    want = (nbinom_logpmf(X[:, 0], lc.loc_[0, 0], lc.scale_[0, 0]) + stats.norm.logpdf(y, y.mean(), y.std())
            + stats.norm.logpdf(X[:, 2], 40.0, X[:, 2].std()))
    np.testing.assert_allclose(lc.score_samples(X), want, rtol=1e-9)


def test_dispersion_newton_finds_the_maximum_likelihood_size():
    rng = np.random.default_rng(0)
    for size in (0.3, 2.0, 50.0):
        y = rng.negative_binomial(size, size / (size + 5.0), 20000).astype(float)
        values, counts = np.unique(y, return_counts=True)
        mean = np.array([y.mean()])
        r = np.array([5.0])
        for _ in range(10):
            r = _nb_size_newton(values, counts[:, None].astype(float), mean, r)
        grid = np.linspace(r[0] * 0.9, r[0] * 1.1, 21)
        ll = [nbinom_logpmf(y, y.mean(), g).sum() for g in grid]
        assert abs(grid[int(np.argmax(ll))] - r[0]) <= (grid[1] - grid[0]) + 1e-9  # the maximum, to the grid
        assert abs(r[0] / size - 1) < 0.25, (size, r)


def _two_groups(seed: int, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    orders = 1 + rng.negative_binomial(2, 2 / (2 + np.where(truth == 1, 20.0, 1.0)))
    opens = np.where(truth == 1, rng.poisson(12, n), rng.poisson(0.3, n))  # zero-heavy in group 0
    spend = rng.lognormal(np.where(truth == 1, 6.0, 3.5), 0.5)
    age = rng.normal(45, 12, n)
    return np.column_stack([orders, opens, spend, age]).astype(float), truth


def test_em_recovers_two_separated_groups_and_bic_prefers_two():
    from sklearn.metrics import adjusted_rand_score

    X, truth = _two_groups(1)
    kinds = ("count", "count", "positive", "normal")
    fits = {k: LatentClassMixture(k, kinds=kinds, random_state=0).fit(X) for k in (1, 2, 3)}
    assert adjusted_rand_score(truth, fits[2].predict(X)) > 0.95
    assert fits[2].offsets_.tolist() == [1.0, 0.0, 0.0, 0.0]  # orders never below 1: orders - 1 is modelled
    bic = {k: m.bic(X) for k, m in fits.items()}
    assert min(bic, key=bic.get) == 2, bic
    assert np.allclose(fits[2].predict_proba(X).sum(axis=1), 1.0)


def test_a_blank_field_drops_out_of_the_likelihood():
    X, truth = _two_groups(2)
    kinds = ("count", "count", "positive", "normal")
    lc = LatentClassMixture(2, kinds=kinds, random_state=0).fit(X)
    Xm = X.copy()
    Xm[:10, 1] = np.nan
    full = lc.log_joint(X[:10])
    blank = lc.log_joint(Xm[:10])
    opens_term = nbinom_logpmf(X[:10, 1, None], lc.loc_[None, :, 1], lc.scale_[None, :, 1])
    np.testing.assert_allclose(blank, full - opens_term, rtol=1e-9)
    # Fitting with 5% of every field blank still finds the groups.
    rng = np.random.default_rng(3)
    Xb = np.where(rng.random(X.shape) < 0.05, np.nan, X)
    from sklearn.metrics import adjusted_rand_score
    assert adjusted_rand_score(truth, LatentClassMixture(2, kinds=kinds, random_state=0).fit(Xb).predict(Xb)) > 0.9


def test_feature_kinds_reads_fractional_counts_as_positive():
    f = pd.DataFrame({"frequency": [1, 2, 5.0], "sessions_90d": [0.5, 1.0, 2.0], "monetary": [1, 2, 3.0],
                      "age": [30, 40, 50.0]})
    assert feature_kinds(f, list(f.columns)) == ("count", "positive", "positive", "normal")


def test_segment_model_lca_finds_groups_predicts_and_round_trips(tmp_path):
    from sklearn.metrics import adjusted_rand_score

    from core.segments import load_model, save_model
    from core.segments.data import synthetic_customers

    customers, truth = synthetic_customers(800, random_state=3)
    model = SegmentModel(method="lca", stability_repeats=2, random_state=0).fit(customers)
    assert model.k_ == 4 and adjusted_rand_score(truth, model.labels_) > 0.9
    assert (model.predict(customers) == model.labels_).mean() > 0.99
    assert len(model.segments()) == 4 and len(set(model.names_.values())) == 4
    assert 0 <= model.stability_ <= 1
    save_model(model, tmp_path, data_version=1)
    loaded, _ = load_model(tmp_path, model.params())
    assert (loaded.predict(customers) == model.predict(customers)).all() and loaded.names_ == model.names_
    new = customers.head(20).drop(columns=["age"]).assign(age=None)  # a blank field: judged on the rest
    assert (loaded.predict(new) == model.labels_[:20]).mean() > 0.9
    assert set(model.projection(customers)["segment"]) <= set(range(4))


def test_shared_frailty_counts_are_a_negative_multinomial_and_blanks_drop_out():
    # Counts sharing a gamma frailty of size r: one field alone is the negative binomial of size r;
    # two fields: P(x1, x2) = G(r + x1 + x2) / (G(r) x1! x2!) m1^x1 m2^x2 r^r / (r + m1 + m2)^(r + x1 + x2).
    X = np.array([[0, 1.0], [2, 0.0], [5, 3.0], [1, 4.0], [3, 2.0]])
    lc = LatentClassMixture(1, kinds=("count", "count"), frailty=(0, 1), n_init=1).fit(X)
    r, (m1, m2) = float(lc.frailty_size_[0]), lc.loc_[0]
    x1, x2 = X[:, 0], X[:, 1]
    from scipy.special import gammaln
    want = (gammaln(r + x1 + x2) - gammaln(r) - gammaln(x1 + 1) - gammaln(x2 + 1) + x1 * np.log(m1)
            + x2 * np.log(m2) + r * np.log(r) - (r + x1 + x2) * np.log(r + m1 + m2))
    np.testing.assert_allclose(lc.score_samples(X), want, rtol=1e-9)
    blank = X.copy()
    blank[:, 1] = np.nan
    np.testing.assert_allclose(lc.score_samples(blank), nbinom_logpmf(x1, m1, r), rtol=1e-9)
    assert np.isclose(m1, x1.mean()) and np.isclose(m2, x2.mean())  # one component: the means are the means


def test_correlated_block_is_the_multivariate_normal_and_its_marginal_for_blanks():
    rng = np.random.default_rng(4)
    Z = rng.multivariate_normal([3.0, 5.0], [[1.0, 0.8], [0.8, 1.0]], 300)
    X = np.column_stack([np.expm1(Z[:, 0]), Z[:, 1]])
    lc = LatentClassMixture(1, kinds=("positive", "normal"), block=(0, 1), n_init=1).fit(X)
    mean, cov = lc.block_mean_[0], lc.block_cov_[0]
    assert abs(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]) - 0.8) < 0.06
    np.testing.assert_allclose(lc.score_samples(X), stats.multivariate_normal(mean, cov).logpdf(Z), rtol=1e-9)
    Xb = X.copy()
    Xb[:3, 0] = np.nan
    np.testing.assert_allclose(lc.score_samples(Xb)[:3], stats.norm(mean[1], np.sqrt(cov[1, 1])).logpdf(Z[:3, 1]),
                               rtol=1e-9)
    # Fitting with blanks: EM's conditional means keep the correlation and the means.
    Xm = np.where(rng.random(X.shape) < 0.1, np.nan, X)
    lm = LatentClassMixture(1, kinds=("positive", "normal"), block=(0, 1), n_init=1).fit(Xm)
    assert np.allclose(lm.block_mean_[0], mean, atol=0.1) and abs(lm.block_cov_[0, 0, 1] - cov[0, 1]) < 0.15
    # Independent fields cost two parameters each; the block one more for the covariance.
    assert lc.n_parameters() == 5 and LatentClassMixture(1, kinds=("positive", "normal")).n_parameters() == 4


def test_cli_segment_method_lca_prints_the_contract(tmp_path, capsys):
    import json

    from core import cli
    from core.segments.data import synthetic_customers

    customers, _ = synthetic_customers(300, groups=3, random_state=5)
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"customers": customers.to_dict(orient="records")}))
    assert cli.main(["segment", "--data", str(path), "--method", "lca", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "lca" and out["k"] == 3 and len(out["assignments"]) == 300
    assert sum(s["size"] for s in out["segments"]) == 300 and 0 <= out["quality"]["stability"] <= 1
