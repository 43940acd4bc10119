"""Fresh held-out customer bases for issue 15 (session 4), written by the lead before any tuning.

Run: ``.venv/bin/python bench/heldout_segments.py [--tree PATH] [--seeds 1,2,3]``: the
defaults of ``SegmentModel(random_state=0)`` on each base (3,000 customers, 4/5/6 groups),
adjusted Rand index and whether the number of groups was right. ``--difficulty`` prints a
supervised classifier's accuracy instead (how separable the groups are).

No helper saw or ran these until the session-4 note; from then on they are seen data.

Each generator draws its own group parameters from the seed,
so every seed is a different 'advertiser'. Groups overlap; 4-6 of them; ~3% of the optional
fields blank.

* ``latent_class``: local independence given the class (the classic latent class model):
  orders 1 + Poisson, order value gamma, recency exponential within tenure, engagement
  negative binomial, all with class-specific means drawn at random; sizes Dirichlet(2).
* ``personas``: marketing personas (new, loyal, lapsed, bargain hunter, VIP, browser) with a
  shared per-customer 'interest' factor that moves every behaviour a little, so fields are
  correlated within groups; sizes fixed but unequal.
* ``copula``: a Gaussian copula per group with a random correlation matrix, marginals
  negative binomial / log-normal / Weibull / zero-inflated Poisson; group locations drawn in
  latent space at a moderate separation, so neighbours overlap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

AS_OF = pd.Timestamp("2026-03-31")
CHANNELS = np.array(["search", "social", "email", "referral", "direct", "affiliate"])


def _records(rng, *, recency, orders, spent, tenure, sessions, opens, clicks, social, age, prefix, missing=0.03):
    n = len(orders)
    orders = np.maximum(np.round(orders).astype(int), 1)
    tenure = np.maximum(np.asarray(tenure, float), 1.0)
    recency = np.clip(np.asarray(recency, float), 0, tenure)
    f = pd.DataFrame({
        "customer_id": [f"{prefix}{i:07d}" for i in range(n)],
        "first_seen": (AS_OF - pd.to_timedelta(np.round(tenure), unit="D")).strftime("%Y-%m-%d"),
        "last_purchase": (AS_OF - pd.to_timedelta(np.round(recency), unit="D")).strftime("%Y-%m-%d"),
        "orders": orders,
        "total_spent": np.round(np.maximum(spent, 1.0), 2),
        "sessions_90d": np.maximum(np.round(sessions), 0).astype(int),
        "email_opens_90d": np.maximum(np.round(opens), 0).astype(int),
        "email_clicks_90d": np.maximum(np.round(clicks), 0).astype(int),
        "social_engagements_90d": np.maximum(np.round(social), 0).astype(int),
        "age": np.clip(np.round(age), 18, 85).astype(int),
        "gender": rng.choice(["f", "m", "x"], n, p=[0.5, 0.47, 0.03]),
        "location": rng.choice(["NL", "BE", "DE", "US", "ES"], n),
        "channel": rng.choice(CHANNELS, n),
    })
    for col in [c for c in f.columns if c not in ("customer_id", "orders", "total_spent")]:
        blank = rng.random(n) < missing
        f[col] = f[col].astype(object).where(~blank, None)
    return f


def latent_class(n, *, groups=5, seed=0):
    rng = np.random.default_rng(10_000 + seed)
    shares = rng.dirichlet(np.full(groups, 2.0))
    shares = np.maximum(shares, 0.04)
    truth = rng.choice(groups, n, p=shares / shares.sum())
    # class parameters drawn log-uniformly over plausible ranges
    lo = lambda a, b: np.exp(rng.uniform(np.log(a), np.log(b), groups))  # noqa: E731
    rate, aov, rec, ten = lo(0.3, 12), lo(15, 300), lo(7, 400), lo(60, 1200)
    sess, opens_r, clicks_r, soc = lo(0.5, 40), lo(0.2, 20), lo(0.02, 0.3), lo(0.2, 25)
    age_m = rng.uniform(24, 60, groups)
    tenure = rng.gamma(4, ten[truth] / 4)
    orders = 1 + rng.poisson(rate[truth] * tenure / 365)
    spent = np.array([rng.gamma(3, a / 3, k).sum() for a, k in zip(aov[truth], orders)])
    recency = np.minimum(rng.exponential(rec[truth]), tenure)
    nb = lambda m, size: rng.negative_binomial(size, size / (size + m))  # noqa: E731
    opens = nb(opens_r[truth], 1.5)
    return _records(rng, recency=recency, orders=orders, spent=spent, tenure=tenure,
                    sessions=nb(sess[truth], 2.0), opens=opens, clicks=rng.binomial(opens, clicks_r[truth]),
                    social=nb(soc[truth], 1.0), age=rng.normal(age_m[truth], 11), prefix=f"lc{seed}-"), truth


PERSONAS = {  # recency d, orders/yr, aov, tenure d, sessions, opens, clicks share, social, age
    "new": (20, 4.0, 45, 45, 12, 4, 0.10, 3, 31),
    "loyal": (15, 10.0, 60, 800, 25, 10, 0.15, 6, 44),
    "lapsed": (300, 2.5, 50, 700, 1, 1, 0.05, 0.5, 47),
    "bargain": (30, 14.0, 18, 500, 30, 14, 0.25, 4, 36),
    "vip": (25, 6.0, 320, 900, 15, 6, 0.12, 2, 52),
    "browser": (120, 1.2, 40, 400, 35, 2, 0.08, 18, 27),
}


def personas(n, *, groups=5, seed=0):
    rng = np.random.default_rng(20_000 + seed)
    names = list(rng.permutation(list(PERSONAS))[:groups])
    shares = np.array([0.32, 0.24, 0.18, 0.12, 0.09, 0.05][:groups])
    truth = rng.choice(groups, n, p=shares / shares.sum())
    # each persona's centre jittered per advertiser so no two seeds agree
    jitter = np.exp(rng.normal(0, 0.15, (groups, 9)))
    p = np.array([PERSONAS[k] for k in names]) * jitter
    p = p[truth]
    interest = rng.normal(0, 0.35, n)  # a customer-level factor moving every behaviour together
    tenure = p[:, 3] * np.exp(rng.normal(0, 0.5, n))
    orders = 1 + rng.poisson(p[:, 1] * np.exp(interest + rng.normal(0, 0.4, n)) * np.maximum(tenure, 30) / 365)
    aov = p[:, 2] * np.exp(0.5 * interest + rng.normal(0, 0.45, n))
    spent = orders * aov * np.exp(rng.normal(0, 0.1, n))
    recency = p[:, 0] * np.exp(-interest + rng.normal(0, 0.7, n))
    eng = np.exp(interest + rng.normal(0, 0.5, n))
    opens = rng.poisson(p[:, 5] * eng)
    return _records(rng, recency=recency, orders=orders, spent=spent, tenure=np.maximum(tenure, recency + 1),
                    sessions=rng.poisson(p[:, 4] * eng), opens=opens,
                    clicks=rng.binomial(opens, np.clip(p[:, 6], 0, 1)), social=rng.poisson(p[:, 7] * eng),
                    age=rng.normal(p[:, 8], 9), prefix=f"pe{seed}-"), truth


def _random_corr(rng, d, strength):
    a = rng.normal(0, 1, (d, d + 2))
    c = a @ a.T
    s = np.sqrt(np.diag(c))
    c = c / np.outer(s, s)
    return (1 - strength) * np.eye(d) + strength * c


def copula(n, *, groups=5, seed=0):
    rng = np.random.default_rng(30_000 + seed)
    d = 9  # rate, aov, recency, tenure, sessions, opens, clicks, social, age
    # group locations: sequentially drawn so each a step of 2.4-3.2 latent sd from another group
    locs = [rng.normal(0, 1.0, d)]
    while len(locs) < groups:  # a step of 2.4-3.2 from a random earlier group, none nearer than 2.2
        step = rng.normal(0, 1, d)
        cand = locs[rng.integers(len(locs))] + step / np.linalg.norm(step) * rng.uniform(2.4, 3.2)
        if min(np.linalg.norm(cand - m) for m in locs) >= 2.2:
            locs.append(cand)
    locs = np.array(locs)
    shares = rng.dirichlet(np.full(groups, 3.0))
    truth = rng.choice(groups, n, p=shares)
    z = np.empty((n, d))
    for g in range(groups):
        m = truth == g
        z[m] = rng.multivariate_normal(locs[g], _random_corr(rng, d, 0.5) * rng.uniform(0.5, 1.0), int(m.sum()))
    u = stats.norm.cdf(z - z.mean(0))  # copula scale, shared marginals across groups
    u = np.clip(u, 1e-6, 1 - 1e-6)
    tenure = stats.weibull_min.ppf(u[:, 3], 1.4, scale=500) + 10
    orders = 1 + stats.nbinom.ppf(u[:, 0], 1.2, 1.2 / (1.2 + 2.5 * tenure / 365))
    aov = stats.lognorm.ppf(u[:, 1], 0.8, scale=55)
    spent = orders * aov
    recency = np.minimum(stats.weibull_min.ppf(u[:, 2], 0.9, scale=90), tenure)

    def zip_(col, mean, zero):
        x = stats.poisson.ppf(np.clip((u[:, col] - zero) / (1 - zero), 0, 1 - 1e-9), mean)
        return np.where(u[:, col] < zero, 0, x)

    opens = zip_(5, 6, 0.25)
    return _records(rng, recency=recency, orders=orders, spent=spent, tenure=np.maximum(tenure, recency + 1),
                    sessions=zip_(4, 12, 0.15), opens=opens, clicks=stats.binom.ppf(u[:, 6], opens.astype(int), 0.15),
                    social=zip_(7, 5, 0.35), age=20 + 55 * stats.beta.ppf(u[:, 8], 2.2, 3.0),
                    prefix=f"cp{seed}-"), truth


GENERATORS = {"latent_class": latent_class, "personas": personas, "copula": copula}


def evaluate(seeds: list[int], generators: dict | None = None) -> pd.DataFrame:
    """The defaults of ``SegmentModel(random_state=0)`` on each base of ``generators`` (these by default)."""
    import time

    from sklearn.metrics import adjusted_rand_score
    from threadpoolctl import threadpool_limits

    from core.segments import SegmentModel

    rows = []
    with threadpool_limits(1):
        for name, make in (generators or GENERATORS).items():
            for seed in seeds:
                for g in (4, 5, 6):
                    c, truth = make(3000, groups=g, seed=seed)
                    t0 = time.perf_counter()
                    m = SegmentModel(random_state=0).fit(c)
                    rows.append({"generator": name, "seed": seed, "groups": g, "k": m.k_, "right_k": m.k_ == g,
                                 "ari": adjusted_rand_score(truth, m.labels_), "seconds": time.perf_counter() - t0})
                    print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def difficulty(seeds: list[int], generators: dict | None = None) -> None:
    """A supervised classifier's accuracy on each base: how separable the groups are."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score

    from core.segments import customer_features

    for name, make in (generators or GENERATORS).items():
        for seed in seeds:
            for g in (4, 5, 6):
                c, truth = make(3000, groups=g, seed=seed)
                X = customer_features(c).drop(columns=["channel"]).astype(float).to_numpy()
                acc = cross_val_score(HistGradientBoostingClassifier(max_iter=150), X, truth, cv=3).mean()
                print(name, seed, g, "sizes", np.bincount(truth), f"accuracy={acc:.3f}", flush=True)


def _set(assignment: str) -> None:
    """``module:ATTR=value``: one module constant changed for this run, cast to its type."""
    import importlib

    mod, kv = assignment.split(":")
    attr, val = kv.split("=")
    module = importlib.import_module(mod)
    setattr(module, attr, type(getattr(module, attr))(val))


def cli(generators: dict, description: str, argv: list[str] | None = None) -> None:
    """The command line of every held-out customer set: ARI and right k per base, or ``--difficulty``."""
    import argparse
    import sys
    from pathlib import Path

    p = argparse.ArgumentParser(description=description.splitlines()[0])
    p.add_argument("--tree", default=str(Path(__file__).resolve().parent.parent), help="the checkout to measure")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--difficulty", action="store_true")
    p.add_argument("--only", default="", help="generators to run, comma-separated (default: all)")
    p.add_argument("--set", default="", help="module:ATTR=value, e.g. core.segments.features:RANK_RULE=none")
    args = p.parse_args(argv)
    sys.path.insert(0, args.tree)
    if args.set:
        _set(args.set)
    if args.only:
        generators = {k: v for k, v in generators.items() if k in args.only.split(",")}
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.difficulty:
        difficulty(seeds, generators)
        return
    df = evaluate(seeds, generators)
    print(df.groupby("generator")[["ari", "right_k"]].mean().round(3).to_string())
    print("overall", df[["ari", "right_k"]].mean().round(3).to_dict())


if __name__ == "__main__":
    cli(GENERATORS, __doc__)
