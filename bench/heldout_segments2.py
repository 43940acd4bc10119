"""Fresh held-out customer bases for issue 15 (session 5), written by the lead before any tuning.

No helper read or ran these; the lead ran them on main at the start (fee754e) and after the
session's merges (3b87db8). From now on they are seen data.
Run: ``.venv/bin/python bench/heldout_segments2.py [--tree PATH] [--seeds 1,2,3] [--difficulty]``. Three generators, each unlike every generator in the repo:

* ``purchase_process``: each customer's history is SIMULATED event by event: purchases a
  Poisson process with a per-customer rate (gamma heterogeneity around the group's mean),
  drop-out after each purchase with the group's probability (BG/NBD-like), order values
  gamma-gamma; recency, orders, total spent and tenure are read off the simulated events.
  Engagement is per-customer gamma-Poisson around group rates; opens and clicks are linked.
  Acquisition channel depends mildly on the group.
* ``factor_t``: groups live in a 3-dimensional latent space (fewer latent dimensions than fields),
  with heavy-tailed (Student t, 4 df) scatter; the fields are noisy non-linear read-outs of the
  latent factors (counts Poisson-lognormal, money log-normal, recency exponential); very
  unequal group sizes.
* ``nested``: two or three broad groups that differ on many fields, each split into sub-groups
  that differ on two or three fields only (say, email versus social engagement). Groups are the
  sub-groups.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout_segments  # noqa: E402  (the customers table shape and the evaluation)
from heldout_segments import _records  # noqa: E402


def purchase_process(n, *, groups=5, seed=0):
    rng = np.random.default_rng(70_000 + seed)
    shares = rng.dirichlet(np.full(groups, 2.5))
    shares = np.maximum(shares, 0.05)
    truth = rng.choice(groups, n, p=shares / shares.sum())
    lo = lambda a, b: np.exp(rng.uniform(np.log(a), np.log(b), groups))  # noqa: E731
    rate = lo(1.0, 20.0)          # purchases per year while alive
    drop = rng.uniform(0.02, 0.4, groups)
    aov = lo(20, 250)
    ten = lo(90, 1100)
    sess, opens_r, ctr, soc = lo(1, 40), lo(0.5, 15), rng.uniform(0.03, 0.3, groups), lo(0.3, 20)
    age_m = rng.uniform(25, 60, groups)
    tenure = np.maximum(rng.gamma(3, ten[truth] / 3), 5)
    lam = rng.gamma(2.0, rate[truth] / 2.0) / 365.0
    orders = np.ones(n, int)
    last = np.zeros(n)
    spent = np.zeros(n)
    cust_aov = rng.gamma(6.0, aov[truth] / 6.0)
    for i in range(n):
        t, k, total = 0.0, 1, rng.gamma(4.0, cust_aov[i] / 4.0)
        while True:
            if rng.random() < drop[truth[i]] and k > 1:
                break
            t += rng.exponential(1 / max(lam[i], 1e-6))
            if t > tenure[i]:
                break
            k += 1
            total += rng.gamma(4.0, cust_aov[i] / 4.0)
            last[i] = t
        orders[i], spent[i] = k, total
    recency = tenure - last
    alive = recency < 120
    eng = rng.gamma(2.0, 0.5, n) * np.where(alive, 1.0, 0.4)
    opens = rng.poisson(opens_r[truth] * eng)
    f = _records(rng, recency=recency, orders=orders, spent=spent, tenure=tenure,
                 sessions=rng.poisson(sess[truth] * eng), opens=opens, clicks=rng.binomial(opens, ctr[truth]),
                 social=rng.poisson(soc[truth] * rng.gamma(1.5, 1 / 1.5, n)), age=rng.normal(age_m[truth], 10),
                 prefix=f"pp{seed}-")
    chan_p = rng.dirichlet(np.full(6, 1.5), groups)
    ch = np.array(["search", "social", "email", "referral", "direct", "affiliate"])
    f["channel"] = [ch[rng.choice(6, p=chan_p[g])] for g in truth]
    return f, truth


def factor_t(n, *, groups=5, seed=0):
    rng = np.random.default_rng(80_000 + seed)
    q = 3
    locs = [rng.normal(0, 1, q)]
    while len(locs) < groups:
        step = rng.normal(0, 1, q)
        cand = locs[rng.integers(len(locs))] + step / np.linalg.norm(step) * rng.uniform(2.6, 3.4)
        if min(np.linalg.norm(cand - m) for m in locs) >= 2.5:
            locs.append(cand)
    locs = np.array(locs)
    shares = np.sort(rng.dirichlet(np.full(groups, 1.2)))[::-1]
    shares = np.maximum(shares, 0.04)
    truth = rng.choice(groups, n, p=shares / shares.sum())
    scat = rng.uniform(0.5, 0.9, groups)
    t = rng.standard_t(4, (n, q)) * np.sqrt(0.5)          # unit-ish scale, heavy tails
    z = locs[truth] + t * scat[truth, None]
    W = rng.normal(0, 0.6, (9, q))                         # loadings of the nine read-outs
    eta = z @ W.T + rng.normal(0, 0.35, (n, 9))
    tenure = 400 * np.exp(0.5 * eta[:, 3]) + 10
    orders = 1 + rng.poisson(3.0 * np.exp(0.7 * eta[:, 0]) * tenure / 365)
    spent = orders * 60 * np.exp(0.6 * eta[:, 1])
    recency = np.minimum(rng.exponential(60 * np.exp(0.8 * eta[:, 2])), tenure)
    opens = rng.poisson(5 * np.exp(0.7 * eta[:, 5]))
    return _records(rng, recency=recency, orders=orders, spent=spent, tenure=np.maximum(tenure, recency + 1),
                    sessions=rng.poisson(10 * np.exp(0.7 * eta[:, 4])), opens=opens,
                    clicks=rng.binomial(opens, 1 / (1 + np.exp(-(-1.8 + 0.6 * eta[:, 6])))),
                    social=rng.poisson(3 * np.exp(0.8 * eta[:, 7])), age=42 + 9 * eta[:, 8],
                    prefix=f"ft{seed}-"), truth


def nested(n, *, groups=5, seed=0):
    rng = np.random.default_rng(90_000 + seed)
    broad = 2 if groups <= 4 else 3
    parent = np.array([g % broad for g in range(groups)])
    d = 9
    base = rng.normal(0, 1.3, (broad, d))                  # broad groups differ on many fields
    centre = base[parent].copy()
    for g in range(groups):                                # each sub-group moves 2-3 fields clearly
        fields = rng.choice(np.arange(d), int(rng.integers(2, 4)), replace=False)
        centre[g, fields] += rng.choice([-1, 1], len(fields)) * rng.uniform(1.6, 2.4, len(fields))
    shares = rng.dirichlet(np.full(groups, 3.0))
    truth = rng.choice(groups, n, p=shares)
    sd = rng.uniform(0.6, 0.9, (groups, d))
    z = centre[truth] + rng.normal(0, 1, (n, d)) * sd[truth]
    tenure = 350 * np.exp(0.55 * z[:, 3]) + 10
    orders = 1 + rng.poisson(2.5 * np.exp(0.6 * z[:, 0]) * tenure / 365)
    spent = orders * 50 * np.exp(0.5 * z[:, 1] + rng.normal(0, 0.2, n))
    recency = np.minimum(45 * np.exp(0.8 * z[:, 2]), tenure)
    opens = rng.poisson(4 * np.exp(0.6 * z[:, 5]))
    return _records(rng, recency=recency, orders=orders, spent=spent, tenure=np.maximum(tenure, recency + 1),
                    sessions=rng.poisson(8 * np.exp(0.6 * z[:, 4])), opens=opens,
                    clicks=rng.binomial(opens, 1 / (1 + np.exp(-(-1.7 + 0.7 * z[:, 6])))),
                    social=rng.poisson(2.5 * np.exp(0.7 * z[:, 7])), age=42 + 8 * z[:, 8],
                    prefix=f"ns{seed}-"), truth


GENERATORS = {"purchase_process": purchase_process, "factor_t": factor_t, "nested": nested}


if __name__ == "__main__":
    heldout_segments.cli(GENERATORS, __doc__)
