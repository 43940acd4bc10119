"""Fresh held-out customer bases for issue 15 (session 6), written by the lead before any tuning.

No helper read or ran these; the lead ran them on main at the start (f6368b7), where the segment
code is the same as after the session's merges. From now on they are seen data.
Run: ``.venv/bin/python bench/heldout_segments3.py [--tree PATH] [--seeds 1,2,3] [--difficulty]``;
``bench/seg7_ceiling.py --file bench/heldout_segments3.py --seeds 1`` gives what the groups allow. Three generators, each unlike every generator in the repo:

* ``journey``: each customer's last 52 weeks are SIMULATED as a Markov chain over weekly states
  (dormant, browsing, engaged, buying) with a transition matrix per group; sessions, opens,
  clicks and social engagements are counted from the weeks spent in each state (per-state
  Poisson rates shared by all groups); orders are the buying weeks plus pre-window orders;
  recency is the weeks since the last buying week; baskets log-logistic per group.
* ``mix``: groups differ in HOW customers engage (compositional shares of activity across web,
  email and social, Dirichlet per group), not in how much: total activity is a log-normal level
  shared by all groups; spend follows orders through a per-customer price level; 1% of
  customers are outliers (wholesale / bots: 20-100x activity or spend) kept in their group.
* ``skewed``: groups are skew-normal in a log space with a per-group skewness sign per field,
  a shared gamma frailty multiplies every activity count (so fields correlate within groups),
  ages and tenures differ by group; group sizes from a stick-breaking draw (one large group,
  a long tail down to 4%).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout_segments  # noqa: E402  (the customers table shape, the evaluation and the command line)
from heldout_segments import _records  # noqa: E402

CH = np.array(["search", "social", "email", "referral", "direct", "affiliate"])


def _sizes(rng, groups, floor=0.04):
    s = rng.dirichlet(np.full(groups, 2.0))
    s = np.maximum(s, floor)
    return s / s.sum()


def _channel(rng, truth, groups, conc=1.2):
    p = rng.dirichlet(np.full(6, conc), groups)
    return [CH[rng.choice(6, p=p[g])] for g in truth]


def journey(n, *, groups=5, seed=0):
    rng = np.random.default_rng(91_000 + seed)
    truth = rng.choice(groups, n, p=_sizes(rng, groups))
    # transition matrices: each group has its own stickiness and pull toward states
    P = np.empty((groups, 4, 4))
    for g in range(groups):
        pull = rng.dirichlet(np.full(4, 0.9))
        stick = rng.uniform(0.3, 0.85)
        for s in range(4):
            row = (1 - stick) * pull
            row[s] += stick
            P[g, s] = row / row.sum()
    rates = {"sessions": np.array([0.05, 1.5, 3.0, 4.0]), "opens": np.array([0.2, 0.6, 1.8, 1.2]),
             "social": np.array([0.02, 0.3, 1.2, 0.4])}
    ctr = rng.uniform(0.05, 0.35, groups)
    pre = np.exp(rng.uniform(np.log(0.3), np.log(8), groups))
    basket = np.exp(rng.uniform(np.log(25), np.log(220), groups))
    shape = rng.uniform(2.5, 6.0, groups)
    weeks = 52
    state = np.array([rng.choice(4, p=np.linalg.matrix_power(P[g], 30)[0]) for g in truth])
    counts = np.zeros((n, 4))
    last_buy = np.full(n, -1)
    recent = np.zeros((n, 4))   # the last 13 weeks (90 days) per state
    u = rng.random((weeks, n))
    for w in range(weeks):
        cum = np.cumsum(P[truth, state], axis=1)
        state = (u[w][:, None] > cum).sum(axis=1).clip(0, 3)
        counts[np.arange(n), state] += 1
        if w >= weeks - 13:
            recent[np.arange(n), state] += 1
        last_buy = np.where(state == 3, w, last_buy)
    sessions = rng.poisson(recent @ rates["sessions"])
    opens = rng.poisson(recent @ rates["opens"])
    social = rng.poisson(recent @ rates["social"])
    pre_orders = rng.poisson(pre[truth])
    orders = 1 + pre_orders + counts[:, 3]
    tenure = 364 + rng.gamma(2.0, 200 * (1 + pre[truth]) / 4)
    recency = np.where(last_buy >= 0, (weeks - 1 - last_buy) * 7 + rng.uniform(0, 7, n),
                       364 + rng.exponential(150, n))
    spent = np.array([stats.fisk.rvs(shape[g], scale=basket[g], size=int(k), random_state=rng).sum()
                      for g, k in zip(truth, orders)])
    age_m = rng.uniform(24, 62, groups)
    f = _records(rng, recency=recency, orders=orders, spent=spent, tenure=np.maximum(tenure, recency + 1),
                 sessions=sessions, opens=opens, clicks=rng.binomial(opens, ctr[truth]), social=social,
                 age=rng.normal(age_m[truth], 11), prefix=f"jr{seed}-")
    f["channel"] = _channel(rng, truth, groups)
    return f, truth


def mix(n, *, groups=5, seed=0):
    rng = np.random.default_rng(92_000 + seed)
    truth = rng.choice(groups, n, p=_sizes(rng, groups))
    share = rng.dirichlet(np.full(3, 1.0), groups)          # web, email, social
    conc = rng.uniform(8, 30, groups)
    level = rng.lognormal(np.log(25), 0.7, n)                 # same for every group
    s = np.array([rng.dirichlet(share[g] * conc[g] + 0.05) for g in truth])
    sessions = rng.poisson(level * s[:, 0] * 1.2)
    opens = rng.poisson(level * s[:, 1])
    social = rng.poisson(level * s[:, 2] * 0.6)
    ctr = rng.uniform(0.04, 0.3, groups)
    freq = np.exp(rng.uniform(np.log(0.6), np.log(6), groups))
    tenure = rng.uniform(60, 1500, n)
    orders = 1 + rng.negative_binomial(2, 2 / (2 + freq[truth] * tenure / 365))
    price = rng.lognormal(np.log(np.exp(rng.uniform(np.log(30), np.log(150), groups)))[truth], 0.35)
    spent = orders * price * rng.lognormal(0, 0.2, n)
    gap = 365 / np.maximum(freq[truth], 0.1)
    recency = np.minimum(rng.exponential(gap * rng.uniform(0.5, 1.5, groups)[truth]), tenure)
    out = rng.random(n) < 0.01
    mult = rng.uniform(20, 100, n)
    sessions = np.where(out, sessions * mult + 50, sessions)
    spent = np.where(out & (rng.random(n) < 0.5), spent * mult, spent)
    f = _records(rng, recency=recency, orders=orders, spent=spent, tenure=tenure, sessions=sessions,
                 opens=opens, clicks=rng.binomial(opens, ctr[truth]), social=social,
                 age=rng.normal(rng.uniform(28, 55, groups)[truth], 12), prefix=f"mx{seed}-")
    f["channel"] = _channel(rng, truth, groups, conc=2.0)
    return f, truth


def skewed(n, *, groups=5, seed=0):
    rng = np.random.default_rng(93_000 + seed)
    v = rng.beta(1.0, 2.2, groups)
    w = v * np.concatenate([[1], np.cumprod(1 - v[:-1])])
    w = np.maximum(w / w.sum(), 0.04)
    truth = rng.choice(groups, n, p=w / w.sum())
    d = 7   # log recency, log orders-1, log aov, log sessions, log opens, log social, age
    loc = rng.normal(0, 1.0, (groups, d))
    scale = rng.uniform(0.5, 1.1, (groups, d))
    skew = rng.choice([-4, 4], (groups, d)) * rng.uniform(0.5, 1.0, (groups, d))
    z = stats.skewnorm.rvs(skew[truth], loc=loc[truth], scale=scale[truth], random_state=rng)
    frailty = rng.gamma(3.0, 1 / 3.0, n)
    recency = np.exp(4.2 + 0.9 * z[:, 0])
    orders = 1 + np.round(np.exp(0.8 + 0.8 * z[:, 1]) * frailty)
    aov = np.exp(4.2 + 0.5 * z[:, 2])
    sessions = rng.poisson(np.exp(1.6 + 0.8 * z[:, 3]) * frailty)
    opens = rng.poisson(np.exp(1.0 + 0.7 * z[:, 4]) * frailty)
    social = rng.poisson(np.exp(0.2 + 0.9 * z[:, 5]) * frailty)
    tenure = recency + rng.gamma(2.0, 150 + 60 * np.maximum(orders, 1) ** 0.5)
    f = _records(rng, recency=recency, orders=orders, spent=orders * aov * rng.lognormal(0, 0.25, n),
                 tenure=tenure, sessions=sessions, opens=opens,
                 clicks=rng.binomial(opens, rng.uniform(0.05, 0.3, groups)[truth]), social=social,
                 age=42 + 9 * z[:, 6], prefix=f"sk{seed}-")
    f["channel"] = _channel(rng, truth, groups)
    return f, truth


GENERATORS = {"journey": journey, "mix": mix, "skewed": skewed}


if __name__ == "__main__":
    heldout_segments.cli(GENERATORS, __doc__)
