"""One more customer base with known groups, written by helper "seg2" before tuning the latent class model.

``hurdle_base`` is made unlike the generators in ``_segments_synth.py``: every customer has
a personal activity frailty (a gamma multiplier) shared by their purchases and their
browsing, so fields are correlated *within* a group (the latent class model's independence
assumption does not hold); engagement is a hurdle (a customer either subscribes to e-mail
/ follows on social or shows exactly zero there, with a share that differs by group);
purchases come from a buy-till-you-die process in continuous time (Poisson buying, an
exponential lifetime, observed over the customer's tenure); spend is a sum of gamma order
values; group sizes are drawn per seed (Dirichlet, at least 4% each); ages are skewed (gamma)
with blanks more likely for older customers (missing not at random), and sessions go blank
more often for dormant customers. It is kept as the held-out figure of the latent class work
and never tuned on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.core._segments_synth import AS_OF, CHANNELS

# buy rate per year, mean lifetime (years), mean order value, tenure range (days),
# P(e-mail subscriber), P(social follower), sessions per 90 days while alive, age mean, channel weights
ARCHETYPES = [
    (10.0, 6.0, 45.0, (300, 1500), 0.85, 0.2, 18.0, 44, [0.2, 0.1, 0.5, 0.15, 0.05]),   # loyal e-mail buyers
    (1.5, 0.6, 35.0, (200, 1500), 0.3, 0.1, 3.0, 50, [0.5, 0.2, 0.1, 0.15, 0.05]),     # one-and-done
    (3.0, 4.0, 220.0, (400, 1500), 0.5, 0.05, 5.0, 58, [0.3, 0.1, 0.2, 0.35, 0.05]),    # occasional big baskets
    (6.0, 3.0, 30.0, (15, 150), 0.4, 0.8, 25.0, 27, [0.1, 0.3, 0.05, 0.1, 0.45]),       # new social shoppers
    (25.0, 5.0, 18.0, (300, 1200), 0.2, 0.3, 45.0, 36, [0.3, 0.2, 0.1, 0.35, 0.05]),    # heavy small-basket regulars
    (4.0, 1.5, 80.0, (700, 1800), 0.7, 0.5, 2.0, 47, [0.25, 0.25, 0.25, 0.2, 0.05]),    # lapsed former regulars
]


def hurdle_base(n: int, *, groups: int = 5, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Frailty-correlated buy-till-you-die groups with hurdle engagement (see the module doc)."""
    rng = np.random.default_rng(seed + 7919)
    spec = ARCHETYPES[:groups]
    shares = rng.dirichlet(np.full(groups, 3.0))
    shares = np.maximum(shares, 0.04)
    truth = rng.choice(groups, size=n, p=shares / shares.sum())
    # Per-seed perturbation of each archetype (+-20%), so no seed repeats another's groups exactly.
    jig = np.exp(rng.uniform(-0.2, 0.2, (groups, 4)))

    def col(i: int) -> np.ndarray:
        return np.array([s[i] for s in spec], dtype=float)[truth]

    frailty = rng.gamma(3.0, 1 / 3.0, n)  # shared by buying and browsing: within-group correlation
    rate = col(0) * jig[truth, 0] * frailty / 365.0
    lifetime = rng.exponential(col(1) * jig[truth, 1] * 365.0)
    lo, hi = np.array([s[3][0] for s in spec])[truth], np.array([s[3][1] for s in spec])[truth]
    tenure = rng.uniform(lo, hi)
    active_span = np.minimum(lifetime, tenure)
    repeat = rng.poisson(rate * active_span)
    orders = 1 + repeat
    # The last purchase of k repeat purchases in [0, span] (Poisson: the max of k uniforms).
    last = np.where(repeat > 0, active_span * rng.beta(np.maximum(repeat, 1), 1.0), 0.0)
    recency = tenure - last
    alive = lifetime > tenure
    aov = col(2) * jig[truth, 2]
    spent = rng.gamma(2.5 * orders, aov / 2.5)
    subscribed = rng.random(n) < col(4)
    follower = rng.random(n) < col(5)
    sess_rate = col(6) * jig[truth, 3] * frailty * np.where(alive, 1.0, 0.15)
    sessions = rng.poisson(sess_rate)
    opens = np.where(subscribed, rng.negative_binomial(1.5, 1.5 / (1.5 + 0.6 * sess_rate + 1.0)), 0)
    clicks = rng.binomial(opens, 0.25)
    social = np.where(follower, rng.poisson(0.5 * sess_rate + 2.0), 0)
    age = 18 + rng.gamma(4.0, (col(7) - 18) / 4.0)
    channel = np.array([rng.choice(CHANNELS, p=spec[g][8]) for g in truth], dtype=object)
    last_day = AS_OF - pd.to_timedelta(recency.round(), unit="D")
    first_day = AS_OF - pd.to_timedelta(np.maximum(tenure, recency).round(), unit="D")
    f = pd.DataFrame({"customer_id": [f"hd{seed}-{i:06d}" for i in range(n)],
                      "first_seen": first_day.strftime("%Y-%m-%d"), "last_purchase": last_day.strftime("%Y-%m-%d"),
                      "orders": orders.astype(int), "total_spent": np.round(np.maximum(spent, 0.5), 2),
                      "sessions_90d": sessions.astype(int), "email_opens_90d": opens.astype(int),
                      "email_clicks_90d": clicks.astype(int), "social_engagements_90d": social.astype(int),
                      "age": np.clip(age.round(), 18, 95).astype(int), "channel": channel,
                      "gender": rng.choice(["female", "male"], n),
                      "location": rng.choice(["US", "GB", "DE", "FR"], n)})
    blanks = {"age": np.where(age > 60, 0.08, 0.02), "sessions_90d": np.where(alive, 0.02, 0.06)}
    for c in ("first_seen", "last_purchase", "email_opens_90d", "email_clicks_90d", "social_engagements_90d",
              "channel"):
        blanks[c] = np.full(n, 0.03)
    for c, p in blanks.items():
        f[c] = f[c].astype(object).where(rng.random(n) >= p, None)
    return f, truth
