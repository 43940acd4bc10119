"""Two more customer bases with known groups, written by helper "seg4" BEFORE any of its model tuning.

They are kept as that work's own held-out figure (``bench/segments.py --quality --generators
behaviour,mixedcov``) and were run once, at the end. Made unlike the other generators:

* ``behaviour_base``: each customer has latent (activity, value, attention) drawn from a
  group-specific multivariate Student-t (5 degrees of freedom) with its own random
  correlation and spread; purchases are a negative-binomial count over the customer's
  tenure, spend a sum of log-normal baskets, recency from a geometric drop-out after the
  last order, e-mail opens beta-binomial out of the 13 mails sent in 90 days, clicks
  binomial of the opens, sessions a hurdle (zero unless the attention clears a group
  threshold), social a zero-inflated negative binomial; age gamma per group; sizes by
  stick-breaking (at least 4% each).
* ``mixedcov_base``: groups are Gaussian in the log scale of the fields, but half of them
  are "tight" (small spread) and half "broad" (spread 2-3 times larger, strongly
  correlated along a random direction), located at random on a sphere in 9 dimensions
  with neighbours overlapping; counts are Poisson around the log-normal level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.core._segments_synth import _frame


def _stick_sizes(rng: np.random.Generator, groups: int) -> np.ndarray:
    while True:
        v = rng.beta(1.0, 2.2, groups)
        shares = v * np.concatenate([[1.0], np.cumprod(1 - v)[:-1]])
        shares[-1] = max(shares[-1], 1 - shares[:-1].sum())
        shares = shares / shares.sum()
        if shares.min() >= 0.04:
            return shares


def _corr(rng: np.random.Generator, d: int, strength: float) -> np.ndarray:
    a = rng.normal(0, 1, (d, d + 1))
    c = a @ a.T
    s = np.sqrt(np.diag(c))
    return (1 - strength) * np.eye(d) + strength * c / np.outer(s, s)


def behaviour_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Latent (activity, value, attention) per group through count/binary/hurdle links (see the module doc)."""
    rng = np.random.default_rng(40_000 + seed)
    shares = _stick_sizes(rng, groups)
    truth = rng.choice(groups, n, p=shares)
    centres = rng.uniform(-1.6, 1.6, (groups, 3))
    z = np.empty((n, 3))
    for g in range(groups):
        m = truth == g
        cov = _corr(rng, 3, 0.6) * rng.uniform(0.12, 0.35)
        w = rng.chisquare(5, int(m.sum())) / 5
        z[m] = centres[g] + rng.multivariate_normal(np.zeros(3), cov, int(m.sum())) / np.sqrt(w)[:, None]
    act, val, att = z.T
    tenure_mean = np.exp(rng.uniform(np.log(90), np.log(1400), groups))
    tenure = rng.gamma(2.5, tenure_mean[truth] / 2.5)
    rate = np.exp(0.9 * act + 1.0)  # orders per year
    mu = rate * tenure / 365
    orders = 1 + rng.negative_binomial(2.0, 2.0 / (2.0 + mu))
    basket = np.exp(3.6 + 0.8 * val)
    spent = np.array([rng.lognormal(np.log(b), 0.5, k).sum() for b, k in zip(basket, orders)])
    gap = 365 / np.maximum(rate, 0.2)
    stop = rng.geometric(np.clip(0.25 - 0.1 * act, 0.03, 0.6))
    recency = np.minimum(rng.exponential(gap) + (stop - 1) * gap * 0.3, tenure)
    p_open = 1 / (1 + np.exp(-(att - 0.3)))
    opens = rng.binomial(13, rng.beta(4 * p_open + 0.1, 4 * (1 - p_open) + 0.1))
    clicks = rng.binomial(opens, np.clip(0.05 + 0.08 * (val > 0), 0, 1))
    threshold = rng.uniform(-1.2, 0.8, groups)
    sessions = np.where(att + 0.4 * act > threshold[truth], rng.poisson(np.exp(1.5 + 0.7 * att)), 0)
    zero = rng.uniform(0.1, 0.7, groups)
    social = np.where(rng.random(n) < zero[truth], 0,
                      rng.negative_binomial(1.5, 1.5 / (1.5 + np.exp(0.8 + 0.9 * att - 0.3 * val))))
    age_shape, age_scale = rng.uniform(6, 20, groups), rng.uniform(1.8, 4.0, groups)
    age = 18 + rng.gamma(age_shape[truth], age_scale[truth])
    return _frame(rng, recency=recency, orders=orders, spent=spent, tenure=np.maximum(tenure, 2),
                  prefix=f"bh{seed}", sessions=sessions, opens=opens, clicks=clicks, social=social,
                  age=age), truth


def mixedcov_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Tight and broad log-normal groups with their own orientations (see the module doc)."""
    rng = np.random.default_rng(50_000 + seed)
    shares = rng.dirichlet(np.full(groups, 2.5))
    shares = np.maximum(shares, 0.05)
    truth = rng.choice(groups, n, p=shares / shares.sum())
    d = 9  # recency, orders, aov, tenure, sessions, opens, clicks, social, age
    centres = rng.normal(0, 1, (groups, d))
    centres = centres / np.linalg.norm(centres, axis=1, keepdims=True) * 2.3
    z = np.empty((n, d))
    for g in range(groups):
        m = truth == g
        if g % 2 == 0:
            cov = _corr(rng, d, 0.3) * 0.25
        else:
            u = rng.normal(0, 1, d)
            u /= np.linalg.norm(u)
            cov = _corr(rng, d, 0.3) * 0.4 + 1.6 * np.outer(u, u)
        z[m] = rng.multivariate_normal(centres[g], cov, int(m.sum()))
    tenure = np.exp(5.8 + 0.7 * z[:, 3])
    orders = 1 + rng.poisson(np.exp(1.0 + 0.8 * z[:, 1]) * tenure / 365)
    spent = orders * np.exp(4.0 + 0.6 * z[:, 2])
    recency = np.minimum(np.exp(3.8 + 0.9 * z[:, 0]), tenure)
    sessions = rng.poisson(np.exp(2.0 + 0.8 * z[:, 4]))
    opens = rng.poisson(np.exp(1.2 + 0.8 * z[:, 5]))
    clicks = rng.binomial(opens, 1 / (1 + np.exp(-(z[:, 6] - 1.5))))
    social = rng.poisson(np.exp(0.5 + 0.9 * z[:, 7]))
    age = 42 + 9 * z[:, 8]
    return _frame(rng, recency=recency, orders=orders, spent=spent, tenure=np.maximum(tenure, 2),
                  prefix=f"mc{seed}", sessions=sessions, opens=opens, clicks=clicks, social=social,
                  age=age), truth


GENERATORS = {"behaviour": behaviour_base, "mixedcov": mixedcov_base}
