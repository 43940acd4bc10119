"""Campaign monitoring: flag underperforming campaign-days without crying wolf.

Every campaign-day is compared with what that campaign's own past predicts,
conditioned on what was actually spent that day:

* **expected counts**: leads and conversions per ``spend ** elasticity`` (the
  account's diminishing returns, estimated from its budget changes), clicks per
  impression. The rate is exponentially weighted over the days *before* the day
  checked and carried to today by the account's trend; it is multiplied by a weekday
  factor (per campaign, shrunk towards its platform and the account), a calendar
  factor for holidays, the days next to them and the year end (learned from the
  account's own past holidays) and a same-day *market factor* (the other campaigns'
  pooled observed/expected, leave-one-out), so weekends, seasons and holidays that
  move every campaign together do not alert;
* **tail probabilities** are negative-binomial, with each campaign's overdispersion
  estimated from its own residuals, plus the uncertainty of the rate itself (a young
  campaign is quiet until its rate is known); one day, three and five days, the run
  of low days, the run of zero days and a CUSUM (for slow leaks no single day shows)
  are each tested;
* **alerts** open only on strict tail probabilities (1e-4 per test at ``normal``: a
  Bonferroni bound over ~10^4 campaign-day tests, ten times stricter on one-day
  tests on holidays), a minimum effect size (the count at most half of what was
  expected) and a minimum volume, and stay open on looser evidence (hysteresis), so
  an incident never flip-flops. Evidence already used by one incident does not open
  another;
* **spend** is checked against the daily budget (overspend) and against the
  campaign's usual pacing and dollar level (under-delivery over consecutive days; a
  raised budget the campaign cannot spend is not one).

Days already flagged never feed the baselines, so an incident does not teach the
monitor that it is normal. Everything runs on (campaign x day) arrays: 40 campaigns
with 456 days of history are checked in about a second.

Example
-------
>>> from core.monitoring import Monitor
>>> mon = Monitor(sensitivity="normal").fit(frame)          # doctest: +SKIP
>>> mon.predict(since="2026-01-01")[["campaign_id", "kind", "message"]]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from core.errors import BadInputError, ConfigError, NotEnoughDataError, WorkbenchError

# ----------------------------------------------------------------- vocabulary

KINDS: dict[str, str] = {
    "cpl_jump": "Cost per lead jump",
    "cpa_jump": "Cost per conversion jump",
    "ctr_collapse": "Click-through collapse",
    "tracking_stopped": "Tracking stopped",
    "overspend": "Overspend",
    "underdelivery": "Under-delivery",
}
SEVERITIES = ("low", "medium", "high")
ALERT_COLUMNS = ["campaign_id", "date", "metric", "kind", "severity", "observed", "expected", "message"]
ACKS_TABLE = "monitoring_acks"
NOTIFIED_TABLE = "monitoring_notified"


@dataclass(frozen=True)
class Sensitivity:
    """Thresholds of one sensitivity level.

    ``p_open``: tail probability that opens an alert (per test); ``p_keep``: the
    looser one that keeps an open incident alive; ``ratio``: the observed count
    must be at most this share of the expected one to open; ``overspend``: spend
    above this multiple of the daily budget; ``under``: spend below this share of
    the expected spend, for ``under_days`` days in a row.
    """

    p_open: float
    p_keep: float
    ratio: float
    overspend: float
    under: float
    under_days: int
    min_expected: float


SENSITIVITY: dict[str, Sensitivity] = {
    "low": Sensitivity(1e-6, 5e-3, 0.4, 1.5, 0.35, 3, 3.0),
    "normal": Sensitivity(1e-4, 2e-2, 0.5, 1.3, 0.5, 2, 2.0),
    "high": Sensitivity(1e-3, 5e-2, 0.65, 1.2, 0.6, 2, 1.0),
}

# count channels: name -> (observed column, exposure column)
CHANNELS: dict[str, tuple[str, str]] = {
    "leads": ("leads", "spend"),
    "conversions": ("conversions", "spend"),
    "clicks": ("clicks", "impressions"),
}
_NUMERIC = ("daily_budget", "spend", "impressions", "clicks", "leads", "conversions")


# ------------------------------------------------------------- pure maths


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


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cw = np.cumsum(w)
    return float(v[np.searchsorted(cw, 0.5 * cw[-1])])


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


# --------------------------------------------------------------- the arrays


@dataclass
class _Grid:
    """Campaign-days as (campaign x day) arrays over the whole date span."""

    campaigns: pd.DataFrame  # one row per campaign: campaign_id, campaign_name, platform, objective
    dates: pd.DatetimeIndex
    present: np.ndarray
    values: dict[str, np.ndarray]
    platform_idx: np.ndarray


def _grid(frame: pd.DataFrame) -> _Grid:
    need = {"date", "campaign_id", *_NUMERIC}
    missing = need - set(frame.columns)
    if missing:
        raise BadInputError(f"campaign data lacks the column(s) {', '.join(sorted(missing))}.")
    f = frame.copy()
    f["date"] = pd.to_datetime(f["date"]).dt.normalize()
    f = f.sort_values(["campaign_id", "date"]).drop_duplicates(["campaign_id", "date"], keep="last")
    cids, c_idx = np.unique(f["campaign_id"].astype(str).to_numpy(), return_inverse=True)
    d0, d1 = f["date"].min(), f["date"].max()
    dates = pd.date_range(d0, d1, freq="D")
    d_idx = ((f["date"] - d0).dt.days).to_numpy()
    shape = (len(cids), len(dates))
    present = np.zeros(shape, dtype=bool)
    present[c_idx, d_idx] = True
    values = {}
    for col in _NUMERIC:
        arr = np.zeros(shape)
        arr[c_idx, d_idx] = pd.to_numeric(f[col], errors="coerce").fillna(0.0).clip(lower=0).to_numpy(float)
        values[col] = arr
    meta_cols = [c for c in ("campaign_name", "platform", "objective") if c in f.columns]
    camp = f.groupby("campaign_id", sort=True)[meta_cols].last().reset_index() if meta_cols else \
        pd.DataFrame({"campaign_id": cids})
    camp["campaign_id"] = camp["campaign_id"].astype(str)
    camp = camp.set_index("campaign_id").reindex(cids).reset_index()
    plat = camp["platform"].fillna("?").astype(str).to_numpy() if "platform" in camp else np.array(["?"] * len(cids))
    _, p_idx = np.unique(plat, return_inverse=True)
    return _Grid(camp, dates, present, values, p_idx.astype(int))


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


# ----------------------------------------------------------- the sequential pass


def _count_pass(y: np.ndarray, e: np.ndarray, present: np.ndarray, weekday: np.ndarray,
                platform_idx: np.ndarray, *, half_life: float, wd_half_life: float,
                alpha_prior: float, outlier_z: float, market: bool,
                daytype: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Expected counts day by day from the days before, excluding outlying days.

    Returns arrays (campaign x day): ``mu`` (expected), ``alpha`` (overdispersion of
    the day), ``rate_n`` (effective observed count behind the rate), ``n_days``
    (days of history behind it).
    """
    C, D = y.shape
    lam, lam_w = 0.5 ** (1.0 / half_life), 0.5 ** (1.0 / wd_half_life)
    s_y, s_e = np.zeros(C), np.zeros(C)          # rate: EW observed and deseasonalised exposure
    a_num, a_den, s_n = np.zeros(C), np.zeros(C), np.zeros(C)  # overdispersion, EW day count
    w_y, w_e = np.zeros((C, 7)), np.zeros((C, 7))  # weekday sums: observed, weekday-free expected
    n_days = np.zeros(C)
    out = {k: np.full((C, D), np.nan) for k in ("mu", "alpha", "rate_n")}
    out["n_days"] = np.zeros((C, D))
    f_wd = np.ones((C, 7))
    zero_mu = np.zeros(C)  # expected count over the current run of zero days
    daytype = np.zeros(D, dtype=int) if daytype is None else daytype
    cal_y, cal_m = np.zeros(len(DAY_TYPES)), np.zeros(len(DAY_TYPES))  # pooled, over the whole account
    healthy = np.ones(C, dtype=bool)
    # trend: a faster twin of the rate; the account-wide gap between the two is a slope
    lam_f = 0.5 ** (2.0 / half_life)
    age_s, age_f = lam / (1 - lam) + 1.0, lam_f / (1 - lam_f) + 1.0  # mean age (days) of each, seen from today
    f_y, f_e = np.zeros(C), np.zeros(C)
    p_e, p_fe, p_n, p_days, p_we = np.zeros(C), np.zeros(C), np.zeros(C), np.zeros(C), np.zeros((C, 7))
    for d in range(D):
        wd = weekday[d]
        if d % 7 == 0:
            f_wd = weekday_factors(w_y, w_e, platform_idx)
        pres = present[:, d]
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(s_e > 0, s_y / s_e, np.nan)
            w = np.minimum(f_y, s_y)
            gap = np.log((f_y + 0.5) / np.maximum(f_e, 1e-12) * np.maximum(s_e, 1e-12) / (s_y + 0.5))
        ok_t = (w > 0) & (f_e > 0) & (s_e > 0)
        slope = float(np.sum(w[ok_t] * gap[ok_t]) / (np.sum(w[ok_t]) + 50.0)) / (age_s - age_f)
        trend = float(np.clip(np.exp(slope * age_s), 0.8, 1.25))  # the slow rate carried to today
        rate = rate * trend
        mu0 = rate * e[:, d] * f_wd[:, wd]
        mu0 = np.where(pres, mu0, np.nan)
        t = daytype[d]
        cf = (cal_y[t] + 10.0) / (cal_m[t] + 10.0) if t else 1.0  # this kind of day, as learned so far
        mu_cal = mu0 * cf
        # campaigns that were off their baseline yesterday (zeros, big shortfalls) sit the factor out
        pool = (n_days >= 7) & healthy
        mf = market_factor(y[:, d], np.where(pool, mu_cal, np.nan)) if market else np.ones(C)
        mu = mu_cal * mf
        k_c = 14.0 * np.where(s_n > 0, s_y / np.maximum(s_n, 1e-9), 0.0) ** 2 + 1.0
        alpha = (a_num + k_c * alpha_prior) / (a_den + k_c)
        alpha = np.clip(alpha, 0.005, 3.0)
        out["mu"][:, d] = mu
        out["alpha"][:, d] = alpha
        out["rate_n"][:, d] = s_y
        out["n_days"][:, d] = n_days
        # which days may teach the baseline: present, not wildly off what was expected
        sd = np.sqrt(np.where(mu > 0, mu + alpha * mu * mu, 1.0))
        z = np.where(np.isfinite(mu), (y[:, d] - mu) / sd, 0.0)
        ok_mu = np.isfinite(mu) & (n_days >= 7)
        # a shortfall only when it is both large and improbable; a spike only when huge
        low = ok_mu & (y[:, d] <= 0.5 * mu) & (z < -outlier_z)
        high = ok_mu & (y[:, d] >= 3 * mu + 5) & (z > 2 * outlier_z)
        # a long run of zeros (about 3 expected and none came) stops teaching the baseline
        # (until the run ends with a result before it became significant: then those days
        # were ordinary zeros of a small campaign and are learned after all, see below)
        is_zero = pres & (e[:, d] > 0) & (y[:, d] == 0)
        run_before = zero_mu
        zero_mu = np.where(is_zero, zero_mu + np.nan_to_num(mu), np.where(pres & (e[:, d] > 0), 0.0, zero_mu))
        stuck = is_zero & ok_mu & (zero_mu >= 3.0)
        ended = pres & (e[:, d] > 0) & (y[:, d] > 0) & (run_before >= 3.0)
        restore = ended & (run_before < 8.0)
        learn = pres & (e[:, d] > 0) & ~low & ~high & ~stuck
        healthy = np.where(pres & (e[:, d] > 0), ~low & ~high & ~(is_zero & ok_mu & (zero_mu >= 2.0)), healthy)
        s_y = lam * s_y + np.where(learn, y[:, d], 0.0)
        s_e = lam * s_e + np.where(learn, e[:, d] * f_wd[:, wd] * cf * mf, 0.0)
        f_y = lam_f * f_y + np.where(learn, y[:, d], 0.0)
        f_e = lam_f * f_e + np.where(learn, e[:, d] * f_wd[:, wd] * cf * mf, 0.0)
        if t:
            ok_c = learn & np.isfinite(mu0) & (n_days >= 7)
            cal_y[t] += y[ok_c, d].sum()
            cal_m[t] += mu0[ok_c].sum()
        s_n = lam * s_n + learn
        upd = learn & ok_mu & (mu > 0)
        a_num = lam * a_num + np.where(upd, (y[:, d] - mu) ** 2 - mu, 0.0)
        a_den = lam * a_den + np.where(upd, mu * mu, 0.0)
        n_days = n_days + learn
        w_y *= lam_w
        w_e *= lam_w
        base = np.where(learn & np.isfinite(rate), rate * e[:, d] * cf * mf, 0.0)
        w_y[:, wd] += np.where(learn & np.isfinite(rate), y[:, d], 0.0)
        w_e[:, wd] += base
        # the zero days held back, decayed like the sums they would have joined
        p_e = lam * p_e + np.where(stuck, e[:, d] * f_wd[:, wd] * cf * mf, 0.0)
        p_fe = lam_f * p_fe + np.where(stuck, e[:, d] * f_wd[:, wd] * cf * mf, 0.0)
        p_n = lam * p_n + stuck
        p_days += stuck
        p_we *= lam_w
        p_we[:, wd] += np.where(stuck & np.isfinite(rate), rate * e[:, d] * cf * mf, 0.0)
        if restore.any():
            s_e, f_e = s_e + restore * p_e, f_e + restore * p_fe
            s_n, n_days = s_n + restore * p_n, n_days + restore * p_days
            w_e += restore[:, None] * p_we
        keep = ~ended
        p_e, p_fe, p_n, p_days, p_we = p_e * keep, p_fe * keep, p_n * keep, p_days * keep, p_we * keep[:, None]
    return out


def _spend_pass(spend: np.ndarray, budget: np.ndarray, present: np.ndarray, weekday: np.ndarray, *,
                half_life: float) -> dict[str, np.ndarray]:
    """Expected spend from the campaign's usual share of its budget (log scale, weekday-aware)."""
    C, D = spend.shape
    lam = 0.5 ** (1.0 / half_life)
    s_w, s_m, s_v, s_l = np.zeros(C), np.zeros(C), np.zeros(C), np.zeros(C)
    w_w, w_m = np.zeros((C, 7)), np.zeros((C, 7))
    out = {k: np.full((C, D), np.nan) for k in ("expected", "sd", "n", "level")}
    for d in range(D):
        wd = weekday[d]
        pres = present[:, d] & (budget[:, d] > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(s_w > 0, s_m / s_w, np.nan)
            var = np.where(s_w > 0, s_v / s_w, np.nan)
            wd_off = np.where(w_w[:, wd] > 0, (w_m[:, wd] / np.maximum(w_w[:, wd], 1e-9) - mean)
                              * w_w[:, wd] / (w_w[:, wd] + 4.0), 0.0)
        sd = np.sqrt(np.maximum(np.nan_to_num(var), 0.0) + 0.05 ** 2)
        exp_log = mean + np.nan_to_num(wd_off)
        expected = np.where(pres, budget[:, d] * np.exp(exp_log), np.nan)
        # spend moves with the market too (holiday inventory): a clipped median factor
        ok = pres & np.isfinite(expected) & (expected > 0) & (spend[:, d] > 0) & (s_w >= 5)
        mf = 1.0
        if ok.sum() >= 5:
            mf = float(np.clip(np.exp(np.median(np.log(spend[ok, d] / expected[ok]))), 0.7, 1.5))
        out["expected"][:, d] = expected * mf
        out["sd"][:, d] = sd
        out["n"][:, d] = s_w
        # the usual spend in dollars (weekday-adjusted): a raised budget the campaign cannot
        # spend is not under-delivery, a budget cut it follows is not either
        with np.errstate(invalid="ignore", divide="ignore"):
            level = np.where(s_w > 0, np.exp(s_l / np.maximum(s_w, 1e-9) + np.nan_to_num(wd_off)) * mf, np.nan)
        out["level"][:, d] = level
        lr = np.log(np.maximum(spend[:, d], 1e-3) / np.where(budget[:, d] > 0, budget[:, d], 1.0))
        z = np.where(np.isfinite(expected) & (s_w >= 5), (lr - exp_log - np.log(mf)) / sd, 0.0)
        moved = np.abs(np.log(np.maximum(spend[:, d], 1e-3) / np.where(level > 0, level, 1.0))) > np.log(2.0)
        odd = np.nan_to_num(moved, nan=False) | (spend[:, d] > budget[:, d])
        learn = pres & (spend[:, d] > 0) & ~((np.abs(z) >= 4.0) & odd)
        s_l = lam * s_l + np.where(learn, np.log(np.maximum(spend[:, d], 1e-3)), 0.0)
        s_w = lam * s_w + learn
        s_m = lam * s_m + np.where(learn, lr, 0.0)
        dev = np.where(learn & np.isfinite(mean), (lr - np.nan_to_num(mean)) ** 2, 0.0)
        s_v = lam * s_v + np.where(learn & np.isfinite(mean), dev, 0.0)
        w_w *= lam
        w_m *= lam
        w_w[:, wd] += learn
        w_m[:, wd] += np.where(learn, lr, 0.0)
    return out


# ---------------------------------------------------------------- decisions


def _window_sum(a: np.ndarray, k: int) -> np.ndarray:
    """Sum over the last k days (trailing, including today) along axis 1."""
    c = np.cumsum(np.nan_to_num(a), axis=1)
    out = c.copy()
    out[:, k:] = c[:, k:] - c[:, :-k]
    return out


def _run_sums(cond: np.ndarray, y: np.ndarray, mu: np.ndarray, amu2: np.ndarray,
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


def _cusum(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray, ready: np.ndarray, low: np.ndarray, *,
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


def _settle(open_: np.ndarray, single: np.ndarray, keep: np.ndarray, recent: np.ndarray) -> np.ndarray:
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


def _hysteresis(open_: np.ndarray, keep: np.ndarray) -> np.ndarray:
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


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _money(x: float) -> str:
    return f"${x:,.0f}" if abs(x) >= 10 else f"${x:,.2f}"


def _about(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else (f"{x:.1f}" if x < 1.95 else f"{x:.0f}")


# ------------------------------------------------------------------ the model


class Monitor(BaseEstimator):
    """Detects underperforming or abnormal campaign-days.

    Parameters
    ----------
    sensitivity : {"low", "normal", "high"}
        How much evidence opens an alert (see :data:`SENSITIVITY`).
    half_life : float
        Days after which a past day counts half in a campaign's baseline rate.
    min_history_days : int
        Days of history a campaign needs before its rates are checked.
    history_days : int or None
        Only the last this many days of the data are read (default 456: a quarter to
        check or replay after a year of warm-up; baselines forget in weeks). None reads all.
    country : str or None
        Country whose public holidays need stronger evidence (ISO code).
    random_state : int or None
        Unused (the monitor is deterministic); kept for the estimator contract.

    Attributes
    ----------
    stats_ : dict
        Per metric, (campaign x day) arrays: observed, expected, band, p-value.
    flags_ : dict
        Per kind, the (campaign x day) alert mask.
    alerts_ : DataFrame
        Every alert over the whole history (columns :data:`ALERT_COLUMNS` plus extras).
    incidents_ : DataFrame
        Alerts grouped into incidents.
    last_date_ : Timestamp
        The last day of the data.
    """

    def __init__(self, *, sensitivity: str = "normal", half_life: float = 28.0, min_history_days: int = 14,
                 history_days: int | None = 456, country: str | None = "US",
                 random_state: int | None = None) -> None:
        self.sensitivity = sensitivity
        self.half_life = half_life
        self.min_history_days = min_history_days
        self.history_days = history_days
        self.country = country
        self.random_state = random_state

    # ---- fit

    def fit(self, frame: pd.DataFrame) -> "Monitor":
        """Score every campaign-day of ``frame`` against the days before it.

        Parameters
        ----------
        frame : DataFrame
            Campaign-days with the contract columns (``wh.campaigns()``).
        """
        if self.sensitivity not in SENSITIVITY:
            raise BadInputError(f"sensitivity must be one of {', '.join(SENSITIVITY)}, not {self.sensitivity!r}.")
        if frame is None or len(frame) == 0:
            raise NotEnoughDataError("There are no campaign-days to monitor yet: load campaign data first.")
        s = SENSITIVITY[self.sensitivity]
        if self.history_days:
            dates = pd.to_datetime(frame["date"])
            frame = frame[dates > dates.max() - pd.Timedelta(days=int(self.history_days))]
        g = _grid(frame)
        C, D = g.present.shape
        weekday = g.dates.weekday.to_numpy()
        daytype = day_types(g.dates, self.country)
        holiday = daytype > 0
        v, pres = g.values, g.present
        beta = spend_elasticity(v["leads"] + v["conversions"], v["spend"], pres)
        exposure = {"spend": v["spend"] ** beta, "impressions": v["impressions"]}
        self.elasticity_ = beta
        passes = {name: _count_pass(v[obs], exposure[exp], pres, weekday, g.platform_idx, half_life=self.half_life,
                                    wd_half_life=120.0, alpha_prior=0.05, outlier_z=3.5, market=True,
                                    daytype=daytype)
                  for name, (obs, exp) in CHANNELS.items()}
        sp = _spend_pass(v["spend"], v["daily_budget"], pres, weekday, half_life=self.half_life)

        # p-value strictness: holidays (whose effect is learned, but from few days) need ten times more
        # (one- and three-day tests only: a run of several days is not explained by one holiday)
        p_day = np.where(holiday, s.p_open * 0.1, s.p_open)[None, :]
        p_open = s.p_open
        kinds: dict[str, dict[str, np.ndarray]] = {}
        stats: dict[str, dict[str, np.ndarray]] = {}
        keep_ratio = (1 + s.ratio) / 2
        spent = pres & (v["spend"] > 0)
        for name, (obs, _) in CHANNELS.items():
            r = passes[name]
            y, mu = v[obs], r["mu"]
            ready = pres & np.isfinite(mu) & (mu > 0) & (r["n_days"] >= self.min_history_days)
            # relative variance of an exponentially weighted rate: (sum w^2 / sum w) / (weighted count),
            # about half of 1 / count, inflated by the overdispersion
            rate_var = 0.5 * (1.0 + r["alpha"]) / np.maximum(np.nan_to_num(r["rate_n"]), 1.0)
            alpha = r["alpha"] + rate_var
            mu0 = np.where(ready, mu, 0.0)
            amu2 = np.where(ready, r["alpha"] * mu0 * mu0, 0.0)
            low = ready & (y <= keep_ratio * mu)  # tail probabilities matter only on low days
            p1 = nb_cdf(y, np.where(low, mu, np.nan), alpha)
            # three-day evidence: sums over the last three days with their own expectations
            y3, m3 = _window_sum(np.where(ready, y, 0.0), 3), _window_sum(mu0, 3)
            p3 = nb_cdf(y3, np.where(low & (m3 > 0), m3, np.nan),
                        _window_sum(amu2, 3) / np.maximum(m3, 1e-9) ** 2 + rate_var)
            y5, m5 = _window_sum(np.where(ready, y, 0.0), 5), _window_sum(mu0, 5)
            p5 = nb_cdf(y5, np.where(low & (m5 > 0), m5, np.nan),
                        _window_sum(amu2, 5) / np.maximum(m5, 1e-9) ** 2 + rate_var)
            # run evidence: the days in a row that came in low (or at zero), tested as one sum
            n_r, y_r, m_r, a_r = _run_sums(low, y, mu0, amu2, spent)
            p_r = nb_cdf(y_r, np.where(n_r > 0, m_r, np.nan), a_r / np.maximum(m_r, 1e-9) ** 2 + rate_var)
            zero = ready & (y == 0)
            zbreak = spent
            if name == "conversions":
                # conversions at zero on days without leads are the leads' story, not theirs
                no_leads = (v["leads"] == 0) & (np.nan_to_num(passes["leads"]["mu"]) >= 1.0)
                zero, zbreak = zero & ~no_leads, spent & ~no_leads
            n_z, _, m_z, a_z = _run_sums(zero, y, mu0, amu2, zbreak, cap=42)
            p_z = np.where(n_z > 0, nb_zero(m_z, a_z / np.maximum(m_z, 1e-9) ** 2 + rate_var), 1.0)
            single = low & (y <= s.ratio * mu) & (mu >= s.min_expected) & (p1 < p_day)
            drop_open = single | low & (
                ((y <= s.ratio * mu) & (mu >= s.min_expected) & (p1 < p_day))
                | ((y <= s.ratio * mu) & (m3 >= 2 * s.min_expected) & (y3 <= s.ratio * m3) & (p3 < p_day))
                | ((y <= s.ratio * mu) & (m_r >= 2 * s.min_expected) & (y_r <= s.ratio * m_r)
                   & (p_r < p_open))
                | ((y <= s.ratio * mu) & (m5 >= 3 * s.min_expected) & (y5 <= s.ratio * m5) & (p5 < p_open)))
            if name != "clicks":  # results only: a slow leak of leads that no single day shows
                c_open, c_keep = _cusum(y, mu, r["alpha"], ready, low, ratio=s.ratio, h=float(-np.log(p_open)))
                drop_open = drop_open | (c_open & (mu >= 0.5))
                drop_keep = low & ((p1 < s.p_keep) | c_keep)
            else:
                drop_keep = low & (p1 < s.p_keep)
            track_open = (n_z > 0) & (m_z >= 2 * s.min_expected) & (p_z < p_open)
            track_keep = (n_z > 0) & (p_z < s.p_keep)
            kinds[name] = {"drop_open": drop_open, "drop_keep": drop_keep, "drop_single": single,
                           "track_single": track_open & (n_z == 1),
                           "track_open": track_open, "track_keep": track_keep}
            stats[name] = {"observed": y, "expected": np.where(pres, mu, np.nan), "alpha": alpha,
                           "p": np.fmin.reduce([np.nan_to_num(p, nan=1.0) for p in (p1, p3, p5, p_r, p_z)]),
                           "zero_run": n_z, "zero_expected": m_z, "ready": ready}

        # spend: overspend on a day, under-delivery over consecutive days
        spend, budget = v["spend"], v["daily_budget"]
        exp_sp, sd_sp = sp["expected"], sp["sd"]
        usual_max = np.where(sp["n"] >= 5, exp_sp * np.exp(4 * sd_sp) / np.where(budget > 0, budget, 1.0), 0.0)
        over_thr = np.maximum(s.overspend, np.nan_to_num(usual_max))
        had_budget = np.zeros_like(pres)
        had_budget[:, 1:] = budget[:, :-1] > 0  # a budget set to 0 yesterday-to-today, yet spending
        over = pres & (((budget > 0) & (spend > over_thr * budget) & (spend - budget >= 5.0))
                       | ((budget <= 0) & had_budget & (spend >= 20.0)))
        with np.errstate(invalid="ignore", divide="ignore"):
            z_sp = np.log(np.maximum(spend, 1e-3) / exp_sp) / sd_sp
        under_day = (pres & (budget > 0) & np.isfinite(exp_sp) & (exp_sp >= 5.0) & (sp["n"] >= 5)
                     & (spend <= s.under * exp_sp) & (spend <= 0.7 * budget) & (z_sp < -4.0)
                     & (spend <= s.under * np.nan_to_num(sp["level"], nan=np.inf)))
        under_run = np.zeros((C, D), dtype=int)
        run_i = np.zeros(C, dtype=int)
        for d in range(D):
            run_i = np.where(under_day[:, d], run_i + 1, np.where(pres[:, d], 0, run_i))
            under_run[:, d] = np.where(under_day[:, d], run_i, 0)
        under = under_run >= s.under_days
        # the first days of a run that reached the limit belong to the same incident
        for back in range(1, s.under_days):
            shifted = np.zeros_like(under)
            shifted[:, :-back] = under[:, back:] & (under_run[:, back:] == s.under_days)
            under |= shifted & under_day
        stats["spend"] = {"observed": spend, "expected": np.where(pres, exp_sp, np.nan),
                          "lower": np.where(pres, exp_sp * np.exp(-4 * sd_sp), np.nan),
                          "upper": np.where(pres & (budget > 0), np.maximum(exp_sp * np.exp(4 * sd_sp),
                                                                            over_thr * budget), np.nan),
                          "p": np.ones((C, D)), "zero_run": np.zeros((C, D)), "zero_expected": np.zeros((C, D)),
                          "ready": pres & (sp["n"] >= 5)}

        # one root cause per campaign-day: a click collapse explains fewer leads; zeros are tracking
        ctr = _hysteresis(kinds["clicks"]["drop_open"], kinds["clicks"]["drop_keep"])
        track_l = _hysteresis(kinds["leads"]["track_open"] & ~ctr, kinds["leads"]["track_keep"] & ~ctr)
        track_c = _hysteresis(kinds["conversions"]["track_open"] & ~ctr & ~track_l,
                              kinds["conversions"]["track_keep"] & ~ctr & ~track_l)
        track_any = track_l | track_c
        cpl = _hysteresis(kinds["leads"]["drop_open"] & ~ctr & ~track_any,
                          kinds["leads"]["drop_keep"] & ~ctr & ~track_any)
        cpa = _hysteresis(kinds["conversions"]["drop_open"] & ~ctr & ~track_any & ~cpl,
                          kinds["conversions"]["drop_keep"] & ~ctr & ~track_any & ~cpl)
        # a new incident needs fresh evidence: several-day sums that may reach back into an
        # incident that ended in the last two weeks (of any kind) do not open another one alone
        def recent(*others: np.ndarray) -> np.ndarray:
            seen = np.logical_or.reduce(others)
            out = np.zeros_like(seen)
            for back in range(1, 15):  # as far back as a run sum reaches
                out[:, back:] |= seen[:, :-back]
            return out

        lk, ck = kinds["leads"], kinds["conversions"]
        r_track = recent(ctr, cpl, cpa)
        track_l = _settle(lk["track_open"] & ~ctr, lk["track_single"], lk["track_keep"] & ~ctr, r_track)
        track_c = _settle(ck["track_open"] & ~ctr & ~track_l, ck["track_single"],
                          ck["track_keep"] & ~ctr & ~track_l, r_track)
        track_any = track_l | track_c
        cpl = _settle(lk["drop_open"] & ~ctr & ~track_any, lk["drop_single"], lk["drop_keep"] & ~ctr & ~track_any,
                      recent(ctr, track_any))
        cpa = _settle(ck["drop_open"] & ~ctr & ~track_any & ~cpl, ck["drop_single"],
                      ck["drop_keep"] & ~ctr & ~track_any & ~cpl, recent(ctr, track_any))
        self.track_metric_ = np.where(track_l, "leads", "conversions")
        flags = {"ctr_collapse": ctr, "tracking_stopped": track_any, "cpl_jump": cpl, "cpa_jump": cpa,
                 "overspend": over, "underdelivery": under}

        self.grid_ = g
        self.stats_ = stats
        self.flags_ = flags
        self.holiday_ = holiday
        self.last_date_ = g.dates[-1]
        # An open tracking incident of a small campaign is not re-announced on days that say
        # nothing new (under one result expected: a zero is ordinary); it stays open until a result.
        exp_track = np.where(track_l, np.nan_to_num(stats["leads"]["expected"]),
                             np.nan_to_num(stats["conversions"]["expected"]))
        cont = np.zeros_like(track_any)
        cont[:, 1:] = track_any[:, :-1]
        self.quiet_ = track_any & cont & (exp_track < 1.0)
        every = self._alerts()
        self.incidents_ = incidents(every, last_date=self.last_date_)
        self.alerts_ = every[~every.pop("_quiet")].reset_index(drop=True) if len(every) else every
        return self

    # ---- outputs

    def _alerts(self) -> pd.DataFrame:
        g, fl = self.grid_, self.flags_
        rows: list[dict[str, Any]] = []
        for kind, mask in fl.items():
            cs, ds = np.nonzero(mask)
            for c, d in zip(cs.tolist(), ds.tolist()):
                rows.append({**self._alert_row(kind, c, d),
                             "_quiet": bool(kind == "tracking_stopped" and self.quiet_[c, d])})
        if not rows:
            return pd.DataFrame(columns=ALERT_COLUMNS + ["campaign_name", "platform", "p_value", "spend", "since",
                                                         "_quiet"])
        out = pd.DataFrame(rows)
        meta = g.campaigns.set_index("campaign_id")
        for col in ("campaign_name", "platform"):
            out[col] = out["campaign_id"].map(meta[col]) if col in meta else None
        return out.sort_values(["date", "campaign_id", "kind"]).reset_index(drop=True)

    def _alert_row(self, kind: str, c: int, d: int) -> dict[str, Any]:
        g, st_ = self.grid_, self.stats_
        v = g.values
        spend, budget = float(v["spend"][c, d]), float(v["daily_budget"][c, d])
        cid = str(g.campaigns["campaign_id"].iat[c])
        day = g.dates[d]
        if kind == "tracking_stopped":
            lead_z = self.track_metric_[c, d] == "leads"
            metric, other = ("leads", "conversions") if lead_z else ("conversions", "leads")
        elif kind == "cpl_jump":
            metric, other = "leads", "conversions"
        elif kind == "cpa_jump":
            metric, other = "conversions", "leads"
        elif kind == "ctr_collapse":
            metric, other = "clicks", None
        else:
            metric, other = "spend", None
        s = st_[metric]
        obs, exp = float(s["observed"][c, d]), float(np.nan_to_num(s["expected"][c, d]))
        ratio = obs / exp if exp > 0 else np.nan
        if kind == "tracking_stopped":
            run = int(s["zero_run"][c, d])
            o_val = float(v[other][c, d])
            o_exp = float(np.nan_to_num(st_[other]["expected"][c, d]))
            also = f"; {other} also 0" if o_val == 0 and o_exp >= 0.5 else (
                f"; {other} still {o_val:.0f}" if o_val > 0 else "")
            days = f" ({_ordinal(run)} day at 0)" if run > 1 else ""
            msg = (f"{metric.capitalize()} 0 vs about {_about(exp)} expected at {_money(spend)} spend{days}"
                   f"{also}: check tracking")
            severity = "high" if s["zero_expected"][c, d] >= 10 else "medium"
        elif kind in ("cpl_jump", "cpa_jump"):
            unit = "lead" if metric == "leads" else "conversion"
            cost_now = f"{_money(spend / obs)}" if obs > 0 else "no result"
            msg = (f"{metric.capitalize()} {obs:.0f} vs about {_about(exp)} expected at {_money(spend)} spend: "
                   f"cost per {unit} {cost_now} vs about {_money(spend / exp) if exp > 0 else '?'}")
            severity = "high" if ratio <= 0.25 else ("medium" if ratio <= 0.5 else "low")
        elif kind == "ctr_collapse":
            imp = float(v["impressions"][c, d])
            msg = (f"Clicks {obs:,.0f} vs about {_about(exp)} expected from {imp:,.0f} impressions: "
                   f"click-through {obs / imp:.2%} vs about {exp / imp:.2%}" if imp > 0 else
                   f"Clicks {obs:,.0f} vs about {_about(exp)} expected")
            severity = "high" if ratio <= 0.25 else ("medium" if ratio <= 0.5 else "low")
        elif kind == "overspend":
            if budget > 0:
                msg = (f"Spend {_money(spend)} vs a daily budget of {_money(budget)} ({spend / budget:.1f}x): "
                       f"check budget caps and pacing")
                severity = "high" if spend >= 2 * budget else ("medium" if spend >= 1.5 * budget else "low")
            else:
                msg = f"Spend {_money(spend)} on a day with no budget set: check the campaign is meant to run"
                severity = "high"
            exp = budget
        else:  # underdelivery
            run = 1
            k = d - 1
            while k >= 0 and self.flags_["underdelivery"][c, k]:
                run, k = run + 1, k - 1
            days = f" ({_ordinal(run)} day in a row)" if run > 1 else ""
            msg = (f"Spend {_money(spend)} vs about {_money(exp)} expected on a {_money(budget)} budget{days}: "
                   f"check approvals, bids and targeting")
            severity = "high" if spend <= 0.1 * exp else ("medium" if spend <= 0.3 * exp else "low")
        return {"campaign_id": cid, "date": day.date().isoformat(), "metric": metric, "kind": kind,
                "severity": severity, "observed": round(obs, 2), "expected": round(exp, 2), "message": msg,
                "p_value": float(s["p"][c, d]), "spend": round(spend, 2),
                "since": self._since(kind, metric, c, d).date().isoformat()}

    def _since(self, kind: str, metric: str, c: int, d: int) -> pd.Timestamp:
        """When the problem behind an alert began: the first day of its run of zeros or short days."""
        g = self.grid_
        if kind == "tracking_stopped":
            bad = g.values[metric][c] == 0
        elif kind == "underdelivery":
            bad = self.flags_["underdelivery"][c]
        else:
            return g.dates[d]
        k = d
        while k > 0 and (bad[k - 1] or not g.present[c, k - 1]) and d - k < 90:
            k -= 1
        while k < d and not g.present[c, k]:
            k += 1
        return g.dates[k]

    def scores(self, campaign_id: str | None = None) -> pd.DataFrame:
        """One row per campaign-day and metric: observed, expected, band, alert, kind.

        Built on demand from the fitted arrays (all campaigns, or one).
        """
        check_is_fitted(self, "flags_")
        g = self.grid_
        C, D = g.present.shape
        ids = g.campaigns["campaign_id"].to_numpy()
        rows = np.arange(C) if campaign_id is None else np.nonzero(ids == str(campaign_id))[0]
        metric_of = {"cpl_jump": "leads", "cpa_jump": "conversions", "ctr_collapse": "clicks",
                     "overspend": "spend", "underdelivery": "spend"}
        frames = []
        for metric, s in self.stats_.items():
            alert = np.zeros((len(rows), D), dtype=bool)
            kind = np.full((len(rows), D), "", dtype=object)
            for k, mask in self.flags_.items():
                m = mask[rows]
                if k == "tracking_stopped":
                    m = m & (self.track_metric_[rows] == metric)
                elif metric_of[k] != metric:
                    continue
                alert |= m
                kind = np.where(m, k, kind)
            if "lower" in s:
                lo, hi = s["lower"][rows], s["upper"][rows]
            else:  # the negative-binomial band, only for the campaigns asked for
                ready = s["ready"][rows]
                lo, hi = nb_quantile_band(np.where(ready, s["expected"][rows], np.nan), s["alpha"][rows])
            frames.append(pd.DataFrame({
                "campaign_id": np.repeat(ids[rows], D), "date": np.tile(g.dates.to_numpy(), len(rows)),
                "metric": metric, "observed": s["observed"][rows].ravel(), "expected": s["expected"][rows].ravel(),
                "lower": lo.ravel(), "upper": hi.ravel(),
                "alert": alert.ravel(), "kind": kind.ravel(), "present": g.present[rows].ravel()}))
        out = pd.concat(frames, ignore_index=True)
        return out[out["present"]].drop(columns="present").reset_index(drop=True)

    def predict(self, since: str | date | None = None) -> pd.DataFrame:
        """Alerts on or after ``since`` (default: the last 7 days of the data)."""
        check_is_fitted(self, "alerts_")
        start = resolve_since(since, self.last_date_)
        a = self.alerts_
        return a[pd.to_datetime(a["date"]) >= start].reset_index(drop=True) if len(a) else a

    def incidents(self, since: str | date | None = None) -> pd.DataFrame:
        """Incidents that were open at some point on or after ``since``."""
        check_is_fitted(self, "incidents_")
        start = resolve_since(since, self.last_date_)
        i = self.incidents_
        if not len(i):
            return i
        return i[pd.to_datetime(i["last_alert"]) >= start].reset_index(drop=True)

    def series(self, campaign_id: str, metric: str) -> pd.DataFrame:
        """Observed vs expected band for one campaign and metric (for the chart)."""
        s = self.scores(campaign_id)
        return s[s["metric"] == metric].reset_index(drop=True)


# ------------------------------------------------------------------ incidents


def resolve_since(since: str | date | None, last_date: pd.Timestamp, days: int = 7) -> pd.Timestamp:
    """The first day checked: ``since`` itself, or the last ``days`` days of the data."""
    if since is None or since == "":
        return pd.Timestamp(last_date).normalize() - pd.Timedelta(days=days - 1)
    try:
        return pd.Timestamp(since).normalize()
    except (ValueError, TypeError) as exc:
        raise BadInputError(f"--since must be a date as YYYY-MM-DD, not {since!r}.") from exc


def incidents(alerts: pd.DataFrame, *, last_date: pd.Timestamp | None = None, max_gap_days: int = 1) -> pd.DataFrame:
    """Group consecutive alert days of one campaign and kind into incidents.

    Days at most ``max_gap_days`` apart belong to the same incident (no
    flip-flop). An incident whose last alert is the last day of the data is
    ``ongoing``.

    Returns
    -------
    DataFrame with incident_id, campaign_id, campaign_name, platform, kind, metric,
    start (the first alert), end ("ongoing" or a date), last_alert, days (alert days),
    problem_since (when the run of zeros or short days behind it began), severity,
    observed, expected, message.
    """
    cols = ["incident_id", "campaign_id", "campaign_name", "platform", "kind", "metric", "start", "end",
            "last_alert", "days", "problem_since", "severity", "observed", "expected", "message"]
    if alerts is None or not len(alerts):
        return pd.DataFrame(columns=cols)
    a = alerts.copy()
    a["_d"] = pd.to_datetime(a["date"])
    a = a.sort_values(["campaign_id", "kind", "_d"])
    gap = a.groupby(["campaign_id", "kind"])["_d"].diff().dt.days
    a["_inc"] = (gap.isna() | (gap > max_gap_days + 1)).cumsum()
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    a["_sev"] = a["severity"].map(rank)
    last = pd.Timestamp(last_date).normalize() if last_date is not None else a["_d"].max()
    rows = []
    for _, grp in a.groupby("_inc", sort=False):
        first, final = grp.iloc[0], grp.iloc[-1]
        start = first["_d"].date().isoformat()
        ongoing = final["_d"] >= last
        rows.append({
            "incident_id": f"{first['campaign_id']}:{first['kind']}:{start}",
            "campaign_id": first["campaign_id"], "campaign_name": first.get("campaign_name"),
            "platform": first.get("platform"), "kind": first["kind"], "metric": final["metric"],
            "start": start, "end": "ongoing" if ongoing else final["_d"].date().isoformat(),
            "last_alert": final["_d"].date().isoformat(), "days": int(len(grp)),
            "problem_since": min(grp["since"]) if "since" in grp else start,
            "severity": SEVERITIES[int(grp["_sev"].max())], "observed": final["observed"],
            "expected": final["expected"], "message": final["message"]})
    out = pd.DataFrame(rows, columns=cols)
    out["_sev"] = out["severity"].map(rank)
    out["_open"] = out["end"].eq("ongoing")
    out = out.sort_values(["_open", "_sev", "last_alert"], ascending=[False, False, False])
    return out.drop(columns=["_sev", "_open"]).reset_index(drop=True)


# ----------------------------------------------------------- acknowledgements


def load_acks(wh) -> pd.DataFrame:
    """Acknowledged and muted incidents (empty frame when none)."""
    acks = wh.load_state(ACKS_TABLE)
    if not len(acks):
        return pd.DataFrame(columns=["incident_id", "campaign_id", "kind", "status", "until", "note", "at"])
    return acks


def acknowledge(wh, incident: dict[str, Any] | pd.Series, *, status: str = "acknowledged", note: str = "",
                until: str | date | None = None) -> None:
    """Acknowledge one incident, or mute its campaign and kind (optionally until a date).

    Stored in the warehouse state table ``monitoring_acks``, so it survives restarts.
    """
    if status not in ("acknowledged", "muted"):
        raise BadInputError(f"status must be 'acknowledged' or 'muted', not {status!r}.")
    row = pd.DataFrame([{
        "incident_id": str(incident["incident_id"]), "campaign_id": str(incident["campaign_id"]),
        "kind": str(incident["kind"]), "status": status,
        "until": pd.Timestamp(until).date().isoformat() if until else "",
        "note": note or "", "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}])
    wh.save_state(ACKS_TABLE, row, keys=["incident_id"])


def unacknowledge(wh, incident_id: str) -> int:
    """Reopen an acknowledged or muted incident."""
    return wh.delete_state(ACKS_TABLE, incident_id=str(incident_id))


def apply_acks(incidents_: pd.DataFrame, acks: pd.DataFrame, *, today: date | None = None) -> pd.DataFrame:
    """Add a ``status`` column: open, closed, acknowledged or muted.

    An acknowledgement covers its incident; a mute covers every incident of the
    same campaign and kind (until its date, when one is set).
    """
    out = incidents_.copy()
    out["status"] = np.where(out["end"].eq("ongoing"), "open", "closed") if len(out) else []
    if not len(out) or acks is None or not len(acks):
        return out
    today_s = (today or date.today()).isoformat()
    ack_ids = set(acks.loc[acks["status"] == "acknowledged", "incident_id"].astype(str))
    mutes = acks[acks["status"] == "muted"]
    active = mutes[(mutes["until"].fillna("") == "") | (mutes["until"].fillna("") >= today_s)]
    muted_pairs = set(zip(active["campaign_id"].astype(str), active["kind"].astype(str)))
    muted_ids = set(mutes["incident_id"].astype(str))
    is_muted = [(c, k) in muted_pairs or i in muted_ids for c, k, i in
                zip(out["campaign_id"].astype(str), out["kind"], out["incident_id"])]
    out.loc[out["incident_id"].isin(ack_ids), "status"] = "acknowledged"
    out.loc[np.array(is_muted, dtype=bool), "status"] = "muted"
    return out


# ------------------------------------------------------------------- webhook


def slack_payload(incidents_: pd.DataFrame, *, title: str = "Campaign monitor") -> dict[str, Any]:
    """A Slack-compatible message (``text`` fallback plus ``blocks``) for new incidents."""
    n = len(incidents_)
    text = f"{title}: {n} new incident{'s' if n != 1 else ''}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": text}}]
    for _, inc in incidents_.head(40).iterrows():
        name = inc.get("campaign_name") or inc["campaign_id"]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            f"*{KINDS.get(inc['kind'], inc['kind'])}* ({inc['severity']}) on *{name}* "
            f"({inc.get('platform') or '?'}), since {inc['start']}: {inc['message']}")}})
    if n > 40:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {n - 40} more"}]})
    return {"text": text, "blocks": blocks}


def post_webhook(url: str, payload: dict[str, Any], *, timeout_s: float = 5.0, retries: int = 3,
                 backoff_s: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> int:
    """POST ``payload`` as JSON; retry network errors and 5xx/429 answers with backoff.

    Returns the HTTP status. Raises :class:`ConfigError` for a bad URL and
    :class:`WorkbenchError` when every attempt failed.
    """
    if not url or not url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"The webhook URL must start with http:// or https:// (got {url!r}); "
                          "set WORKBENCH_WEBHOOK_URL or pass --webhook.")
    body = json.dumps(payload, default=str).encode()
    last_error = "no attempt"
    for attempt in range(retries + 1):
        req = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "workbench-monitor"})
        try:
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # noqa: S310 - http(s) checked above
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            last_error = f"HTTP {exc.code}"
            if exc.code < 500 and exc.code != 429:
                raise WorkbenchError(f"The webhook refused the message ({last_error}).", "Webhook failed") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            last_error = str(getattr(exc, "reason", exc))
        if attempt < retries:
            sleep(backoff_s * (2 ** attempt))
    raise WorkbenchError(f"The webhook could not be reached after {retries + 1} attempts ({last_error}).",
                         "Webhook failed")


def notify_new(wh, incidents_: pd.DataFrame, url: str, **kwargs: Any) -> list[str]:
    """POST incidents not notified before (and not acknowledged or muted); remember them.

    Returns the incident ids sent.
    """
    acks = load_acks(wh)
    inc = apply_acks(incidents_, acks)
    inc = inc[inc["status"].isin(["open", "closed"])]
    sent = wh.load_state(NOTIFIED_TABLE)
    if len(sent):
        inc = inc[~inc["incident_id"].isin(set(sent["incident_id"].astype(str)))]
    if not len(inc):
        return []
    post_webhook(url, slack_payload(inc), **kwargs)
    wh.save_state(NOTIFIED_TABLE, pd.DataFrame({
        "incident_id": inc["incident_id"].astype(str),
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}), keys=["incident_id"])
    return inc["incident_id"].astype(str).tolist()


# ---------------------------------------------------------------- replay & CLI


def replay(frame: pd.DataFrame, *, days: int = 91, sensitivity: str = "normal",
           country: str | None = "US") -> tuple[pd.DataFrame, pd.DataFrame]:
    """What would have alerted over the last ``days`` days of history: (alerts, incidents).

    Each day is judged only on the days before it, exactly as a nightly run would have.
    """
    mon = Monitor(sensitivity=sensitivity, country=country).fit(frame)
    start = mon.last_date_ - pd.Timedelta(days=days - 1)
    return mon.predict(since=start), mon.incidents(since=start)


def monitor(wh, *, since: str | date | None = None, sensitivity: str = "normal", country: str | None = "US",
            filters=None) -> tuple[Monitor, pd.DataFrame, pd.DataFrame]:
    """Fit the monitor on the warehouse's campaigns: (model, alerts since, incidents since)."""
    frame = wh.campaigns(filters)
    if not len(frame):
        raise NotEnoughDataError("There are no campaign-days to monitor yet: load campaign data first.")
    mon = Monitor(sensitivity=sensitivity, country=country).fit(frame)
    return mon, mon.predict(since), mon.incidents(since)


def run_monitor(args, ctx) -> dict[str, Any]:
    """``python -m core monitor``: alerts since ``--since`` (default the last 7 days)."""
    wh = ctx.warehouse()
    sensitivity = getattr(args, "sensitivity", None) or "normal"
    settings = ctx.settings
    since = getattr(args, "since", None)
    if since:
        resolve_since(since, pd.Timestamp.today())  # validates the date early (exit 2)
    frame = wh.campaigns()
    if not len(frame):
        return {"alerts": [], "incidents": [], "since": None, "sensitivity": sensitivity}
    mon = Monitor(sensitivity=sensitivity, country=getattr(settings, "country", "US")).fit(frame)
    alerts = mon.predict(since)
    incs = mon.incidents(since)
    start = resolve_since(since, mon.last_date_)
    payload: dict[str, Any] = {
        "alerts": alerts[ALERT_COLUMNS].to_dict(orient="records") if len(alerts) else [],
        "incidents": incs.to_dict(orient="records") if len(incs) else [],
        "since": start.date().isoformat(), "until": mon.last_date_.date().isoformat(),
        "sensitivity": sensitivity,
    }
    url = getattr(args, "webhook", None) or getattr(settings, "webhook_url", None)
    if url:
        payload["notified"] = notify_new(wh, incs, url, timeout_s=5.0, retries=3)
    return payload


# ------------------------------------------------------------- evaluation aid

INJECTABLE = ("cpl_jump", "ctr_collapse", "tracking_stopped", "overspend", "underdelivery")


def inject_incidents(frame: pd.DataFrame, *, start: str | date, per_kind: int = 4,
                     kinds: Iterable[str] = INJECTABLE, length: tuple[int, int] = (3, 7),
                     min_expected: dict[str, float] | None = None, max_length: int = 28,
                     random_state: int | None = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Copy of ``frame`` with known incidents injected on or after ``start`` (for benchmarks and tests).

    Each kind gets up to ``per_kind`` incidents on distinct campaigns (never two on one
    campaign) that ran at least 60 of the 90 days before ``start``. An incident covers
    3-7 (``length``) of the campaign's days, longer on small campaigns: it lasts until
    the campaign would have delivered ``min_expected[kind]`` results at its recent
    pace (by default 12 leads for a tracking stop, 30 leads for a leads drop, 150 clicks
    for a click-through collapse: less is invisible to any test at a strict level), at
    most ``max_length`` days; campaigns too small for that are not chosen. What
    changes on every day of the incident:

    * ``cpl_jump``: leads and conversions thinned to 25-45% at unchanged spend;
    * ``ctr_collapse``: clicks thinned to 15-35% at unchanged impressions (leads and conversions follow);
    * ``tracking_stopped``: leads and conversions 0;
    * ``overspend``: spend 1.6-2.5x the daily budget (delivery scales with it);
    * ``underdelivery``: spend 5-30% of the usual (delivery scales with it).

    Returns
    -------
    (frame, truth): truth has campaign_id, kind, start, end (inclusive dates), days.
    """
    need = {"cpl_jump": 30.0, "tracking_stopped": 12.0, "ctr_collapse": 150.0, **(min_expected or {})}
    rng = np.random.default_rng(random_state)
    f = frame.copy()
    f["date"] = pd.to_datetime(f["date"]).dt.normalize()
    f["campaign_id"] = f["campaign_id"].astype(str)
    start_ts = pd.Timestamp(start).normalize()
    recent = f[(f["date"] < start_ts) & (f["date"] >= start_ts - pd.Timedelta(days=90))].groupby("campaign_id")
    vol = pd.DataFrame({"leads": recent["leads"].mean(), "conversions": recent["conversions"].mean(),
                        "clicks": recent["clicks"].mean(), "budget": recent["daily_budget"].mean(),
                        "spend": recent["spend"].mean(), "days": recent.size()}).fillna(0.0)
    vol = vol[vol["days"] >= 60]
    window = f[f["date"] >= start_ts]
    days_of = {c: g.index.to_numpy() for c, g in window.sort_values("date").groupby("campaign_id")}
    lo_len, hi_len = length
    taken: set[str] = set()
    truth = []
    for kind in kinds:
        if kind in ("cpl_jump", "tracking_stopped"):
            pace = np.maximum(vol["leads"], vol["conversions"])
        elif kind == "ctr_collapse":
            pace = vol["clicks"]
        else:
            pace = None
        if pace is not None:
            ok = vol[pace * max_length >= need[kind]]
            n_need = np.ceil(need[kind] / np.maximum(pace[ok.index], 1e-9)).astype(int)
        else:
            ok = vol[(vol["budget"] >= 10) & (vol["spend"] >= 0.5 * vol["budget"])]
            n_need = pd.Series(0, index=ok.index)
        pool = [c for c in ok.index if c not in taken and len(days_of.get(c, ())) >= lo_len]
        rng.shuffle(pool)
        for cid in pool[:per_kind]:
            taken.add(cid)
            rows_all = days_of[cid]
            n = max(int(rng.integers(lo_len, hi_len + 1)), int(n_need[cid]))
            n = min(n, max_length, len(rows_all))
            s_off = int(rng.integers(0, len(rows_all) - n + 1))
            rows = rows_all[s_off:s_off + n]
            k = len(rows)
            if kind == "cpl_jump":
                q = rng.uniform(0.25, 0.45)
                for col in ("leads", "conversions"):
                    f.loc[rows, col] = rng.binomial(f.loc[rows, col].astype(int).to_numpy(), q)
                f.loc[rows, "revenue"] = f.loc[rows, "revenue"] * q
            elif kind == "ctr_collapse":
                q = rng.uniform(0.15, 0.35)
                for col in ("clicks", "leads", "conversions"):
                    f.loc[rows, col] = rng.binomial(f.loc[rows, col].astype(int).to_numpy(), q)
                f.loc[rows, "revenue"] = f.loc[rows, "revenue"] * q
            elif kind == "tracking_stopped":
                f.loc[rows, ["leads", "conversions"]] = 0
                f.loc[rows, "revenue"] = 0.0
            else:
                old = f.loc[rows, "spend"].to_numpy(float)
                budget = f.loc[rows, "daily_budget"].to_numpy(float)
                if kind == "overspend":
                    new = budget * rng.uniform(1.6, 2.5, size=k)
                else:
                    new = old * rng.uniform(0.05, 0.3, size=k)
                q = np.clip(new / np.maximum(old, 1e-9), 0, None)
                f.loc[rows, "spend"] = np.round(new, 2)
                qi = np.minimum(q, 1.0)
                for col in ("impressions", "clicks", "leads", "conversions"):
                    vals = f.loc[rows, col].astype(int).to_numpy()
                    if kind == "overspend":  # more delivery, with diminishing returns
                        f.loc[rows, col] = rng.poisson(vals * q ** 0.8)
                    else:
                        f.loc[rows, col] = rng.binomial(vals, qi)
                f.loc[rows, "clicks"] = np.minimum(f.loc[rows, "clicks"], f.loc[rows, "impressions"])
                f.loc[rows, "leads"] = np.minimum(f.loc[rows, "leads"], f.loc[rows, "clicks"])
                f.loc[rows, "revenue"] = f.loc[rows, "revenue"] * (q ** 0.8 if kind == "overspend" else qi)
            truth.append({"campaign_id": cid, "kind": kind, "start": f.at[rows[0], "date"],
                          "end": f.at[rows[-1], "date"], "days": k})
    return f, pd.DataFrame(truth, columns=["campaign_id", "kind", "start", "end", "days"])


ACCEPTED_KINDS: dict[str, tuple[str, ...]] = {
    "cpl_jump": ("cpl_jump", "cpa_jump"),
    "ctr_collapse": ("ctr_collapse",),
    "tracking_stopped": ("tracking_stopped",),
    "overspend": ("overspend",),
    "underdelivery": ("underdelivery",),
}


def evaluate(alerts: pd.DataFrame, truth: pd.DataFrame, *, since: str | date) -> dict[str, Any]:
    """Precision of alerts and recall of injected incidents, overall and per kind.

    An alert is correct when its day lies inside an injected incident of its
    campaign (any kind); it is *kind-matched* when the kinds agree
    (:data:`ACCEPTED_KINDS`). An incident is recalled when at least one
    kind-matched alert falls inside it (``recall_any_kind``: any alert). Every other
    alert is a false alarm.
    """
    a = alerts.copy()
    a["_d"] = pd.to_datetime(a["date"]) if len(a) else pd.Series(dtype="datetime64[ns]")
    a = a[a["_d"] >= pd.Timestamp(since)] if len(a) else a
    inside = np.zeros(len(a), dtype=bool)
    matched = np.zeros(len(a), dtype=bool)
    per_kind: dict[str, dict[str, float]] = {}
    recalled = []
    for _, t in truth.iterrows():
        m = (a["campaign_id"].astype(str) == str(t["campaign_id"])) & (a["_d"] >= t["start"]) & (a["_d"] <= t["end"])
        km = m & a["kind"].isin(ACCEPTED_KINDS.get(t["kind"], (t["kind"],)))
        inside |= m.to_numpy()
        matched |= km.to_numpy()
        first = a.loc[km, "_d"].min() if km.any() else None
        recalled.append({"kind": t["kind"], "hit": bool(km.any()), "hit_any": bool(m.any()),
                         "delay_days": (first - t["start"]).days if first is not None else None})
    rec = pd.DataFrame(recalled, columns=["kind", "hit", "hit_any", "delay_days"])
    for kind in sorted(set(rec["kind"]) | set(a["kind"] if len(a) else [])):
        ak = a["kind"] == kind if len(a) else np.zeros(0, dtype=bool)
        rk = rec[rec["kind"] == kind]
        n_alerts = int(np.sum(ak))
        per_kind[kind] = {
            "alerts": n_alerts,
            "false_alarms": int(np.sum(np.asarray(ak) & ~inside)),
            "precision": float(np.sum(np.asarray(ak) & inside) / n_alerts) if n_alerts else float("nan"),
            "incidents": int(len(rk)),
            "recall": float(rk["hit"].mean()) if len(rk) else float("nan"),
            "recall_any_kind": float(rk["hit_any"].mean()) if len(rk) else float("nan"),
            "median_delay_days": float(rk["delay_days"].dropna().median()) if rk["hit"].any() else float("nan"),
        }
    n = len(a)
    return {
        "alerts": int(n), "false_alarms": int(np.sum(~inside)),
        "precision": float(inside.mean()) if n else float("nan"),
        "precision_kind_matched": float(matched.mean()) if n else float("nan"),
        "incidents": int(len(rec)), "recall": float(rec["hit"].mean()) if len(rec) else float("nan"),
        "recall_any_kind": float(rec["hit_any"].mean()) if len(rec) else float("nan"),
        "per_kind": per_kind,
    }
