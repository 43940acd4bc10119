"""A/B bandits: test ad variants and shift traffic or budget to the winner while the test runs.

Pure maths first, the estimator on top, then the workspace glue:

* Posteriors -- Beta-Bernoulli for proportions (click per impression, conversion per click),
  Gamma-Poisson for counts per dollar (leads per dollar). :func:`posterior_draws` samples them,
  :func:`prob_best` and :func:`expected_loss` turn the draws into decisions.
* Allocation -- :func:`allocate` gives next period's traffic or budget share per arm for
  epsilon-greedy, UCB1 and Thompson sampling (batched: probability matching), with a floor
  so that no arm starves.
* :func:`simulate` -- each policy and a fixed equal split on Bernoulli arms over a horizon,
  many runs at once (vectorised over runs), with pseudo-regret and the share of traffic
  wasted on losing arms.
* :class:`BanditAllocator` -- replays an experiment's daily results batch by batch and
  recommends the next period's shares; :func:`decide` gives the verdict and the stopping rule.
* Off-policy evaluation -- :func:`ipw` and :func:`snipw` (with CLT or bootstrap intervals)
  and :func:`evaluate_obd` on the Open Bandit Dataset logs.
* Experiments in the warehouse (``bandits_experiments``, ``bandits_arms``, ``bandits_results``),
  file import, results taken from campaigns, and the ``python -m core bandit`` handler.

Examples
--------
>>> res = simulate([0.05, 0.04], policy="thompson", horizon=2000, runs=20, random_state=0)
>>> res.final_regret.shape
(20,)
"""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from core.errors import BadInputError, NotEnoughDataError

POLICIES = ("epsilon-greedy", "ucb1", "thompson")
SIM_POLICIES = (*POLICIES, "fixed")

#: reward kind -> (success column, trial/exposure column, label, loss scale, loss unit)
REWARDS: dict[str, tuple[str, str, str, float, str]] = {
    "click_per_impression": ("clicks", "impressions", "CTR", 100.0, "points of CTR"),
    "conversion_per_click": ("conversions", "clicks", "conversion rate", 100.0, "points of conversion rate"),
    "lead_per_dollar": ("leads", "spend", "leads per $", 1000.0, "leads per $1,000"),
}
RESULT_COLUMNS = ("impressions", "clicks", "conversions", "leads", "spend")
STATE_EXPERIMENTS, STATE_ARMS, STATE_RESULTS = "bandits_experiments", "bandits_arms", "bandits_results"


def is_count_reward(reward: str) -> bool:
    """True for per-dollar rewards (Gamma-Poisson), False for proportions (Beta-Bernoulli)."""
    return _reward(reward)[1] == "spend"


def _reward(reward: str) -> tuple[str, str, str, float, str]:
    if reward not in REWARDS:
        raise BadInputError(f"Unknown reward '{reward}': use one of {', '.join(REWARDS)}.")
    return REWARDS[reward]


# ------------------------------------------------------------------ posteriors and decisions


def posterior_params(successes: np.ndarray, trials: np.ndarray, *, count: bool = False,
                     prior: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Posterior parameters per arm.

    Proportions: Beta(``a0 + successes``, ``b0 + trials - successes``), prior Beta(1, 1).
    Counts per unit of exposure: Gamma(shape ``a0 + successes``, rate ``b0 + exposure``); the
    default prior has the pooled rate as its mean and the weight of one event.

    >>> a, b = posterior_params(np.array([3]), np.array([10]))
    >>> float(a[0]), float(b[0])
    (4.0, 8.0)
    """
    s = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if count:
        if prior is None:
            pooled = (s.sum() + 1.0) / max(n.sum(), 1e-9) if n.sum() > 0 else 1.0
            prior = (1.0, 1.0 / pooled)
        return prior[0] + s, prior[1] + n
    a0, b0 = prior or (1.0, 1.0)
    return a0 + s, b0 + np.maximum(n - s, 0.0)


def posterior_draws(successes: np.ndarray, trials: np.ndarray, n: int = 20000, *, count: bool = False,
                    rng: np.random.Generator | None = None) -> np.ndarray:
    """``n`` draws of each arm's rate from its posterior: shape ``(n, K)``."""
    rng = rng or np.random.default_rng(0)
    a, b = posterior_params(successes, trials, count=count)
    if count:
        return rng.gamma(a, 1.0 / b, size=(n, len(a)))
    return rng.beta(a, b, size=(n, len(a)))


def prob_best(draws: np.ndarray) -> np.ndarray:
    """P(arm is best) per arm from posterior draws ``(n, K)`` (ties split at random)."""
    n, k = draws.shape
    return np.bincount(np.argmax(draws, axis=1), minlength=k) / n


def expected_loss(draws: np.ndarray) -> np.ndarray:
    """Expected loss of choosing each arm now: ``E[max_j theta_j - theta_k]``."""
    return (draws.max(axis=1, keepdims=True) - draws).mean(axis=0)


def apply_floor(shares: np.ndarray, floor: float) -> np.ndarray:
    """Mix shares with the uniform split so that every arm gets at least ``floor``.

    >>> apply_floor(np.array([1.0, 0.0]), 0.1).tolist()
    [0.9, 0.1]
    """
    shares = np.asarray(shares, dtype=float)
    k = len(shares)
    if floor < 0 or floor * k > 1 + 1e-12:
        raise BadInputError(f"A floor of {floor:.0%} per arm is impossible with {k} arms.")
    total = shares.sum()
    shares = shares / total if total > 0 else np.full(k, 1.0 / k)
    return floor + (1.0 - k * floor) * shares


def ucb_bonus(trials: np.ndarray, total: float, means: np.ndarray | None = None, *, count: bool = False
              ) -> np.ndarray:
    """UCB1's exploration bonus ``sqrt(2 ln N / n)``; per-dollar rewards scale it by the mean."""
    n = np.maximum(np.asarray(trials, dtype=float), 1e-12)
    bonus = np.sqrt(2.0 * np.log(max(total, 1.0)) / n)
    if count and means is not None:
        # Poisson counts per unit: variance ~ mean, so the bonus scales with sqrt(mean).
        bonus = bonus * np.sqrt(np.maximum(means, 1e-12))
    return bonus


def allocate(policy: str, successes: np.ndarray, trials: np.ndarray, *, floor: float = 0.05,
             epsilon: float = 0.1, count: bool = False, next_volume: float | None = None,
             n_draws: int = 20000, rng: np.random.Generator | None = None) -> np.ndarray:
    """Next period's share of traffic (or budget) per arm, floored.

    Parameters
    ----------
    policy : {"epsilon-greedy", "ucb1", "thompson"}
        epsilon-greedy gives ``1 - epsilon`` to the best observed mean and splits ``epsilon``;
        UCB1 hands out the next period's volume in small chunks, each to the arm with the
        highest upper bound given the chunks already handed out (batched UCB1); Thompson
        sampling gives each arm its posterior probability of being best (what per-impression
        Thompson sampling would send it in expectation over a batch).
    successes, trials : arrays
        Per arm: clicks and impressions, conversions and clicks, or leads and dollars.
    floor : float
        The least share any arm gets.
    next_volume : float, optional
        The expected volume of the next period (UCB1 only; default the mean per-arm volume so far).
    """
    s = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    k = len(s)
    rng = rng or np.random.default_rng(0)
    if k < 2:
        raise BadInputError("An experiment needs at least two arms.")
    if policy not in POLICIES:
        raise BadInputError(f"Unknown policy '{policy}': use one of {', '.join(POLICIES)}.")
    if n.sum() <= 0:
        return apply_floor(np.full(k, 1.0 / k), floor)
    means = np.where(n > 0, s / np.maximum(n, 1e-12), np.inf)
    if policy == "thompson":
        raw = prob_best(posterior_draws(s, n, n_draws, count=count, rng=rng))
    elif policy == "epsilon-greedy":
        raw = np.full(k, epsilon / k)
        best = np.flatnonzero(means == means.max())
        raw[best] += (1.0 - epsilon) / len(best)
    else:
        if (n <= 0).any():
            raw = (n <= 0).astype(float)
        else:
            volume = float(next_volume or n.sum() / k)
            chunks = 200
            step = volume / chunks
            extra = np.zeros(k)
            m = s / n
            for _ in range(chunks):
                nn = n + extra
                ucb = m + ucb_bonus(nn, nn.sum(), m, count=count)
                extra[int(np.argmax(ucb))] += step
            raw = extra / extra.sum()
    return apply_floor(raw, floor)


@dataclass
class Decision:
    """The analyst's read-out: who leads, how sure, what stopping now would cost."""

    arms: list[str]
    prob_best: np.ndarray
    expected_loss: np.ndarray
    leader: str
    stop: bool
    verdict: str
    means: np.ndarray
    intervals: np.ndarray

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"arm": self.arms, "mean": self.means, "lo": self.intervals[:, 0],
                             "hi": self.intervals[:, 1], "prob_best": self.prob_best,
                             "expected_loss": self.expected_loss})


def _pct(p: float) -> str:
    """A probability for a sentence: '97%', '99.4%', 'over 99.9%'."""
    if p > 0.999:
        return "over 99.9%"
    return f"{p:.1%}" if p > 0.99 else f"{p:.0%}"


def _fmt(v: float) -> str:
    if v == 0:
        return "about 0"      # no posterior draw favoured another arm
    if abs(v) >= 0.01:
        return f"{v:.2f}"
    return f"{v:.2g}"


def decide(arms: Sequence[str], successes: np.ndarray, trials: np.ndarray, *, reward: str = "click_per_impression",
           threshold: float = 0.95, max_loss: float | None = None, n_draws: int = 40000,
           random_state: int = 0) -> Decision:
    """P(best), expected loss of stopping now, the stopping rule and a plain-English verdict.

    The rule: stop and keep the leader when its probability of being best reaches
    ``threshold`` and (when ``max_loss`` is given, in the verdict's units) the expected loss
    of choosing it now is at most ``max_loss``.

    >>> d = decide(["A", "B"], np.array([200, 260]), np.array([10000, 10000]))
    >>> d.leader, d.stop
    ('B', True)
    """
    _, _, label, scale, unit = _reward(reward)
    count = is_count_reward(reward)
    s, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    arms = [str(a) for a in arms]
    rng = np.random.default_rng(random_state)
    draws = posterior_draws(s, n, n_draws, count=count, rng=rng)
    pb, loss = prob_best(draws), expected_loss(draws)
    means = np.where(n > 0, s / np.maximum(n, 1e-12), np.nan)
    intervals = np.quantile(draws, [0.025, 0.975], axis=0).T
    i = int(np.argmax(pb))
    leader, p, lo = arms[i], float(pb[i]), float(loss[i]) * scale
    if n.sum() <= 0:
        return Decision(arms, pb, loss, leader, False, "No results yet: enter or import the first day's numbers.",
                        means, intervals)
    others = [a for a in arms if a != leader]
    if len(arms) == 2:
        head = f"{leader} beats {others[0]} with {_pct(p)} probability"
    else:
        head = f"{leader} is the best of {len(arms)} variants with {_pct(p)} probability"
    text = f"{head}; expected loss of choosing {leader} now: {_fmt(lo)} {unit}."
    stop = p >= threshold and (max_loss is None or lo <= max_loss)
    if stop:
        text += f" That clears your {threshold:.0%} threshold: stop the test and keep {leader}."
    else:
        need = [f"{threshold:.0%} probability" if p < threshold else None,
                f"a loss under {_fmt(max_loss)} {unit}" if max_loss is not None and lo > max_loss else None]
        text += " Keep testing until it reaches " + " and ".join(x for x in need if x) + "."
    return Decision(arms, pb, loss, leader, bool(stop), text, means, intervals)


# ------------------------------------------------------------------ simulation


@dataclass
class SimulationResult:
    """Many runs of one policy on fixed Bernoulli arms."""

    policy: str
    rates: np.ndarray
    horizon: int
    runs: int
    mean_regret: np.ndarray        # (horizon,) mean over runs of the cumulative pseudo-regret
    regret_band: np.ndarray        # (horizon, 2) 10th and 90th percentile over runs (every round)
    waste_share: np.ndarray        # (horizon,) mean share of pulls so far on non-best arms
    final_regret: np.ndarray       # (runs,) cumulative pseudo-regret at the horizon
    pulls: np.ndarray              # (runs, K)
    rewards: np.ndarray            # (runs,)

    def summary(self) -> dict[str, Any]:
        se = self.final_regret.std(ddof=1) / np.sqrt(self.runs) if self.runs > 1 else float("nan")
        best = int(np.argmax(self.rates))
        return {"policy": self.policy, "horizon": self.horizon, "runs": self.runs,
                "mean_regret": float(self.final_regret.mean()), "se": float(se),
                "waste_share": float(self.waste_share[-1]),
                "best_arm_share": float(self.pulls[:, best].sum() / self.pulls.sum()),
                "mean_reward": float(self.rewards.mean())}


def simulate(rates: Sequence[float], *, policy: str, horizon: int, runs: int = 200, batch: int = 1,
             epsilon: float = 0.1, floor: float = 0.0, random_state: int | None = 0) -> SimulationResult:
    """Run a policy (or the fixed equal split) on Bernoulli arms, ``runs`` times at once.

    Every round each run pulls one arm; state is updated every ``batch`` rounds (``batch=1``
    is the classic one-at-a-time bandit). Pseudo-regret adds ``max(rates) - rates[arm]`` per
    pull. Epsilon-greedy explores with probability ``epsilon``; UCB1 pulls each arm once
    then maximises ``mean + sqrt(2 ln t / n)``; Thompson sampling draws from Beta(1 + s, 1 + f);
    ``fixed`` picks an arm uniformly at random (a classic A/B test). ``floor > 0`` mixes any
    bandit with the uniform split so each arm keeps at least that share.
    """
    p = np.asarray(rates, dtype=float)
    if p.ndim != 1 or len(p) < 2:
        raise BadInputError("Give at least two arm rates.")
    if ((p < 0) | (p > 1)).any():
        raise BadInputError("Arm rates are probabilities: each must lie between 0 and 1.")
    if policy not in SIM_POLICIES:
        raise BadInputError(f"Unknown policy '{policy}': use one of {', '.join(SIM_POLICIES)}.")
    if horizon < 1 or runs < 1 or batch < 1:
        raise BadInputError("horizon, runs and batch must be positive.")
    k = len(p)
    if floor * k > 1:
        raise BadInputError(f"A floor of {floor:.0%} per arm is impossible with {k} arms.")
    rng = np.random.default_rng(random_state)
    gaps = p.max() - p
    losers = (gaps > 0).astype(float)
    succ = np.zeros((runs, k))
    pulls = np.zeros((runs, k))
    regret_t = np.empty(horizon)
    waste_t = np.empty(horizon)
    cum = np.zeros(runs)
    band = np.empty((horizon, 2))
    t = 0
    while t < horizon:
        b = min(batch, horizon - t)
        if policy == "fixed":
            arms = rng.integers(k, size=(runs, b))
        elif policy == "thompson":
            draws = rng.beta(1.0 + succ[:, None, :], 1.0 + pulls[:, None, :] - succ[:, None, :], size=(runs, b, k))
            arms = draws.argmax(axis=2)
        elif policy == "epsilon-greedy":
            means = np.where(pulls > 0, succ / np.maximum(pulls, 1), np.inf)
            means = means + rng.random((runs, k)) * 1e-9          # random tie-break
            greedy = np.broadcast_to(means.argmax(axis=1)[:, None], (runs, b))
            explore = rng.random((runs, b)) < epsilon
            arms = np.where(explore, rng.integers(k, size=(runs, b)), greedy)
        else:  # ucb1
            n_tot = pulls.sum(axis=1, keepdims=True)
            means = succ / np.maximum(pulls, 1)
            ucb = means + np.sqrt(2.0 * np.log(np.maximum(n_tot, 1.0)) / np.maximum(pulls, 1e-12))
            ucb = np.where(pulls == 0, np.inf, ucb) + rng.random((runs, k)) * 1e-12
            arms = np.broadcast_to(ucb.argmax(axis=1)[:, None], (runs, b))
        if floor > 0 and policy != "fixed":
            mix = rng.random((runs, b)) < floor * k
            arms = np.where(mix, rng.integers(k, size=(runs, b)), arms)
        won = rng.random((runs, b)) < p[arms]
        onehot = arms[..., None] == np.arange(k)
        pulls += onehot.sum(axis=1)
        succ += (onehot & won[..., None]).sum(axis=1)
        step_regret = gaps[arms]                                  # (runs, b)
        running = cum[:, None] + np.cumsum(step_regret, axis=1)
        regret_t[t:t + b] = running.mean(axis=0)
        band[t:t + b] = np.quantile(running, [0.1, 0.9], axis=0).T if runs > 1 else running.T
        cum = running[:, -1]
        waste_t[t:t + b] = losers[arms].mean(axis=0)
        t += b
    waste = np.cumsum(waste_t) / np.arange(1, horizon + 1)
    return SimulationResult(policy, p, horizon, runs, regret_t, band, waste, cum, pulls.astype(int),
                            succ.sum(axis=1))


def compare_policies(rates: Sequence[float], *, horizon: int, runs: int = 200,
                     policies: Sequence[str] = SIM_POLICIES, batch: int = 1, epsilon: float = 0.1,
                     floor: float = 0.0, random_state: int = 0, progress=None) -> dict[str, SimulationResult]:
    """:func:`simulate` for each policy, same problem (each policy its own seeded stream)."""
    out = {}
    for i, pol in enumerate(policies):
        if progress:
            progress(i / len(policies), f"simulating {pol}")
        out[pol] = simulate(rates, policy=pol, horizon=horizon, runs=runs, batch=batch, epsilon=epsilon,
                            floor=floor, random_state=random_state + i)
    if progress:
        progress(1.0, "done")
    return out


def regret_table(results: dict[str, SimulationResult]) -> pd.DataFrame:
    """One row per policy: mean final regret (and its standard error), traffic wasted on losers."""
    rows = [r.summary() for r in results.values()]
    df = pd.DataFrame(rows)
    if "fixed" in results:
        df["vs_fixed"] = df["mean_regret"] / results["fixed"].final_regret.mean()
    return df


def regret_curves(results: dict[str, SimulationResult], points: int = 200) -> pd.DataFrame:
    """Long frame (policy, round, regret, lo, hi, waste_share) thinned to about ``points`` rounds."""
    frames = []
    for pol, r in results.items():
        idx = np.unique(np.linspace(0, r.horizon - 1, min(points, r.horizon)).astype(int))
        frames.append(pd.DataFrame({"policy": pol, "round": idx + 1, "regret": r.mean_regret[idx],
                                    "lo": r.regret_band[idx, 0], "hi": r.regret_band[idx, 1],
                                    "waste_share": r.waste_share[idx]}))
    return pd.concat(frames, ignore_index=True)


def reference_thompson(rates: Sequence[float], *, horizon: int, runs: int, random_state: int = 0) -> np.ndarray:
    """A textbook, one-run-at-a-time Beta-Bernoulli Thompson sampler (independent check).

    Returns each run's cumulative pseudo-regret at the horizon. Deliberately unvectorised:
    a plain loop over rounds with per-arm counters, as in Russo et al., "A Tutorial on
    Thompson Sampling" (2018), Algorithm 2.
    """
    p = [float(x) for x in rates]
    best = max(p)
    rng = np.random.default_rng(random_state)
    out = np.empty(runs)
    for r in range(runs):
        alpha = [1.0] * len(p)
        beta = [1.0] * len(p)
        regret = 0.0
        u = rng.random(horizon)
        for t in range(horizon):
            theta = rng.beta(alpha, beta)
            a = int(theta.argmax())
            if u[t] < p[a]:
                alpha[a] += 1.0
            else:
                beta[a] += 1.0
            regret += best - p[a]
        out[r] = regret
    return out


def mabwiser_thompson(rates: Sequence[float], *, horizon: int, runs: int, random_state: int = 0) -> np.ndarray:
    """mabwiser's ``LearningPolicy.ThompsonSampling`` on the same problem, one pull at a time.

    Returns each run's cumulative pseudo-regret at the horizon (about 1 s per 10,000 rounds).
    """
    from mabwiser.mab import MAB, LearningPolicy

    p = np.asarray(rates, dtype=float)
    k = len(p)
    rng = np.random.default_rng(random_state)
    out = np.empty(runs)
    for r in range(runs):
        mab = MAB(arms=list(range(k)), learning_policy=LearningPolicy.ThompsonSampling(),
                  seed=int(rng.integers(2**31)))
        a = int(rng.integers(k))                        # first pull uniformly at random
        mab.fit(decisions=[a], rewards=[int(rng.random() < p[a])])
        regret = p.max() - p[a]
        u = rng.random(horizon)
        for t in range(1, horizon):
            a = mab.predict()
            mab.partial_fit([a], [int(u[t] < p[a])])
            regret += p.max() - p[a]
        out[r] = regret
    return out


# ------------------------------------------------------------------ the estimator


def arm_stats(results: pd.DataFrame, arms: Sequence[str], reward: str) -> pd.DataFrame:
    """Per arm: successes, trials (or exposure) and the observed rate."""
    s_col, n_col, *_ = _reward(reward)
    if len(results):
        g = results.groupby("arm")[[s_col, n_col]].sum()
    else:
        g = pd.DataFrame(columns=[s_col, n_col], dtype=float)
    g = g.reindex(list(arms)).fillna(0.0)
    out = pd.DataFrame({"arm": list(arms), "successes": g[s_col].to_numpy(float),
                        "trials": g[n_col].to_numpy(float)})
    out["rate"] = np.where(out["trials"] > 0, out["successes"] / out["trials"].where(out["trials"] > 0, 1), np.nan)
    return out


class BanditAllocator(BaseEstimator):
    """Replays an experiment's daily results in batches and recommends next period's shares.

    Parameters
    ----------
    policy : {"thompson", "ucb1", "epsilon-greedy"}
    reward : {"click_per_impression", "conversion_per_click", "lead_per_dollar"}
        Proportions use Beta-Bernoulli posteriors, per-dollar counts Gamma-Poisson.
    floor : float
        The least share of traffic or budget any arm gets.
    epsilon : float
        Exploration share of epsilon-greedy.
    n_draws : int
        Posterior draws for Thompson shares and P(best).
    random_state : int

    Examples
    --------
    >>> res = pd.DataFrame({"arm": ["A", "B"], "date": ["2026-01-01"] * 2,
    ...                     "impressions": [1000, 1000], "clicks": [20, 35]})
    >>> model = BanditAllocator(floor=0.05).fit(res, arms=["A", "B"])
    >>> bool(model.shares_[1] > model.shares_[0])
    True
    """

    def __init__(self, *, policy: str = "thompson", reward: str = "click_per_impression", floor: float = 0.05,
                 epsilon: float = 0.1, n_draws: int = 20000, random_state: int = 0) -> None:
        self.policy = policy
        self.reward = reward
        self.floor = floor
        self.epsilon = epsilon
        self.n_draws = n_draws
        self.random_state = random_state

    def fit(self, results: pd.DataFrame, arms: Sequence[str] | None = None) -> "BanditAllocator":
        """Update day by day; ``history_`` holds each day's recommended and actual shares."""
        s_col, n_col, *_ = _reward(self.reward)
        if self.policy not in POLICIES:
            raise BadInputError(f"Unknown policy '{self.policy}': use one of {', '.join(POLICIES)}.")
        res = results.copy()
        for c in (s_col, n_col):
            if c not in res:
                raise BadInputError(f"The results need a '{c}' column for the reward '{self.reward}'.")
        res["date"] = pd.to_datetime(res["date"]).dt.normalize()
        arms = list(arms) if arms is not None else sorted(res["arm"].astype(str).unique())
        if len(arms) < 2:
            raise BadInputError("An experiment needs at least two arms.")
        rng = np.random.default_rng(self.random_state)
        count = is_count_reward(self.reward)
        k = len(arms)
        s, n = np.zeros(k), np.zeros(k)
        rows = []
        for day, chunk in res.groupby("date", sort=True):
            shares = allocate(self.policy, s, n, floor=self.floor, epsilon=self.epsilon, count=count,
                              n_draws=self.n_draws, rng=rng)
            day_s = chunk.groupby("arm")[s_col].sum().reindex(arms).fillna(0).to_numpy(float)
            day_n = chunk.groupby("arm")[n_col].sum().reindex(arms).fillna(0).to_numpy(float)
            actual = day_n / day_n.sum() if day_n.sum() > 0 else np.full(k, np.nan)
            s, n = s + day_s, n + day_n
            for j, a in enumerate(arms):
                rows.append({"date": day, "arm": a, "recommended_share": shares[j], "actual_share": actual[j],
                             "successes": day_s[j], "trials": day_n[j],
                             "cum_rate": s[j] / n[j] if n[j] > 0 else np.nan})
        self.arms_ = arms
        self.history_ = pd.DataFrame(rows, columns=["date", "arm", "recommended_share", "actual_share",
                                                    "successes", "trials", "cum_rate"])
        self.successes_, self.trials_ = s, n
        self.shares_ = allocate(self.policy, s, n, floor=self.floor, epsilon=self.epsilon, count=count,
                                n_draws=self.n_draws, rng=rng)
        return self

    def predict(self, volume: float = 1.0) -> pd.DataFrame:
        """Next period's share per arm, and the traffic or budget it means for ``volume``."""
        check_is_fitted(self, "shares_")
        return pd.DataFrame({"arm": self.arms_, "share": self.shares_, "amount": self.shares_ * volume})

    def decision(self, *, threshold: float = 0.95, max_loss: float | None = None) -> Decision:
        check_is_fitted(self, "shares_")
        return decide(self.arms_, self.successes_, self.trials_, reward=self.reward, threshold=threshold,
                      max_loss=max_loss, random_state=self.random_state)


# ------------------------------------------------------------------ off-policy evaluation


@dataclass
class Estimate:
    """A policy value estimate with its interval."""

    estimator: str
    value: float
    lo: float
    hi: float
    se: float
    n: int
    ess: float          # effective sample size of the importance weights

    def to_dict(self) -> dict[str, Any]:
        return {"estimator": self.estimator, "value": self.value, "lo": self.lo, "hi": self.hi, "se": self.se,
                "n": self.n, "ess": self.ess}


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def _ess(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / np.maximum((w ** 2).sum(), 1e-300))


def ipw(reward: np.ndarray, weight: np.ndarray, *, level: float = 0.95, interval: str = "clt",
        n_boot: int = 2000, random_state: int = 0) -> Estimate:
    """Inverse propensity weighting: ``mean(w * r)`` with ``w = pi_target(a) / pi_logging(a)``.

    >>> float(ipw(np.array([1.0, 0.0]), np.array([2.0, 0.0])).value)
    1.0
    """
    r, w = np.asarray(reward, float), np.asarray(weight, float)
    x = w * r
    v = float(x.mean())
    if interval == "bootstrap":
        lo, hi, se = _bootstrap(r, w, "ipw", level, n_boot, random_state)
    else:
        se = float(x.std(ddof=1) / np.sqrt(len(x)))
        lo, hi = v - _z(level) * se, v + _z(level) * se
    return Estimate("IPW", v, lo, hi, se, len(x), _ess(w))


def snipw(reward: np.ndarray, weight: np.ndarray, *, level: float = 0.95, interval: str = "clt",
          n_boot: int = 2000, random_state: int = 0) -> Estimate:
    """Self-normalised IPW: ``sum(w r) / sum(w)``; CLT interval by the delta method."""
    r, w = np.asarray(reward, float), np.asarray(weight, float)
    v = float((w * r).sum() / w.sum())
    if interval == "bootstrap":
        lo, hi, se = _bootstrap(r, w, "snipw", level, n_boot, random_state)
    else:
        se = float(np.sqrt((w ** 2 * (r - v) ** 2).sum()) / w.sum())
        lo, hi = v - _z(level) * se, v + _z(level) * se
    return Estimate("SNIPW", v, lo, hi, se, len(r), _ess(w))


def _bootstrap(r, w, kind, level, n_boot, random_state) -> tuple[float, float, float]:
    """Percentile bootstrap (Poisson weights, vectorised in chunks)."""
    rng = np.random.default_rng(random_state)
    vals = []
    chunk = max(1, min(n_boot, 2_000_000 // max(len(r), 1)))
    done = 0
    while done < n_boot:
        m = min(chunk, n_boot - done)
        c = rng.poisson(1.0, size=(m, len(r))).astype(float)
        num = c @ (w * r)
        if kind == "ipw":
            vals.append(num / np.maximum(c.sum(1), 1.0))
        else:
            vals.append(num / np.maximum(c @ w, 1e-300))
        done += m
    v = np.concatenate(vals)
    a = (1 - level) / 2
    return float(np.quantile(v, a)), float(np.quantile(v, 1 - a)), float(v.std(ddof=1))


def mean_estimate(reward: np.ndarray, *, level: float = 0.95) -> Estimate:
    """The on-policy mean of a log (its own policy's value) with a CLT interval."""
    r = np.asarray(reward, float)
    v, se = float(r.mean()), float(r.std(ddof=1) / np.sqrt(len(r)))
    return Estimate("on-policy mean", v, v - _z(level) * se, v + _z(level) * se, se, len(r), float(len(r)))


def read_obd(path: str | Path) -> pd.DataFrame:
    """An Open Bandit Dataset log (``item_id, position, click, propensity_score``)."""
    cols = ["item_id", "position", "click", "propensity_score"]
    try:
        df = pd.read_csv(path, usecols=lambda c: c in (*cols, "timestamp"))
    except (OSError, ValueError) as exc:
        raise BadInputError(f"Could not read the bandit log {path}: {exc}") from exc
    missing = [c for c in cols if c not in df]
    if missing:
        raise BadInputError(f"The bandit log lacks columns: {', '.join(missing)}.")
    return df


def obd_sample(datasets_dir: str | Path | None = None) -> tuple[Path, Path] | None:
    """The Open Bandit logs (random, Bernoulli TS) the off-policy check runs on, or None.

    The full sample under ``datasets_dir/obd-sample`` (``Settings.datasets_dir``) when it is
    there, else the trimmed copy shipped in ``data/obd/`` (Apache-2.0, see its SOURCE.md).
    """
    from core.config import PROJECT_ROOT

    places = []
    if datasets_dir is not None:
        places.append((Path(datasets_dir) / "obd-sample" / "random_all.csv",
                       Path(datasets_dir) / "obd-sample" / "bts_all.csv"))
    places.append((PROJECT_ROOT / "data" / "obd" / "obd_random.csv.gz", PROJECT_ROOT / "data" / "obd" / "obd_bts.csv.gz"))
    return next(((r, b) for r, b in places if r.exists() and b.exists()), None)


def action_distribution(log: pd.DataFrame, *, smoothing: float = 0.0) -> pd.Series:
    """A context-free policy's probability of each item at each position, from its own log.

    Thompson sampling's action probabilities change as its posterior moves; averaged over
    the logging period they are the share of impressions each item got at each position.
    """
    counts = log.groupby(["position", "item_id"]).size()
    items = np.sort(log["item_id"].unique())
    idx = pd.MultiIndex.from_product([np.sort(log["position"].unique()), items], names=["position", "item_id"])
    counts = counts.reindex(idx, fill_value=0).astype(float) + smoothing
    return counts / counts.groupby(level=0).transform("sum")


def evaluate_obd(random_log: pd.DataFrame, bts_log: pd.DataFrame, *, level: float = 0.95,
                 interval: str = "clt", n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Off-policy estimates on the Open Bandit logs, checked against each policy's own log.

    * the Bernoulli Thompson sampling (BTS) policy's click rate, estimated on the random log
      (target probabilities: BTS's share of each item at each position in its own log;
      logging propensity 1/80),
    * the random policy's click rate, estimated on the BTS log with its logged propensities,

    each by IPW and SNIPW, beside the on-policy mean of the target's own log.
    """
    pi_bts = action_distribution(bts_log)
    key = pd.MultiIndex.from_arrays([random_log["position"], random_log["item_id"]])
    n_items = random_log["item_id"].nunique()
    # (target policy, log it is estimated from, target's probability of each logged action, target's own log)
    cases = (("Bernoulli TS", "random", random_log, pi_bts.reindex(key).fillna(0.0).to_numpy(), bts_log),
             ("random", "Bernoulli TS", bts_log, np.full(len(bts_log), 1.0 / n_items), random_log))
    rows = []
    for target, log_name, log, target_prob, own_log in cases:
        w = target_prob / log["propensity_score"].to_numpy(float)
        r = log["click"].to_numpy(float)
        truth = mean_estimate(own_log["click"].to_numpy(float), level=level)
        for est in (ipw, snipw):
            e = est(r, w, level=level, interval=interval, n_boot=n_boot, random_state=random_state)
            rows.append({"target": target, "log": log_name, **e.to_dict(), "on_policy": truth.value,
                         "on_policy_lo": truth.lo, "on_policy_hi": truth.hi})
    out = pd.DataFrame(rows)
    out["covers_on_policy"] = (out["lo"] <= out["on_policy"]) & (out["on_policy"] <= out["hi"])
    return out


# ------------------------------------------------------------------ experiments in the warehouse


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s[:40] or "experiment"


def _now() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(timezone.utc).replace(tzinfo=None))


def clean_arms(arms: pd.DataFrame | Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Arms as (arm, platform, text, campaign_id) strings; names must be unique and non-empty."""
    df = pd.DataFrame(arms).copy()
    if "arm" not in df and "name" in df:
        df = df.rename(columns={"name": "arm"})
    if "arm" not in df:
        raise BadInputError("Each arm needs a name.")
    for c in ("platform", "text", "campaign_id"):
        if c not in df:
            df[c] = ""
    df = df[["arm", "platform", "text", "campaign_id"]].fillna("").astype(str)
    df["arm"] = df["arm"].str.strip()
    df["platform"] = df["platform"].str.strip().str.lower()
    df = df[df["arm"] != ""]
    if df["arm"].duplicated().any():
        raise BadInputError("Arm names must be unique: " + ", ".join(df.loc[df["arm"].duplicated(), "arm"]))
    if len(df) < 2:
        raise BadInputError("An experiment needs at least two arms.")
    return df.reset_index(drop=True)


def clean_results(results: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """Daily results per arm, validated: known arms, dates, non-negative numbers, nested counts."""
    df = pd.DataFrame(results).copy()
    if "arm" not in df and "name" in df:
        df = df.rename(columns={"name": "arm"})
    for c in ("arm", "date"):
        if c not in df:
            raise BadInputError(f"Results need an '{c}' column.")
    df = df.dropna(subset=["arm", "date"])
    df["arm"] = df["arm"].astype(str).str.strip()
    unknown = sorted(set(df["arm"]) - set(arms))
    if unknown:
        raise BadInputError(f"Results name arms the experiment does not have: {', '.join(unknown)}.")
    try:
        df["date"] = pd.to_datetime(df["date"]).dt.normalize().astype("datetime64[us]")
    except (ValueError, TypeError) as exc:
        raise BadInputError(f"A result has a date that is not a date: {exc}") from exc
    for c in RESULT_COLUMNS:
        if c not in df:
            df[c] = 0.0
            continue
        raw = df[c]
        df[c] = pd.to_numeric(raw, errors="coerce")
        if (df[c].isna() & raw.notna() & (raw.astype(str).str.strip() != "")).any():
            raise BadInputError(f"'{c}' must be a number on every row.")
        df[c] = df[c].fillna(0.0)          # a blank cell is nothing measured
        if (df[c] < 0).any():
            raise BadInputError(f"'{c}' cannot be negative.")
    if (df["clicks"] > df["impressions"]).any() and (df["impressions"] > 0).any():
        raise BadInputError("A day has more clicks than impressions.")
    if ((df["conversions"] > df["clicks"]) & (df["clicks"] > 0)).any():
        raise BadInputError("A day has more conversions than clicks.")
    for c in ("impressions", "clicks", "conversions", "leads"):
        df[c] = df[c].round().astype("int64")
    df["spend"] = df["spend"].astype(float)
    df = df.groupby(["arm", "date"], as_index=False)[list(RESULT_COLUMNS)].sum()
    return df[["arm", "date", *RESULT_COLUMNS]]


def create_experiment(wh: Any, name: str, arms: pd.DataFrame | Sequence[dict[str, Any]], *,
                      reward: str = "click_per_impression", policy: str = "thompson", floor: float = 0.05,
                      threshold: float = 0.95, experiment_id: str | None = None) -> str:
    """Save a new experiment and its arms; returns its id."""
    _reward(reward)
    if policy not in POLICIES:
        raise BadInputError(f"Unknown policy '{policy}'.")
    if not str(name).strip():
        raise BadInputError("Give the experiment a name.")
    arms_df = clean_arms(arms)
    apply_floor(np.ones(len(arms_df)), floor)
    existing = set(experiments(wh)["experiment_id"]) if len(experiments(wh)) else set()
    eid = experiment_id or _slug(name)
    if experiment_id is None and eid in existing:
        eid = f"{eid}-{uuid.uuid4().hex[:6]}"
    wh.save_state(STATE_EXPERIMENTS, pd.DataFrame([{
        "experiment_id": eid, "name": str(name).strip(), "reward": reward, "policy": policy,
        "floor": float(floor), "threshold": float(threshold), "created_at": _now()}]), keys=["experiment_id"])
    wh.delete_state(STATE_ARMS, experiment_id=eid)
    arms_df.insert(0, "experiment_id", eid)
    wh.save_state(STATE_ARMS, arms_df, keys=["experiment_id", "arm"])
    return eid


def update_experiment(wh: Any, experiment_id: str, **settings: Any) -> None:
    """Change an experiment's reward, policy, floor or threshold."""
    row = experiment(wh, experiment_id)
    for k, v in settings.items():
        if k not in ("reward", "policy", "floor", "threshold", "name"):
            raise BadInputError(f"Unknown experiment setting '{k}'.")
        row[k] = v
    _reward(row["reward"])
    wh.save_state(STATE_EXPERIMENTS, pd.DataFrame([row]), keys=["experiment_id"])


def experiments(wh: Any) -> pd.DataFrame:
    df = wh.load_state(STATE_EXPERIMENTS)
    if len(df) == 0:
        return pd.DataFrame(columns=["experiment_id", "name", "reward", "policy", "floor", "threshold", "created_at"])
    return df.sort_values("created_at", ascending=False).reset_index(drop=True)


def experiment(wh: Any, experiment_id: str) -> dict[str, Any]:
    df = wh.load_state(STATE_EXPERIMENTS, experiment_id=experiment_id)
    if len(df) == 0:
        raise BadInputError(f"No experiment '{experiment_id}'.")
    return df.iloc[0].to_dict()


def experiment_arms(wh: Any, experiment_id: str) -> pd.DataFrame:
    df = wh.load_state(STATE_ARMS, experiment_id=experiment_id)
    if len(df) == 0:
        return pd.DataFrame(columns=["experiment_id", "arm", "platform", "text", "campaign_id"])
    return df.reset_index(drop=True)


def experiment_results(wh: Any, experiment_id: str) -> pd.DataFrame:
    df = wh.load_state(STATE_RESULTS, experiment_id=experiment_id)
    cols = ["arm", "date", *RESULT_COLUMNS]
    if len(df) == 0:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[us]" if c == "date" else
                                          (object if c == "arm" else float)) for c in cols})
    df["date"] = pd.to_datetime(df["date"])
    return df[cols].sort_values(["date", "arm"]).reset_index(drop=True)


def save_results(wh: Any, experiment_id: str, results: pd.DataFrame, *, replace: bool = False) -> int:
    """Upsert daily results (one row per arm and day); ``replace`` drops the old log first."""
    arms = experiment_arms(wh, experiment_id)["arm"].tolist()
    if not arms:
        raise BadInputError(f"No experiment '{experiment_id}'.")
    df = clean_results(results, arms)
    if replace:
        wh.delete_state(STATE_RESULTS, experiment_id=experiment_id)
    if len(df) == 0:
        return 0
    df.insert(0, "experiment_id", experiment_id)
    wh.save_state(STATE_RESULTS, df, keys=["experiment_id", "arm", "date"])
    return len(df)


def delete_experiment(wh: Any, experiment_id: str) -> None:
    for t in (STATE_RESULTS, STATE_ARMS, STATE_EXPERIMENTS):
        wh.delete_state(t, experiment_id=experiment_id)


@dataclass
class ImportedExperiment:
    """What a file held: an experiment name, its arms and (maybe) daily results."""

    name: str | None
    arms: pd.DataFrame | None
    results: pd.DataFrame = field(default_factory=pd.DataFrame)
    reward: str | None = None


def parse_import(data: bytes | str, filename: str = "upload.json") -> ImportedExperiment:
    """Read an experiment file.

    Accepts the content studio's export ``{"experiment": name, "arms": [{"name", "platform",
    "text"}]}`` (optionally with ``"reward"`` and ``"results": [{"arm", "date", ...}]``), a JSON
    array of daily result records, or a CSV of daily results (``arm, date, impressions,
    clicks, conversions, leads, spend``).
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    if filename.lower().endswith(".csv"):
        try:
            df = pd.read_csv(io.StringIO(text))
        except (ValueError, pd.errors.ParserError) as exc:
            raise BadInputError(f"Could not read the CSV: {exc}") from exc
        return ImportedExperiment(None, None, df)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"The file is not valid JSON (line {exc.lineno}): {exc.msg}.") from exc
    if isinstance(obj, list):
        return ImportedExperiment(None, None, pd.DataFrame(obj))
    if not isinstance(obj, dict) or "arms" not in obj:
        raise BadInputError('Expected {"experiment": name, "arms": [{"name", "platform", "text"}]} '
                            "or a list of daily results.")
    arms = clean_arms(obj["arms"])
    results = pd.DataFrame(obj.get("results") or [])
    reward = obj.get("reward")
    if reward is not None:
        _reward(reward)
    return ImportedExperiment(str(obj.get("experiment") or obj.get("name") or "Imported experiment"), arms,
                              results, reward)


def match_campaigns(arms: pd.DataFrame, campaigns: pd.DataFrame) -> dict[str, str]:
    """Arm -> campaign_id: the arm's ``campaign_id`` when set, else a campaign whose id or
    name equals the arm's name (case-insensitive)."""
    if len(campaigns) == 0:
        return {}
    ids = campaigns.drop_duplicates("campaign_id")
    by_id = {str(c).lower(): str(c) for c in ids["campaign_id"]}
    by_name = {str(n).lower(): str(c) for c, n in zip(ids["campaign_id"], ids["campaign_name"]) if pd.notna(n)}
    out = {}
    for _, a in arms.iterrows():
        cid = str(a.get("campaign_id") or "").strip()
        key = cid.lower() if cid else str(a["arm"]).lower()
        hit = by_id.get(key) or by_name.get(key)
        if hit:
            out[str(a["arm"])] = hit
    return out


def results_from_campaigns(campaigns: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """Daily results per arm from the campaigns table (arm -> campaign_id)."""
    if not mapping:
        raise BadInputError("No arm matches a campaign: set each arm's campaign id or name it after one.")
    inv: dict[str, list[str]] = {}
    for arm, cid in mapping.items():
        inv.setdefault(cid, []).append(arm)
    sub = campaigns[campaigns["campaign_id"].isin(list(inv))]
    if len(sub) == 0:
        raise NotEnoughDataError("The matching campaigns have no days in the chosen period.")
    frames = []
    for cid, arms in inv.items():
        g = sub[sub["campaign_id"] == cid].groupby("date", as_index=False)[list(RESULT_COLUMNS)].sum()
        for arm in arms:
            frames.append(g.assign(arm=arm))
    return pd.concat(frames, ignore_index=True)[["arm", "date", *RESULT_COLUMNS]]


def analyse(wh: Any, experiment_id: str, *, policy: str | None = None, floor: float | None = None,
            threshold: float | None = None, max_loss: float | None = None, random_state: int = 0
            ) -> tuple[BanditAllocator, Decision]:
    """Fit the experiment's policy on its log: the allocator (next shares) and the decision."""
    exp = experiment(wh, experiment_id)
    arms = experiment_arms(wh, experiment_id)["arm"].tolist()
    results = experiment_results(wh, experiment_id)
    model = BanditAllocator(policy=policy or exp["policy"], reward=exp["reward"],
                            floor=float(exp["floor"] if floor is None else floor),
                            random_state=random_state).fit(results, arms=arms)
    thr = float(exp["threshold"] if threshold is None else threshold)
    return model, model.decision(threshold=thr, max_loss=max_loss)


# ------------------------------------------------------------------ CLI


def run_bandit(args: Any, ctx: Any) -> dict[str, Any]:
    """``python -m core bandit simulate --arms 0.05,0.04 --policy thompson --horizon N --seed S``."""
    if getattr(args, "bandit_command", None) != "simulate":
        raise BadInputError("Use: python -m core bandit simulate --arms RATE,RATE --policy P --horizon N")
    try:
        rates = [float(x) for x in str(args.arms).split(",") if x.strip()]
    except ValueError as exc:
        raise BadInputError(f"--arms must be comma-separated rates, got '{args.arms}'.") from exc
    res = simulate(rates, policy=args.policy, horizon=int(args.horizon), runs=1, random_state=int(args.seed))
    return {"policy": args.policy, "horizon": int(args.horizon), "pulls": [int(x) for x in res.pulls[0]],
            "reward": int(res.rewards[0]), "regret": round(float(res.final_regret[0]), 6)}
