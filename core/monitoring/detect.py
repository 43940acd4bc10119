"""From baselines to alert masks: the three steps of ``Monitor.fit`` after the baselines.

* :func:`count_evidence`: for one count channel (leads, conversions, clicks), the
  tail probabilities of a day, three and five days, the run of low days, the run of
  zero days and a CUSUM, turned into open / keep masks of a drop and of a tracking stop;
* :func:`spend_checks`: overspend on a day against the budget, under-delivery over
  consecutive days against the campaign's usual pacing;
* :func:`root_cause`: one root cause per campaign-day (a click collapse explains fewer
  leads; zero results are tracking; leads before conversions), with hysteresis and the
  rule that a new incident needs fresh evidence.

Every function takes and returns (campaign x day) arrays.
"""

from __future__ import annotations

import numpy as np

from core.monitoring.stats import cusum, hysteresis, nb_cdf, nb_zero, run_sums, settle, window_sum
from core.monitoring.vocabulary import Sensitivity


def count_evidence(y: np.ndarray, r: dict[str, np.ndarray], present: np.ndarray, spent: np.ndarray,
                   s: Sensitivity, *, holiday: np.ndarray, min_history_days: int, slow_leaks: bool = True,
                   no_leads: np.ndarray | None = None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Evidence of a drop and of a stop of one count channel.

    Parameters
    ----------
    y : observed counts; r : the channel's baseline pass (``mu``, ``alpha``, ``rate_n``, ``n_days``)
    present, spent : campaign-days with data, and with spend
    s : the sensitivity's thresholds
    holiday : per day, whether one-day tests need ten times stronger evidence
    slow_leaks : add the CUSUM (results only: a slow leak no single day shows)
    no_leads : campaign-days without the leads they should have had (conversions only:
        zero conversions there are the leads' story, not theirs)

    Returns
    -------
    (masks, stats): masks ``drop_open``, ``drop_keep``, ``drop_single``, ``track_single``,
    ``track_open``, ``track_keep``; stats ``observed``, ``expected``, ``alpha``, ``p``,
    ``zero_run``, ``zero_expected``, ``ready``.
    """
    # p-value strictness: holidays (whose effect is learned, but from few days) need ten times more
    # (one- and three-day tests only: a run of several days is not explained by one holiday)
    p_day = np.where(holiday, s.p_open * 0.1, s.p_open)[None, :]
    p_open = s.p_open
    keep_ratio = (1 + s.ratio) / 2
    mu = r["mu"]
    ready = present & np.isfinite(mu) & (mu > 0) & (r["n_days"] >= min_history_days)
    # relative variance of an exponentially weighted rate: (sum w^2 / sum w) / (weighted count),
    # about half of 1 / count, inflated by the overdispersion
    rate_var = 0.5 * (1.0 + r["alpha"]) / np.maximum(np.nan_to_num(r["rate_n"]), 1.0)
    alpha = r["alpha"] + rate_var
    mu0 = np.where(ready, mu, 0.0)
    amu2 = np.where(ready, r["alpha"] * mu0 * mu0, 0.0)
    low = ready & (y <= keep_ratio * mu)  # tail probabilities matter only on low days
    p1 = nb_cdf(y, np.where(low, mu, np.nan), alpha)
    # three-day evidence: sums over the last three days with their own expectations
    y3, m3 = window_sum(np.where(ready, y, 0.0), 3), window_sum(mu0, 3)
    p3 = nb_cdf(y3, np.where(low & (m3 > 0), m3, np.nan),
                window_sum(amu2, 3) / np.maximum(m3, 1e-9) ** 2 + rate_var)
    y5, m5 = window_sum(np.where(ready, y, 0.0), 5), window_sum(mu0, 5)
    p5 = nb_cdf(y5, np.where(low & (m5 > 0), m5, np.nan),
                window_sum(amu2, 5) / np.maximum(m5, 1e-9) ** 2 + rate_var)
    # run evidence: the days in a row that came in low (or at zero), tested as one sum
    n_r, y_r, m_r, a_r = run_sums(low, y, mu0, amu2, spent)
    p_r = nb_cdf(y_r, np.where(n_r > 0, m_r, np.nan), a_r / np.maximum(m_r, 1e-9) ** 2 + rate_var)
    zero = ready & (y == 0)
    zbreak = spent
    if no_leads is not None:
        zero, zbreak = zero & ~no_leads, spent & ~no_leads
    n_z, _, m_z, a_z = run_sums(zero, y, mu0, amu2, zbreak, cap=42)
    p_z = np.where(n_z > 0, nb_zero(m_z, a_z / np.maximum(m_z, 1e-9) ** 2 + rate_var), 1.0)
    single = low & (y <= s.ratio * mu) & (mu >= s.min_expected) & (p1 < p_day)
    drop_open = single | low & (
        ((y <= s.ratio * mu) & (mu >= s.min_expected) & (p1 < p_day))
        | ((y <= s.ratio * mu) & (m3 >= 2 * s.min_expected) & (y3 <= s.ratio * m3) & (p3 < p_day))
        | ((y <= s.ratio * mu) & (m_r >= 2 * s.min_expected) & (y_r <= s.ratio * m_r)
           & (p_r < p_open))
        | ((y <= s.ratio * mu) & (m5 >= 3 * s.min_expected) & (y5 <= s.ratio * m5) & (p5 < p_open)))
    if slow_leaks:
        c_open, c_keep = cusum(y, mu, r["alpha"], ready, low, ratio=s.ratio, h=float(-np.log(p_open)))
        drop_open = drop_open | (c_open & (mu >= 0.5))
        drop_keep = low & ((p1 < s.p_keep) | c_keep)
    else:
        drop_keep = low & (p1 < s.p_keep)
    track_open = (n_z > 0) & (m_z >= 2 * s.min_expected) & (p_z < p_open)
    track_keep = (n_z > 0) & (p_z < s.p_keep)
    masks = {"drop_open": drop_open, "drop_keep": drop_keep, "drop_single": single,
             "track_single": track_open & (n_z == 1), "track_open": track_open, "track_keep": track_keep}
    stats = {"observed": y, "expected": np.where(present, mu, np.nan), "alpha": alpha,
             "p": np.fmin.reduce([np.nan_to_num(p, nan=1.0) for p in (p1, p3, p5, p_r, p_z)]),
             "zero_run": n_z, "zero_expected": m_z, "ready": ready}
    return masks, stats


def spend_checks(spend: np.ndarray, budget: np.ndarray, sp: dict[str, np.ndarray], present: np.ndarray,
                 s: Sensitivity, *, budget_known: np.ndarray | None = None,
                 own: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Overspend on a day, under-delivery over ``s.under_days`` consecutive days.

    ``sp`` is the spend baseline pass (``expected``, ``sd``, ``n``, ``level``). Where a day's
    budget is unknown (``budget_known`` False: imported history), delivery is judged
    against the campaign's own recent spend (``own``: :func:`core.monitoring.baseline.own_spend`,
    with an optional ``pooled`` mask: False where the budget the line item shares with
    others, a Meta ad set split over Facebook and Instagram, saw no burst in total), never
    against a budget: under-delivery when spend collapses below its usual level for
    consecutive days, overspend on a burst above its level before and after
    (:func:`burst_overspend`: a budget raised by an unknown amount is not an incident).
    Returns (overspend mask, under-delivery mask, the spend
    stats for the chart).
    """
    C, D = present.shape
    known = np.ones_like(present) if budget_known is None else budget_known
    exp_sp, sd_sp = sp["expected"], sp["sd"]
    usual_max = np.where(sp["n"] >= 5, exp_sp * np.exp(4 * sd_sp) / np.where(budget > 0, budget, 1.0), 0.0)
    over_thr = np.maximum(s.overspend, np.nan_to_num(usual_max))
    had_budget = np.zeros_like(present)
    had_budget[:, 1:] = (budget[:, :-1] > 0) & known[:, :-1]  # a budget set to 0 yesterday-to-today, yet spending
    over = present & known & (((budget > 0) & (spend > over_thr * budget) & (spend - budget >= 5.0))
                              | ((budget <= 0) & had_budget & (spend >= 20.0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        z_sp = np.log(np.maximum(spend, 1e-3) / exp_sp) / sd_sp
    under_day = (present & (budget > 0) & np.isfinite(exp_sp) & (exp_sp >= 5.0) & (sp["n"] >= 5)
                 & (spend <= s.under * exp_sp) & (spend <= 0.7 * budget) & (z_sp < -4.0)
                 & (spend <= s.under * np.nan_to_num(sp["level"], nan=np.inf)))
    expected = np.where(present, exp_sp, np.nan)
    lower = np.where(present, exp_sp * np.exp(-4 * sd_sp), np.nan)
    upper = np.where(present & (budget > 0), np.maximum(exp_sp * np.exp(4 * sd_sp), over_thr * budget), np.nan)
    ready = present & (sp["n"] >= 5)
    if own is not None:
        unknown = present & ~known
        e_u, sd_u, n_u = own["expected"], own["sd"], own["n"]
        with np.errstate(invalid="ignore", divide="ignore"):
            z_u = np.log(np.maximum(spend, 1e-3) / e_u) / sd_u
        ok_u = unknown & np.isfinite(e_u) & (e_u >= 5.0) & (n_u >= 7)
        # stricter than against a known budget: a budget cut of unknown size must not look like one
        under_day = under_day | (ok_u & (spend <= 0.6 * s.under * e_u) & (z_u < -4.0))
        over_u, ref, top = burst_overspend(spend, budget, known, own, ok_u, s)
        if "pooled" in own:  # a line item sharing its ad set's budget: the ad set's total must burst too
            over_u = over_u & own["pooled"]
        over = over | over_u
        # an overspend's message quotes the level it was judged against (before and after)
        expected = np.where(unknown, np.where(over_u, ref, e_u), expected)
        lower = np.where(unknown, e_u * np.exp(-4 * sd_u), lower)
        upper = np.where(unknown, np.maximum(ref * np.exp(4 * sd_u), top), upper)
        ready = np.where(unknown, n_u >= 7, ready)
    under = _under_runs(under_day, present, s.under_days)
    stats = {"observed": spend, "expected": expected, "lower": lower, "upper": upper,
             "p": np.ones((C, D)), "zero_run": np.zeros((C, D)), "zero_expected": np.zeros((C, D)), "ready": ready}
    return over, under, stats


def _next_known_budget(budget: np.ndarray, known: np.ndarray, *, within: int) -> np.ndarray:
    """Per campaign-day, the budget of the next later day whose budget is known (at most ``within`` days on)."""
    C, D = budget.shape
    out = np.full((C, D), np.nan)
    nxt, at = np.full(C, np.nan), np.full(C, np.inf)
    for d in range(D - 1, -1, -1):
        out[:, d] = np.where(at - d <= within, nxt, np.nan)
        nxt = np.where(known[:, d], budget[:, d], nxt)
        at = np.where(known[:, d], d, at)
    return out


def burst_overspend(spend: np.ndarray, budget: np.ndarray, known: np.ndarray, own: dict[str, np.ndarray],
                     ok: np.ndarray, s: Sensitivity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overspend on days whose budget is unknown: a burst above the campaign's level on both sides.

    A budget raise is a level shift: the days after stay at the new level. An overspend is
    a burst: spend well above the level before *and* the level after: the median of the
    next days with spend, or, with under three of them (the last days before the export
    day), the budget known on a day at most 14 days on (a burst that runs into the export
    day does not lift its own yardstick). Platforms let a day run over its budget (Meta up
    to 75%, Google up to 2x) as long as the week or month averages out, so one day counts
    only beyond ``r_day`` times the level; ``r_run`` times it on two or more days in a row
    already does not average out. Each needs strong evidence against the campaign's own
    day-to-day noise (z above 4: of the day alone, or of the run as one sum). Where nothing
    after the day is known yet (the newest days of data without budgets), only an extreme
    spike counts (2.5x the level before).

    Returns (overspend mask, the level each day was judged against, the spend that alerts on one day).
    """
    e_b, sd_b = own["expected"], own["sd"]
    e_a, sd_a, n_a = own["after_expected"], own["after_sd"], own["after_n"]
    b_next = _next_known_budget(budget, known, within=14)
    after = np.where(n_a >= 3, e_a, np.where(b_next > 0, b_next, np.nan))
    two_sided = ok & np.isfinite(after)
    ref = np.where(two_sided, np.fmax(e_b, after), e_b)
    sd = np.where(two_sided, np.where(np.isfinite(own["noise"]), own["noise"], np.fmax(sd_b, sd_a)), sd_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = spend / ref
        z = np.log(np.maximum(spend, 1e-3) / ref) / sd
    r_run, r_day = s.overspend + 0.2, max(2.0, s.overspend + 0.7)
    big = ok & (spend - ref >= 20.0)
    # a run of days in a row each above r_run: its evidence is the run's, as one sum (a noisy
    # campaign's five days at 2x say more than any one of them)
    high = two_sided & big & (q >= r_run)
    n_run, z_run = _run_evidence(high, np.where(high, np.log(np.maximum(q, 1e-9)), 0.0), sd)
    over = ((two_sided & big & (z > 4.0) & (q >= r_day)) | (high & (n_run >= 2) & (z_run > 4.0))
            | (ok & ~two_sided & big & (z > 4.0) & (q >= 2.5)))
    return over, np.where(ok, ref, e_b), np.where(two_sided, r_day, 2.5) * ref


def _run_evidence(on: np.ndarray, log_q: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per day of a run of ``on`` days in a row, the run's length and its z (sum of log ratios / (sd sqrt n))."""
    C, D = on.shape
    n, tot, var = np.zeros((C, D)), np.zeros((C, D)), np.zeros((C, D))
    sd2 = np.nan_to_num(sd, nan=1.0) ** 2
    for d in range(D):  # forward: running sums
        prev = (n[:, d - 1], tot[:, d - 1], var[:, d - 1]) if d else (0.0, 0.0, 0.0)
        n[:, d] = np.where(on[:, d], prev[0] + 1, 0)
        tot[:, d] = np.where(on[:, d], prev[1] + log_q[:, d], 0.0)
        var[:, d] = np.where(on[:, d], prev[2] + sd2[:, d], 0.0)
    for d in range(D - 2, -1, -1):  # backward: every day of a run gets the whole run's sums
        cont = on[:, d] & on[:, d + 1]
        n[:, d] = np.where(cont, n[:, d + 1], n[:, d])
        tot[:, d] = np.where(cont, tot[:, d + 1], tot[:, d])
        var[:, d] = np.where(cont, var[:, d + 1], var[:, d])
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(n > 0, tot / np.sqrt(np.maximum(var, 1e-12)), 0.0)
    return n, z


def _under_runs(under_day: np.ndarray, present: np.ndarray, days: int) -> np.ndarray:
    """Days of a run of at least ``days`` under-delivering days (absent days neither extend nor end it)."""
    C, D = under_day.shape
    under_run = np.zeros((C, D), dtype=int)
    run_i = np.zeros(C, dtype=int)
    for d in range(D):
        run_i = np.where(under_day[:, d], run_i + 1, np.where(present[:, d], 0, run_i))
        under_run[:, d] = np.where(under_day[:, d], run_i, 0)
    under = under_run >= days
    # the first days of a run that reached the limit belong to the same incident
    for back in range(1, days):
        shifted = np.zeros_like(under)
        shifted[:, :-back] = under[:, back:] & (under_run[:, back:] == days)
        under |= shifted & under_day
    return under


def _recent(*others: np.ndarray) -> np.ndarray:
    """Campaign-days with an incident of any of ``others`` in the 14 days before."""
    seen = np.logical_or.reduce(others)
    out = np.zeros_like(seen)
    for back in range(1, 15):  # as far back as a run sum reaches
        out[:, back:] |= seen[:, :-back]
    return out


def root_cause(kinds: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One root cause per campaign-day from the channels' evidence (:func:`count_evidence`).

    A click collapse explains fewer leads; zeros are tracking; a leads drop explains
    fewer conversions. A new incident needs fresh evidence: several-day sums that may
    reach back into an incident that ended in the last two weeks (of any kind) do not
    open another one alone.

    Returns masks ``ctr_collapse``, ``tracking_stopped``, ``cpl_jump``, ``cpa_jump``
    and ``tracking_leads`` (the tracking stop is of leads, else of conversions).
    """
    lk, ck = kinds["leads"], kinds["conversions"]
    ctr = hysteresis(kinds["clicks"]["drop_open"], kinds["clicks"]["drop_keep"])
    # a first pass with plain hysteresis tells which incidents may have fed the several-day sums
    track_l = hysteresis(lk["track_open"] & ~ctr, lk["track_keep"] & ~ctr)
    track_c = hysteresis(ck["track_open"] & ~ctr & ~track_l, ck["track_keep"] & ~ctr & ~track_l)
    track_any = track_l | track_c
    cpl = hysteresis(lk["drop_open"] & ~ctr & ~track_any, lk["drop_keep"] & ~ctr & ~track_any)
    cpa = hysteresis(ck["drop_open"] & ~ctr & ~track_any & ~cpl, ck["drop_keep"] & ~ctr & ~track_any & ~cpl)
    r_track = _recent(ctr, cpl, cpa)
    track_l = settle(lk["track_open"] & ~ctr, lk["track_single"], lk["track_keep"] & ~ctr, r_track)
    track_c = settle(ck["track_open"] & ~ctr & ~track_l, ck["track_single"],
                     ck["track_keep"] & ~ctr & ~track_l, r_track)
    track_any = track_l | track_c
    cpl = settle(lk["drop_open"] & ~ctr & ~track_any, lk["drop_single"], lk["drop_keep"] & ~ctr & ~track_any,
                 _recent(ctr, track_any))
    cpa = settle(ck["drop_open"] & ~ctr & ~track_any & ~cpl, ck["drop_single"],
                 ck["drop_keep"] & ~ctr & ~track_any & ~cpl, _recent(ctr, track_any))
    return {"ctr_collapse": ctr, "tracking_stopped": track_any, "cpl_jump": cpl, "cpa_jump": cpa,
            "tracking_leads": track_l}


def quiet_repeats(track_any: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Days of an open tracking incident that say nothing new (under one result expected).

    An open tracking incident of a small campaign is not re-announced on such days (a
    zero is ordinary there); it stays open until a result comes.
    """
    cont = np.zeros_like(track_any)
    cont[:, 1:] = track_any[:, :-1]
    return track_any & cont & (expected < 1.0)
