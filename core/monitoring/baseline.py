"""What each campaign-day should have been: the (campaign x day) grid and the sequential
baseline passes (counts per exposure, spend per budget), each day learned only from the
days before it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from core.errors import BadInputError
from core.monitoring.stats import DAY_TYPES, market_factor, weekday_factors
from core.monitoring.vocabulary import NUMERIC

@dataclass
class Grid:
    """Campaign-days as (campaign x day) arrays over the whole date span."""

    campaigns: pd.DataFrame  # one row per campaign: campaign_id, campaign_name, platform, objective
    dates: pd.DatetimeIndex
    present: np.ndarray
    values: dict[str, np.ndarray]
    platform_idx: np.ndarray
    budget_known: np.ndarray  # False where a day's daily_budget is NULL (imported history: unknown)


def build_grid(frame: pd.DataFrame) -> Grid:
    need = {"date", "campaign_id", *NUMERIC}
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
    budget_known = np.zeros(shape, dtype=bool)
    budget_known[c_idx, d_idx] = pd.to_numeric(f["daily_budget"], errors="coerce").notna().to_numpy()
    values = {}
    for col in NUMERIC:
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
    return Grid(camp, dates, present, values, p_idx.astype(int), budget_known)




def count_pass(y: np.ndarray, e: np.ndarray, present: np.ndarray, weekday: np.ndarray,
                platform_idx: np.ndarray, *, half_life: float, wd_half_life: float,
                alpha_prior: float, outlier_z: float, market: bool,
                daytype: np.ndarray | None = None, leak_hold: float | None = None) -> dict[str, np.ndarray]:
    """Expected counts day by day from the days before, excluding outlying days.

    ``leak_hold``: see :class:`core.monitoring.Monitor` (None: every ordinary day teaches).

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
    leak, frozen_days = np.zeros(C), np.zeros(C)  # evidence of a slow leak, days it has held the baseline
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
        if leak_hold is not None:
            # a slow leak no single day shows must not become the baseline before it alerts: a
            # CUSUM of "the rate halved" (as in detect) holds learning while above leak_hold
            llr = np.where(ok_mu & pres & (e[:, d] > 0),
                           (y[:, d] * np.log(0.5) + 0.5 * np.nan_to_num(mu)) / (1.0 + alpha * np.nan_to_num(mu)), 0.0)
            leak = np.maximum(0.0, leak + llr)
            held = (leak > leak_hold) & (frozen_days < 4)
            frozen_days = np.where(held, frozen_days + 1, np.where(leak > leak_hold, frozen_days, 0.0))
            learn = learn & ~held
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


def spend_pass(spend: np.ndarray, budget: np.ndarray, present: np.ndarray, weekday: np.ndarray, *,
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




def own_spend(spend: np.ndarray, present: np.ndarray, *, weekday: np.ndarray | None = None,
              window: int = 14) -> dict[str, np.ndarray]:
    """Each campaign's usual spend from its own last ``window`` days with spend (not today),
    and from its next ``window`` days.

    For days whose budget is unknown: the median of those days (a short incident does not
    move it; a lasting change of budget becomes the new usual within a week), the
    day-to-day noise of their log spend (from the median step between consecutive days,
    at least 5%) and how many days it rests on. The days after (``after_*``) tell a burst, which comes back down to where it came
    from, from a budget raise, which stays up: an unknown budget is only ever one of
    imported history, which arrives whole, so its later days are known when it is judged.
    A campaign whose spend follows the week (``weekday`` given: one not held by its
    budget, busier at weekends) is judged against the level of the day's own weekday
    (:func:`_weekday_offsets`), so its weekends are neither bursts nor its weekdays shortfalls.
    Returns ``expected``, ``sd``, ``n``, ``after_expected``, ``after_sd``, ``after_n`` and
    ``noise`` (the day-to-day noise over the eight weeks around the day) arrays (campaign x day), NaN (n 0) where there are no such days.
    """
    C, D = spend.shape
    out = {k: np.full((C, D), np.nan) for k in ("expected", "sd", "after_expected", "after_sd", "noise")}
    out["n"], out["after_n"] = np.zeros((C, D)), np.zeros((C, D))
    for c in range(C):
        days = np.flatnonzero(present[c] & (spend[c] > 0))
        if len(days) < 2:
            continue
        log_s = np.log(spend[c, days])
        wd_off = np.zeros(len(days)) if weekday is None else _weekday_offsets(log_s, weekday[days], window)
        log_s = log_s - wd_off
        # the campaign's day-to-day noise over eight weeks around the day: two short windows'
        # estimates scatter, and the lower of them is biased low
        steps = pd.Series(np.abs(np.diff(log_s, prepend=np.nan)))
        noise = steps.rolling(57, center=True, min_periods=7).median().to_numpy()
        out["noise"][c, days] = np.maximum(1.0483 * noise, 0.05)
        for key, series, n in (("", log_s, np.arange(len(days))),
                               ("after_", log_s[::-1], np.arange(len(days)))):
            s = pd.Series(series)
            med = s.shift(1).rolling(window, min_periods=1).median().to_numpy()
            # day-to-day noise from the steps between consecutive days (a change of level is one
            # step, a burst two: neither inflates it as deviations from a median would)
            step = s.diff().abs().shift(1).rolling(window, min_periods=1).median().to_numpy()
            sd = np.maximum(1.0483 * np.nan_to_num(step), 0.05)
            if key:
                med, sd, n = med[::-1], sd[::-1], n[::-1]
            out[key + "expected"][c, days] = np.exp(med + wd_off)
            out[key + "sd"][c, days] = sd
            out[key + "n"][c, days] = np.minimum(n, window)
    return out


def _weekday_offsets(log_s: np.ndarray, weekday: np.ndarray, window: int) -> np.ndarray:
    """Per day, its weekday's usual offset of log spend from the campaign's level around it.

    The level is a centred rolling median (a weekly rhythm does not move it, nor does a
    burst of a few days); each weekday's offset is the median of its days' deviations from
    it, shrunk towards 0 by its number of days (``n / (n + 4)``) and 0 with under four weeks.
    """
    if len(log_s) < 28:
        return np.zeros(len(log_s))
    level = pd.Series(log_s).rolling(window + 1, center=True, min_periods=7).median().to_numpy()
    dev = log_s - level
    out = np.zeros(len(log_s))
    for k in range(7):
        on = weekday == k
        ok = on & np.isfinite(dev)
        if ok.any():
            out[on] = float(np.median(dev[ok])) * ok.sum() / (ok.sum() + 4.0)
    return out


def budget_groups(campaign_ids: Iterable[str], shared: Mapping[str, str] | None) -> np.ndarray:
    """Per line item, the index of the budget it shares with others in ``campaign_ids`` (-1: its own).

    ``shared`` maps a line item to its budget's key, as the warehouse recorded it on import
    (``Warehouse.shared_budgets``): a Meta ad set delivering on Facebook and Instagram is
    two line items with one budget, and Meta moves spend between them from day to day. A
    key only one of ``campaign_ids`` holds (the other placement filtered out) is no group.
    """
    keys = [(shared or {}).get(str(c)) for c in campaign_ids]
    counts: dict[str, int] = {}
    for k in keys:
        if k is not None:
            counts[k] = counts.get(k, 0) + 1
    index = {k: i for i, k in enumerate(sorted(k for k, n in counts.items() if n > 1))}
    return np.array([index.get(k, -1) if k is not None else -1 for k in keys], dtype=int)
