"""Customer bases made in different ways, with known groups, to judge segmentation on data not its own.

Each generator returns ``(customers, truth)``: contract-shaped ``customers`` records and
the group of each. They differ on purpose, so that a method tuned on some is judged on
the others:

* ``lognormal_base``: groups are correlated log-normal clouds in (recency, orders, order
  value, engagement), overlapping, with unequal covariances;
* ``process_base``: each group is a purchase process (buying rate, drop-out, order value,
  time since joining) simulated order by order, like a real shop's log; engagement follows
  whether the customer is still around;
* ``heavy_tail_base``: Pareto spend, negative-binomial orders, groups that also differ in
  age and channel, and no e-mail fields at all;
* ``latent_base``: groups placed on a 2-D latent plane (activity, value); every field is a
  different noisy monotone function of it;
* ``unequal_base``: six groups of very unequal sizes (2% to 40%), some told apart only by
  engagement, with gamma-distributed counts;
* ``channel_mix_base``: groups by channel mix and engagement, fields tied by a heavy-tailed
  (Student-t) copula with a different correlation in each group (written after the tuning);
* ``subspace_base``: a large ordinary majority and small groups that each stand out on a
  different few fields only (sizes 50/25/10/10/5), correlated Student-t noise, a skewed age
  that only one group shifts, and blanks that depend on other fields (missing at random, not
  completely at random); written before the k-selection work of issue 15 and never tuned on;
* ``skewed_base``: skew-normal groups of random sizes, each moving a random half of the
  behaviours by unequal amounts, a pure-noise age, zero-inflated social counts;
* ``shop_log_base``: Pareto/NBD-like buying (gamma-spread rates, exponential lifetimes),
  beta-binomial e-mail opens, engagement that fades after a customer leaves;
* ``factor_base``: Gaussian groups in four hidden factors seen through different links
  (negative-binomial counts, a logistic recency); written after this pass's choice of model.

All have 4-6 groups, skewed counts and money, and about 3% of the optional fields missing.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

AS_OF = pd.Timestamp("2025-06-30")
CHANNELS = np.array(["google", "facebook", "email", "organic", "tiktok"])


def _frame(rng: np.random.Generator, *, recency, orders, spent, tenure, prefix: str, sessions=None,
           opens=None, clicks=None, social=None, age=None, channel=None, missing: float = 0.03) -> pd.DataFrame:
    """Contract records from behavioural arrays; MCAR-blank a share of the optional fields."""
    n = len(orders)
    orders = np.maximum(np.asarray(orders).round().astype(int), 1)
    tenure = np.maximum(np.asarray(tenure, dtype=float), 1)
    recency = np.clip(np.asarray(recency, dtype=float), 0, tenure)
    last = AS_OF - pd.to_timedelta(recency.round(), unit="D")
    first = AS_OF - pd.to_timedelta(tenure.round(), unit="D")
    f = pd.DataFrame({"customer_id": [f"{prefix}-{i:06d}" for i in range(n)],
                      "first_seen": first.strftime("%Y-%m-%d"), "last_purchase": last.strftime("%Y-%m-%d"),
                      "orders": orders, "total_spent": np.round(np.maximum(spent, 0.5), 2)})
    for name, col in (("sessions_90d", sessions), ("email_opens_90d", opens), ("email_clicks_90d", clicks),
                      ("social_engagements_90d", social)):
        if col is not None:
            f[name] = np.maximum(np.asarray(col, dtype=float).round(), 0).astype(int)
    f["age"] = (np.clip(np.asarray(age).round(), 18, 90).astype(int) if age is not None
                else rng.integers(18, 80, n))
    f["channel"] = channel if channel is not None else rng.choice(CHANNELS, n)
    f["gender"] = rng.choice(["female", "male"], n)
    f["location"] = rng.choice(["US", "GB", "DE", "FR"], n, p=[0.55, 0.2, 0.15, 0.1])
    f["channel"] = f["channel"].astype(object)
    for col in [c for c in f.columns if c not in ("customer_id", "orders", "total_spent")]:
        blank = rng.random(n) < missing
        f[col] = f[col].astype(object).where(~blank, None)
    return f


def _sizes(rng: np.random.Generator, n: int, shares) -> np.ndarray:
    shares = np.asarray(shares, dtype=float)
    return rng.choice(len(shares), size=n, p=shares / shares.sum())


def lognormal_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Correlated log-normal groups in recency, orders, order value and engagement."""
    rng = np.random.default_rng(seed)
    # log-means: recency days, orders, order value, sessions, tenure days
    centres = np.log([[12, 14, 70, 30, 700], [240, 1.6, 45, 2, 500], [35, 2.2, 28, 14, 70],
                      [110, 5, 260, 5, 900], [30, 6, 35, 45, 400], [420, 5, 60, 1.5, 1000]])[:groups]
    spread = [0.45, 0.5, 0.45, 0.55, 0.5, 0.45]
    truth = _sizes(rng, n, [0.2, 0.25, 0.2, 0.12, 0.13, 0.1][:groups])
    z = np.empty((n, 5))
    for g in range(groups):
        m = truth == g
        a = rng.normal(0, 0.35, (5, 5))
        cov = spread[g] ** 2 * (np.eye(5) * 0.7 + a @ a.T * 0.3 / 5 * 2)
        z[m] = rng.multivariate_normal(centres[g], cov, int(m.sum()))
    rec, orders, aov, sess, ten = np.exp(z).T
    orders = 1 + rng.poisson(np.maximum(orders - 1, 0.05))
    return _frame(rng, recency=rec, orders=orders, spent=orders * aov, tenure=np.maximum(ten, rec + 1),
                  sessions=rng.poisson(sess), opens=rng.poisson(sess * 0.5), clicks=rng.poisson(sess * 0.12),
                  social=rng.poisson(sess * 0.3), prefix=f"ln{seed}"), truth


def process_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Each group a purchase process (orders per year, drop-out per order, order value, tenure)."""
    rng = np.random.default_rng(seed)
    # orders/year, drop-out probability per order, mean order value, tenure range (days), sessions if alive
    spec = [(14.0, 0.03, 55.0, (400, 1100), 25), (1.0, 0.8, 40.0, (300, 1100), 2),
            (3.0, 0.06, 250.0, (300, 1100), 6), (6.0, 0.05, 30.0, (20, 120), 20),
            (8.0, 0.25, 70.0, (600, 1100), 1.5), (30.0, 0.02, 15.0, (200, 900), 40)][:groups]
    truth = _sizes(rng, n, [0.2, 0.3, 0.15, 0.15, 0.12, 0.08][:groups])
    rate = np.array([s[0] for s in spec])[truth] / 365 * rng.gamma(12, 1 / 12, n)
    drop = np.clip(np.array([s[1] for s in spec])[truth] * rng.gamma(10, 0.1, n), 0, 0.95)
    aov = np.array([s[2] for s in spec])[truth] * rng.gamma(6, 1 / 6, n)
    lo, hi = np.array([s[3][0] for s in spec])[truth], np.array([s[3][1] for s in spec])[truth]
    tenure = rng.uniform(lo, hi)
    orders, last = np.ones(n, dtype=int), np.zeros(n)
    alive = np.ones(n, dtype=bool)
    t = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():  # one order at a time for everyone still buying within their tenure
        t[active] += rng.exponential(1 / rate[active])
        within = active & (t <= tenure)
        orders[within] += 1
        last[within] = t[within]
        leaves = within & (rng.random(n) < drop)
        alive[leaves] = False
        active = within & ~leaves
    spent = np.array([rng.gamma(6, a / 6, k).sum() for a, k in zip(aov, orders)])
    sess_rate = np.array([s[4] for s in spec])[truth] * np.where(alive, 1.0, 0.4)
    return _frame(rng, recency=tenure - last, orders=orders, spent=spent, tenure=tenure,
                  sessions=rng.negative_binomial(2, 2 / (2 + sess_rate)),
                  opens=rng.poisson(sess_rate * 0.6), clicks=rng.poisson(sess_rate * 0.15),
                  social=rng.poisson(sess_rate * 0.2), prefix=f"pr{seed}"), truth


def heavy_tail_base(n: int, *, groups: int = 4, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Pareto spend, negative-binomial orders; groups differ in age and channel too; no e-mail fields."""
    rng = np.random.default_rng(seed)
    # mean orders, NB dispersion, Pareto scale of order value, recency scale, age mean, channel weights
    spec = [(18, 3, 40, 15, 34, [0.1, 0.1, 0.6, 0.1, 0.1]), (1.5, 1.5, 25, 300, 52, [0.5, 0.2, 0.1, 0.1, 0.1]),
            (3, 2, 200, 90, 61, [0.1, 0.1, 0.2, 0.5, 0.1]), (5, 2, 20, 25, 24, [0.1, 0.3, 0.05, 0.05, 0.5]),
            (9, 3, 90, 200, 45, [0.2, 0.2, 0.2, 0.2, 0.2]), (2, 1.5, 60, 40, 38, [0.3, 0.3, 0.1, 0.2, 0.1])][:groups]
    truth = _sizes(rng, n, [0.3, 0.3, 0.2, 0.2, 0.15, 0.15][:groups])
    mean_orders = np.array([s[0] for s in spec])[truth]
    k = np.array([s[1] for s in spec])[truth]
    orders = 1 + rng.negative_binomial(k * 2, 2 * k / (2 * k + mean_orders - 1))
    scale = np.array([s[2] for s in spec])[truth]
    aov = scale * (1 + rng.pareto(4.0, n)) * rng.lognormal(0, 0.25, n)
    rec = np.array([s[3] for s in spec])[truth] * rng.weibull(1.6, n)
    age = np.array([s[4] for s in spec])[truth] + rng.normal(0, 6, n)
    channel = np.array([rng.choice(CHANNELS, p=spec[g][5]) for g in truth])
    tenure = rec + rng.gamma(3, 120, n)
    sessions = rng.poisson(mean_orders * rng.gamma(2, 1.0, n))
    return _frame(rng, recency=rec, orders=orders, spent=orders * aov, tenure=tenure, sessions=sessions,
                  age=age, channel=channel, prefix=f"ht{seed}"), truth


def latent_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Groups on a latent (activity, value) plane; each field a noisy monotone function of it."""
    rng = np.random.default_rng(seed)
    spots = np.array([[2.0, 1.8], [-1.8, -0.6], [0.2, -1.6], [-0.4, 2.0], [1.8, -1.2], [-2.0, 1.2]])[:groups]
    truth = _sizes(rng, n, [0.25, 0.25, 0.2, 0.15, 0.15, 0.1][:groups])
    act = spots[truth, 0] + rng.normal(0, 0.45, n)
    val = spots[truth, 1] + rng.normal(0, 0.45, n)
    orders = 1 + rng.poisson(np.exp(1.0 + 0.8 * act))
    aov = np.exp(3.8 + 0.55 * val + rng.normal(0, 0.2, n))
    rec = 600 / (1 + np.exp(1.6 * act + rng.normal(0, 0.4, n))) + rng.exponential(3, n)
    sess = rng.poisson(np.exp(1.5 + 0.6 * act + 0.3 * val))
    opens = rng.binomial(30, 1 / (1 + np.exp(-(0.7 * act - 0.8))))
    tenure = rec + rng.gamma(2, 200, n)
    return _frame(rng, recency=rec, orders=orders, spent=orders * aov, tenure=tenure, sessions=sess,
                  opens=opens, clicks=rng.binomial(opens, 0.2), prefix=f"lt{seed}"), truth


def unequal_base(n: int, *, groups: int = 6, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Six groups of very unequal size, two told apart mainly by engagement; gamma counts."""
    rng = np.random.default_rng(seed)
    # recency mean, orders mean, order value mean, sessions mean, social mean (gamma shape 4)
    spec = [(20, 10, 50, 40, 20), (20, 10, 50, 3, 1), (300, 1.5, 30, 2, 1), (60, 3, 300, 8, 2),
            (8, 30, 25, 60, 35), (500, 4, 80, 1, 0.5)][:groups]
    truth = _sizes(rng, n, [0.25, 0.4, 0.2, 0.08, 0.05, 0.02][:groups])

    def g(i: int, shape: float = 4.0) -> np.ndarray:
        return rng.gamma(shape, np.array([s[i] for s in spec])[truth] / shape)

    orders = 1 + np.round(g(1, 5.0))
    sess, social = g(3, 3.0), g(4, 3.0)
    return _frame(rng, recency=g(0, 3.0), orders=orders, spent=orders * g(2, 5.0),
                  tenure=g(0, 3.0) + rng.gamma(2, 250, n), sessions=sess, opens=rng.poisson(sess * 0.5),
                  social=social, prefix=f"uq{seed}"), truth


def channel_mix_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Groups by channel mix and engagement, drawn through a Student-t copula.

    Each group has its own correlation between the fields (random loadings on two shared
    factors) and heavy joint tails (t with 5 degrees of freedom); the uniforms are mapped to
    negative-binomial counts, gamma days and log-normal order values at the group's means.
    """
    rng = np.random.default_rng(seed)
    # sessions, opens, clicks, social, orders, order value, recency days, tenure days
    means = np.array([[12, 25, 6, 1, 6, 60, 40, 700],     # e-mail loyalists
                      [25, 2, 0.5, 30, 2, 25, 60, 300],   # social browsers
                      [2, 3, 0.6, 0.5, 2.5, 320, 90, 900],  # quiet big spenders
                      [40, 8, 2, 4, 15, 35, 10, 600],     # web regulars
                      [1, 1, 0.1, 0.5, 1.5, 45, 400, 800],  # lapsed
                      [15, 6, 1.5, 8, 1.2, 50, 8, 30]])[:groups]  # newcomers
    truth = _sizes(rng, n, [0.22, 0.2, 0.12, 0.18, 0.18, 0.1][:groups])
    u = np.empty((n, 8))
    for g in range(groups):
        m = np.flatnonzero(truth == g)
        load = rng.normal(0, 0.6, (8, 2))
        cov = load @ load.T + np.eye(8) * 0.6
        corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
        z = rng.multivariate_normal(np.zeros(8), corr, len(m))
        t = z / np.sqrt(rng.chisquare(5, (len(m), 1)) / 5)
        u[m] = stats.t.cdf(t, 5)
    u = np.clip(u, 1e-6, 1 - 1e-6)
    mu = means[truth]

    def nb(j: int, size: float = 2.0) -> np.ndarray:
        return stats.nbinom.ppf(u[:, j], size, size / (size + mu[:, j]))

    sessions, opens, clicks, social = nb(0), nb(1), nb(2), nb(3)
    orders = 1 + nb(4, 3.0)
    aov = mu[:, 5] * np.exp(0.35 * stats.norm.ppf(u[:, 5]))
    rec = stats.gamma.ppf(u[:, 6], 2.0, scale=mu[:, 6] / 2.0)
    tenure = rec + stats.gamma.ppf(u[:, 7], 3.0, scale=mu[:, 7] / 3.0)
    return _frame(rng, recency=rec, orders=orders, spent=orders * aov, tenure=tenure, sessions=sessions,
                  opens=opens, clicks=np.minimum(clicks, opens), social=social, prefix=f"cm{seed}"), truth


def subspace_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A majority of ordinary customers, and smaller groups that differ from it on a few fields each.

    Eight latent log-scale behaviours (order rate, order value, recency, tenure, sessions,
    e-mail, social, age) share a correlation (activity drives orders, sessions and e-mail
    together) and Student-t noise with 4 degrees of freedom. Group 0 is the baseline; each
    other group moves only its own two or three behaviours. Blanks: e-mail fields go missing
    more often for long-lapsed customers, age more often for young ones (about 3% overall).
    """
    rng = np.random.default_rng(seed)
    names = ("rate", "aov", "recency", "tenure", "sessions", "email", "social", "age")
    base = np.array([np.log(3.0), np.log(45.0), np.log(60.0), np.log(500.0), np.log(8.0), np.log(5.0),
                     np.log(2.0), np.log(38.0)])
    scale = np.array([0.55, 0.4, 0.6, 0.5, 0.6, 0.7, 0.8, 0.22])
    shifts = [{},                                                   # ordinary customers
              {"recency": 1.9, "sessions": -1.4, "email": -1.2},     # drifted away
              {"aov": 1.3, "rate": -0.7},                           # occasional big baskets
              {"email": 1.8, "rate": 0.9},                          # e-mail loyalists
              {"social": 2.0, "age": -0.45, "tenure": -0.9},        # young, social, recent
              {"rate": 1.6, "sessions": 1.3, "recency": -1.5}]      # heavy regulars
    shares = [0.5, 0.25, 0.1, 0.1, 0.05, 0.05]
    order = [0, 1, 2, 3, 4, 5][:groups]
    truth = _sizes(rng, n, [shares[i] for i in order])
    centre = np.tile(base, (groups, 1))
    for g, spec in enumerate(shifts[:groups]):
        for field, d in spec.items():
            j = names.index(field)
            centre[g, j] += d * scale[j] / 0.5  # shifts are in units of about two noise spreads
    corr = np.eye(8)
    for a, b, r in (("rate", "sessions", 0.5), ("rate", "email", 0.35), ("sessions", "email", 0.4),
                    ("recency", "sessions", -0.3), ("aov", "rate", -0.2), ("tenure", "rate", 0.15)):
        i, j = names.index(a), names.index(b)
        corr[i, j] = corr[j, i] = r
    z = rng.multivariate_normal(np.zeros(8), corr, n) / np.sqrt(rng.chisquare(4, (n, 1)) / 4)
    z = np.clip(z, -5, 5)
    lat = centre[truth] + z * scale
    rate, aov, rec, ten, sess, email, social, age = np.exp(lat).T
    tenure = np.maximum(ten, rec + 1)
    orders = 1 + rng.poisson(rate * tenure / 365 * 0.4)
    spent = orders * aov * rng.gamma(8, 1 / 8, n)
    opens = rng.poisson(email)
    f = _frame(rng, recency=rec, orders=orders, spent=spent, tenure=tenure, sessions=rng.poisson(sess),
               opens=opens, clicks=rng.binomial(opens, 0.18), social=rng.poisson(social), age=age,
               channel=np.where(social > 6, "tiktok", rng.choice(CHANNELS[:4], n)), prefix=f"ss{seed}",
               missing=0.0)
    # Missing at random: the chance of a blank depends on another, observed field.
    lapsed = rec > np.quantile(rec, 0.8)
    young = age < 30
    for col, p in (("email_opens_90d", np.where(lapsed, 0.09, 0.015)), ("email_clicks_90d", np.where(lapsed, 0.09, 0.015)),
                   ("age", np.where(young, 0.08, 0.02)), ("sessions_90d", np.full(n, 0.03)),
                   ("social_engagements_90d", np.full(n, 0.03)), ("first_seen", np.full(n, 0.03)),
                   ("last_purchase", np.full(n, 0.03)), ("channel", np.full(n, 0.03))):
        f[col] = f[col].astype(object).where(rng.random(n) >= p, None)
    return f, truth


def skewed_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Skew-normal groups of random (Dirichlet) sizes that differ by unequal amounts on different fields.

    Each group shifts a random half of six latent behaviours (order rate, order value,
    recency, sessions, e-mail, social) by 1 to 3 noise spreads, with a skew (skew-normal,
    shape -4..4) of its own per field; age is pure noise (a beta) that no group moves, and
    counts are zero-inflated. Written by helper "seg" before any of its tuning; held out.
    """
    rng = np.random.default_rng(seed + 7919)
    shares = rng.dirichlet(np.full(groups, 2.0))
    shares = np.maximum(shares, 0.05)
    truth = _sizes(rng, n, shares)
    base = np.array([np.log(4.0), np.log(50.0), np.log(50.0), np.log(10.0), np.log(6.0), np.log(2.0)])
    centre = np.tile(base, (groups, 1))
    for g in range(1, groups):
        fields = rng.choice(6, size=3, replace=False)
        centre[g, fields] += rng.choice([-1, 1], 3) * rng.uniform(1.0, 3.0, 3) * 0.5
    skew = rng.uniform(-4, 4, (groups, 6))
    lat = np.empty((n, 6))
    for g in range(groups):
        m = truth == g
        for j in range(6):
            z = stats.skewnorm.rvs(skew[g, j], size=int(m.sum()), random_state=rng)
            z = (z - z.mean()) / max(z.std(), 1e-9)
            lat[m, j] = centre[g, j] + 0.5 * z
    rate, aov, rec, sess, email, social = np.exp(lat).T
    tenure = rec + rng.gamma(2.5, 200, n)
    orders = 1 + rng.poisson(rate * tenure / 365)
    zero = rng.random(n) < 0.15
    social_n = np.where(zero, 0, rng.poisson(social))
    opens = rng.poisson(email)
    age = 18 + 62 * rng.beta(2.0, 3.0, n)
    return _frame(rng, recency=rec, orders=orders, spent=orders * aov, tenure=tenure, sessions=rng.poisson(sess),
                  opens=opens, clicks=rng.binomial(opens, 0.2), social=social_n, age=age,
                  prefix=f"sk{seed}"), truth


def shop_log_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Pareto/NBD-like buyers: each group a gamma-spread buying rate, an exponential lifetime
    and a log-normal basket; engagement falls off after a customer leaves, and e-mail opens are
    beta-binomial over 20 sends at the group's open rate. Written by helper "seg" before any of
    its tuning; held out.
    """
    rng = np.random.default_rng(seed + 104729)
    # purchases/year, lifetime mean (days), basket mean, open rate, sessions/90d alive, tenure max (days)
    spec = [(10.0, 2000, 40.0, 0.45, 20, 1200), (1.5, 150, 35.0, 0.10, 3, 1200), (2.5, 900, 220.0, 0.25, 6, 1200),
            (20.0, 400, 18.0, 0.05, 35, 600), (4.0, 1500, 60.0, 0.70, 8, 250), (6.0, 300, 90.0, 0.30, 2, 1200)]
    order = rng.permutation(6)[:groups]
    spec = [spec[i] for i in order]
    truth = _sizes(rng, n, rng.dirichlet(np.full(groups, 3.0)) + 0.04)
    col = lambda i: np.array([s[i] for s in spec])[truth]  # noqa: E731
    rate = col(0) / 365 * rng.gamma(3.0, 1 / 3.0, n)
    tenure = rng.uniform(60, col(5))
    life = rng.exponential(col(1))
    horizon = np.minimum(tenure, life)
    orders = 1 + rng.poisson(rate * horizon)
    # the last purchase: uniform over the active horizon given the count (Poisson process)
    last = np.where(orders > 1, horizon * rng.beta(np.maximum(orders - 1, 1), 1.0), 0.0)
    alive = life > tenure
    basket = col(2) * rng.lognormal(0, 0.35, n)
    spent = orders * basket * rng.gamma(10, 0.1, n)
    open_rate = rng.beta(col(3) * 8 + 0.2, (1 - col(3)) * 8 + 0.2)
    opens = rng.binomial(20, np.where(alive, open_rate, open_rate * 0.3))
    sess = rng.negative_binomial(2, 2 / (2 + col(4) * np.where(alive, 1.0, 0.2)))
    return _frame(rng, recency=tenure - last, orders=orders, spent=spent, tenure=tenure, sessions=sess,
                  opens=opens, clicks=rng.binomial(opens, 0.15), social=rng.poisson(col(4) * 0.2),
                  prefix=f"sl{seed}"), truth


def factor_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Groups as Gaussian clouds in four hidden factors (buying, basket, e-mail, browsing), each
    with its own random covariance, seen through different links: counts are negative binomial
    on an exponential link, recency a logistic curve of buying, tenure independent of the groups.
    Written by helper "seg" after its choice of model, to check it once; never tuned on.
    """
    rng = np.random.default_rng(seed + 15485863)
    centres = rng.normal(0, 1.0, (groups, 4))
    for _ in range(500):  # spread the centres: each pair at least 3 apart in factor units
        d = np.linalg.norm(centres[:, None] - centres[None], axis=2) + np.eye(groups) * 9
        if d.min() >= 3.0:
            break
        i, j = np.unravel_index(d.argmin(), d.shape)
        centres[i] += (centres[i] - centres[j]) * 0.15
    truth = _sizes(rng, n, rng.uniform(0.1, 0.35, groups))
    f = np.empty((n, 4))
    for g in range(groups):
        m = truth == g
        a = rng.normal(0, 0.5, (4, 4))
        cov = (a @ a.T + np.eye(4) * 0.5) * rng.uniform(0.15, 0.35)
        f[m] = rng.multivariate_normal(centres[g], cov, int(m.sum()))
    buy, basket, email, browse = f.T
    orders = 1 + rng.negative_binomial(3, 3 / (3 + np.exp(1.2 + 0.9 * buy)))
    aov = np.exp(3.9 + 0.6 * basket)
    rec = 15 + 500 / (1 + np.exp(2.0 * buy + 1.0)) * rng.gamma(4, 0.25, n)
    tenure = rec + rng.gamma(2, 300, n)
    sess = rng.negative_binomial(2, 2 / (2 + np.exp(1.8 + 0.8 * browse)))
    opens = rng.binomial(25, 1 / (1 + np.exp(-(1.1 * email - 0.6))))
    social = rng.poisson(np.exp(0.3 + 0.7 * browse - 0.4 * email))
    return _frame(rng, recency=rec, orders=orders, spent=orders * aov * rng.gamma(6, 1 / 6, n), tenure=tenure,
                  sessions=sess, opens=opens, clicks=rng.binomial(opens, 0.2), social=social,
                  prefix=f"fb{seed}"), truth


GENERATORS: dict[str, Callable[..., tuple[pd.DataFrame, np.ndarray]]] = {
    "lognormal": lognormal_base, "process": process_base, "heavy_tail": heavy_tail_base,
    "latent": latent_base, "unequal": unequal_base, "channel_mix": channel_mix_base,
    "subspace": subspace_base, "skewed": skewed_base, "shop_log": shop_log_base,
    "factor": factor_base}
#: Tuning looked only at these; the others (and every seed >= 100) are held out.
TUNED_ON = ("lognormal", "process")
#: Written by helper "seg" (issue 15, second pass) before its tuning, which used the seven above
#: (seeds 1-3); these two judged it.
SEG_HELD_OUT = ("skewed", "shop_log", "factor")
