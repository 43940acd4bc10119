"""Pure maths of the monitor: negative-binomial tails, seasonal and market factors, spend
elasticity, the calendar, and the run / window / CUSUM / hysteresis rules over
(campaign x day) arrays. No pandas frames of campaigns, no state: arrays in, arrays out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

def nb_cdf(k: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """P(Y <= k) for a negative binomial of mean ``mu`` and variance ``mu + alpha mu^2``.

    Vectorised; ``alpha -> 0`` is the Poisson limit. NaN where ``mu`` is not positive.

    >>> round(float(nb_cdf(np.array(0), np.array(6.0), np.array(1e-9))), 4)  # e^-6
    0.0025
    """
    k, mu, alpha = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(mu, dtype=float),
                                       np.maximum(np.asarray(alpha, dtype=float), 1e-9))
    out = np.full(mu.shape, np.nan)
    ok = np.isfinite(mu) & (mu > 0) & (k >= 0)  # only where it is needed: betainc is not cheap
    n = 1.0 / alpha[ok]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[ok] = special.betainc(n, np.floor(k[ok]) + 1.0, n / (n + mu[ok]))
    return out


def nb_zero(mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """P(Y = 0) for the same negative binomial: ``(1 + alpha mu)^(-1/alpha)``."""
    mu = np.asarray(mu, dtype=float)
    alpha = np.maximum(np.asarray(alpha, dtype=float), 1e-9)
    return np.exp(-np.log1p(alpha * mu) / alpha)


def nb_quantile_band(mu: np.ndarray, alpha: np.ndarray, q: float = 0.005) -> tuple[np.ndarray, np.ndarray]:
    """Central ``1 - 2q`` band of the negative binomial (NaN where mu is unknown)."""
    from scipy import stats

    mu = np.asarray(mu, dtype=float)
    alpha = np.maximum(np.asarray(alpha, dtype=float), 1e-9)
    n = 1.0 / alpha
    ok = np.isfinite(mu) & (mu > 0)
    p = n / (n + np.where(ok, mu, 1.0))
    lo = np.where(ok, stats.nbinom.ppf(q, n, p), np.nan)
    hi = np.where(ok, stats.nbinom.ppf(1 - q, n, p), np.nan)
    return lo, hi


def weekday_factors(obs: np.ndarray, exp: np.ndarray, groups: np.ndarray, strength: float = 20.0) -> np.ndarray:
    """Weekday factors per row, shrunk towards the group's and the overall ones.

    Parameters
    ----------
    obs, exp : ndarray of shape (n, 7)
        Observed counts and weekday-free expected counts per row and weekday.
    groups : ndarray of shape (n,)
        Integer group (platform) of each row.
    strength : float
        Prior weight, in expected counts, of the group's factor on each row.

    Returns
    -------
    ndarray of shape (n, 7), each row averaging 1.
    """
    tot_o, tot_e = obs.sum(axis=0), exp.sum(axis=0)
    overall = (tot_o + strength) / (tot_e + strength)
    overall /= overall.mean()
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    onehot = np.zeros((n_groups, len(groups)))
    onehot[groups, np.arange(len(groups))] = 1.0
    g = (onehot @ obs + 3 * strength * overall) / (onehot @ exp + 3 * strength)
    g /= g.mean(axis=1, keepdims=True)
    f = (obs + strength * g[groups]) / (exp + strength)
    return f / f.mean(axis=1, keepdims=True)



def market_factor(obs: np.ndarray, mu: np.ndarray, *, prior: float = 20.0, min_campaigns: int = 5,
                  clip: tuple[float, float] = (0.33, 3.0)) -> np.ndarray:
    """The day's common factor for each campaign: the other campaigns' observed/expected.

    A pooled ratio of sums over every *other* campaign with an expectation (leave one
    out: a campaign's own trouble never explains itself away), shrunk towards 1 by
    ``prior`` pseudo-counts so a quiet account is not chased by noise. With fewer than
    ``min_campaigns`` campaigns the factor is 1. A few campaigns in trouble barely
    move it; a shock that moves them all does.

    Returns
    -------
    ndarray of the factor per campaign (1 where ``mu`` is unknown).
    """
    ok = np.isfinite(mu) & (mu > 0) & np.isfinite(obs)
    out = np.ones(len(mu))
    if ok.sum() < min_campaigns:
        return out
    sy, sm = obs[ok].sum(), mu[ok].sum()
    own_y, own_m = np.where(ok, obs, 0.0), np.where(ok, mu, 0.0)
    f = (sy - own_y + prior) / (sm - own_m + prior)
    return np.clip(f, *clip)


def spend_elasticity(y: np.ndarray, spend: np.ndarray, present: np.ndarray, *, block: int = 14,
                     prior: float = 0.7, prior_weight: float = 20.0) -> float:
    """Account-wide elasticity of results to spend (diminishing returns), from budget changes.

    Each campaign's history is cut into ``block``-day blocks; between consecutive
    blocks the change of log results is regressed on the change of log spend (pooled,
    weighted by the results behind each pair), shrunk towards ``prior``. Expected
    results then scale as ``spend ** elasticity``: doubling a budget does not double
    leads, and halving it does not halve them.

    Returns a value in [0.3, 1].
    """
    C, D = y.shape
    nb = D // block
    if nb < 2:
        return prior
    cut = nb * block
    yy = np.where(present, y, 0.0)[:, D - cut:].reshape(C, nb, block)
    ss = np.where(present, spend, 0.0)[:, D - cut:].reshape(C, nb, block)
    days = present[:, D - cut:].reshape(C, nb, block).sum(axis=2)
    full = days >= block - 2
    ly = np.log((yy.sum(axis=2) + 0.5) / np.maximum(days, 1))
    ls = np.log(np.maximum(ss.sum(axis=2), 1e-9) / np.maximum(days, 1))
    ok = full[:, 1:] & full[:, :-1] & (ss.sum(axis=2)[:, 1:] > 0) & (ss.sum(axis=2)[:, :-1] > 0)
    dy, dx = (ly[:, 1:] - ly[:, :-1])[ok], (ls[:, 1:] - ls[:, :-1])[ok]
    tot = yy.sum(axis=2)
    w = (1.0 / (1.0 / (tot[:, 1:] + 0.5) + 1.0 / (tot[:, :-1] + 0.5)))[ok]  # inverse variance of dy
    sxx = float(np.sum(w * dx * dx))
    if sxx <= 0:
        return prior
    # prior_weight is in units of (weighted) squared log changes of spend
    k = prior_weight * float(np.median(w)) * 0.01 if len(w) else 0.0
    beta = (float(np.sum(w * dx * dy)) + k * prior) / (sxx + k)
    return float(np.clip(beta, 0.3, 1.0))




DAY_TYPES = ("ordinary", "holiday", "next to a holiday", "year end")


def day_types(dates: pd.DatetimeIndex, country: str | None) -> np.ndarray:
    """0 an ordinary day, 1 a public holiday, 2 the day before or after one (Black
    Friday, Christmas Eve), 3 the last week of December. Their effect is learned from
    the account's own past holidays."""
    out = np.zeros(len(dates), dtype=int)
    if len(dates) == 0:
        return out
    cal: Any = {}
    if country:
        try:
            import holidays

            cal = holidays.country_holidays(country, years=range(dates[0].year - 1, dates[-1].year + 2))
        except Exception:  # unknown country code: only the year end is special
            cal = {}
    hol = pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in cal)) if len(cal) else pd.DatetimeIndex([])
    d = dates.normalize()
    out[(d.month == 12) & (d.day >= 24)] = 3
    out[d.isin(hol - pd.Timedelta(days=1)) | d.isin(hol + pd.Timedelta(days=1))] = 2
    out[d.isin(hol)] = 1
    return out



def window_sum(a: np.ndarray, k: int) -> np.ndarray:
    """Sum over the last k days (trailing, including today) along axis 1."""
    c = np.cumsum(np.nan_to_num(a), axis=1)
    out = c.copy()
    out[:, k:] = c[:, k:] - c[:, :-k]
    return out


def run_sums(cond: np.ndarray, y: np.ndarray, mu: np.ndarray, amu2: np.ndarray,
              breaks: np.ndarray, cap: int = 14) -> tuple[np.ndarray, ...]:
    """For each day, the run of consecutive days meeting ``cond`` that ends on it.

    A day in ``breaks`` that does not meet ``cond`` ends the run; other days (absent,
    no spend) neither extend nor end it. Returns (days, sum of y, sum of mu,
    sum of alpha mu^2), zero where today does not meet ``cond``. Runs are capped
    at ``cap`` days (the oldest day drops out).
    """
    C, D = cond.shape
    n = np.zeros((C, D))
    ys, ms, as_ = np.zeros((C, D)), np.zeros((C, D)), np.zeros((C, D))
    hist_y, hist_m, hist_a = [np.zeros((C, cap)) for _ in range(3)]
    run = np.zeros(C, dtype=int)
    for d in range(D):
        c = cond[:, d]
        reset = breaks[:, d] & ~c
        run = np.where(c, run + 1, np.where(reset, 0, run))
        slot = (run - 1) % cap
        rows = np.nonzero(c)[0]
        hist_y[rows, slot[rows]] = y[rows, d]
        hist_m[rows, slot[rows]] = mu[rows, d]
        hist_a[rows, slot[rows]] = amu2[rows, d]
        k = np.minimum(run, cap)
        mask = np.arange(cap)[None, :] < k[:, None]
        n[:, d] = np.where(c, k, 0)
        ys[:, d] = np.where(c, (hist_y * mask).sum(1), 0.0)
        ms[:, d] = np.where(c, (hist_m * mask).sum(1), 0.0)
        as_[:, d] = np.where(c, (hist_a * mask).sum(1), 0.0)
    return n, ys, ms, as_


def cusum(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray, ready: np.ndarray, low: np.ndarray, *,
           ratio: float, h: float) -> tuple[np.ndarray, np.ndarray]:
    """A one-sided CUSUM for a drop of the count to ``ratio`` times its expectation.

    Each day adds the Poisson log-likelihood ratio ``y log(ratio) + (1 - ratio) mu``,
    tempered by the overdispersion ``1 + alpha mu``; the sum never goes below 0. It
    opens when it passes ``h`` on a low day, then restarts from 0, and keeps the
    alert while new evidence keeps it above 0 on low days (a slow leak that no single
    day shows). Returns (open, keep) masks.
    """
    C, D = y.shape
    llr = np.where(ready, (y * np.log(ratio) + (1.0 - ratio) * np.nan_to_num(mu))
                   / (1.0 + np.nan_to_num(alpha) * np.nan_to_num(mu)), 0.0)
    open_, keep = np.zeros((C, D), dtype=bool), np.zeros((C, D), dtype=bool)
    s = np.zeros(C)
    active = np.zeros(C, dtype=bool)
    for d in range(D):
        s = np.maximum(0.0, s + llr[:, d])
        o = low[:, d] & (s > h)
        k = active & low[:, d] & (s > 0)
        open_[:, d], keep[:, d] = o, k
        s = np.where(o, 0.0, s)
        active = np.where(ready[:, d], o | k, active)
    return open_, keep


def settle(open_: np.ndarray, single: np.ndarray, keep: np.ndarray, recent: np.ndarray) -> np.ndarray:
    """Hysteresis, with fresh evidence required to open right after another incident.

    A day opens an alert on one-day evidence (``single``) at any time, on several-day
    evidence only when no incident of the campaign was seen in the two weeks before
    (``recent``: those sums may reach back into it) or when the alert simply goes on.
    An open alert stays while ``keep`` holds (one quiet day is bridged).
    """
    C, D = open_.shape
    alert = np.zeros_like(open_)
    prev, prev2 = np.zeros(C, dtype=bool), np.zeros(C, dtype=bool)
    for d in range(D):
        o = open_[:, d] & (single[:, d] | ~recent[:, d] | prev)
        now = o | ((prev | prev2) & keep[:, d])
        alert[:, d] = now
        prev2, prev = prev, now
    return alert


def hysteresis(open_: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Alert while open, or while kept after an alert the day before (or two days before)."""
    C, D = open_.shape
    alert = np.zeros_like(open_)
    prev = np.zeros(C, dtype=bool)
    prev2 = np.zeros(C, dtype=bool)
    for d in range(D):
        now = open_[:, d] | ((prev | prev2) & keep[:, d])
        alert[:, d] = now
        prev2, prev = prev, now
    return alert

