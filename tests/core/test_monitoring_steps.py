"""The named steps of Monitor.fit, one at a time: count evidence, spend checks, root cause."""

from __future__ import annotations

import numpy as np

from core.monitoring import SENSITIVITY, notify
from core.monitoring.baseline import budget_groups, own_spend
from core.monitoring.detect import burst_overspend, count_evidence, quiet_repeats, root_cause, spend_checks

S = SENSITIVITY["normal"]
C, D = 1, 60


def _baseline(mu: float = 20.0) -> dict[str, np.ndarray]:
    return {"mu": np.full((C, D), mu), "alpha": np.full((C, D), 0.02), "rate_n": np.full((C, D), 400.0),
            "n_days": np.tile(np.arange(D, dtype=float), (C, 1))}


def _evidence(y: np.ndarray, **kw):
    pres = np.ones((C, D), dtype=bool)
    return count_evidence(y, _baseline(), pres, pres, S, holiday=np.zeros(D, dtype=bool), min_history_days=14, **kw)


def test_count_evidence_opens_on_a_collapse_and_a_stop_not_on_noise():
    rng = np.random.default_rng(0)
    y = rng.poisson(20.0, size=(C, D)).astype(float)
    masks, stats = _evidence(y)
    assert not masks["drop_open"].any() and not masks["track_open"].any()  # ordinary Poisson noise
    y[0, 40] = 1.0  # one day at a twentieth of the expected count
    y[0, 50:53] = 0.0  # three days at zero
    masks, stats = _evidence(y)
    assert masks["drop_open"][0, 40] and masks["drop_single"][0, 40]
    assert masks["track_open"][0, 50:53].all() and stats["zero_run"][0, 52] == 3
    assert stats["p"][0, 40] < S.p_open and stats["ready"][0, 20] and not stats["ready"][0, 5]  # 14 days first


def test_count_evidence_slow_leak_needs_the_cusum():
    y = np.full((C, D), 20.0)
    y[0, 30:] = 12.0  # 60% of the usual every day: no single day is improbable enough
    with_cusum, _ = _evidence(y, slow_leaks=True)
    without, _ = _evidence(y, slow_leaks=False)
    assert with_cusum["drop_open"][0, 30:].any()
    assert not without["drop_open"].any()


def test_count_evidence_zero_conversions_without_leads_are_not_theirs():
    y = np.full((C, D), 20.0)
    y[0, 45:50] = 0.0
    no_leads = np.zeros((C, D), dtype=bool)
    no_leads[0, 45:50] = True
    masks, _ = _evidence(y, no_leads=no_leads)
    assert not masks["track_open"].any()


def _spend(budget: float = 100.0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    b = np.full((C, D), budget)
    sp = {"expected": np.full((C, D), 0.9 * budget), "sd": np.full((C, D), 0.05), "n": np.full((C, D), 20.0),
          "level": np.full((C, D), 0.9 * budget)}
    return b, sp


def test_spend_checks_overspend_on_a_day_underdelivery_over_days():
    b, sp = _spend()
    spend = np.full((C, D), 90.0)
    spend[0, 20] = 200.0  # twice the budget
    spend[0, 30] = 8.0  # one low day: not yet under-delivery
    spend[0, 40:43] = 8.0  # three in a row: all three days
    pres = np.ones((C, D), dtype=bool)
    over, under, stats = spend_checks(spend, b, sp, pres, S)
    assert np.flatnonzero(over[0]).tolist() == [20]
    assert np.flatnonzero(under[0]).tolist() == [40, 41, 42]
    assert stats["upper"][0, 0] >= S.overspend * 100.0 and stats["ready"].all()


def test_spend_checks_spending_after_the_budget_was_set_to_zero():
    b, sp = _spend()
    b[0, 50:] = 0.0
    spend = np.full((C, D), 90.0)
    over, _, _ = spend_checks(spend, b, sp, np.ones((C, D), dtype=bool), S)
    assert np.flatnonzero(over[0]).tolist() == [50]  # the first day without a budget, yet spending


def test_burst_overspend_a_burst_comes_back_down_a_raise_stays_up():
    # budgets unknown: days 40-42 at 2.2x then back (a burst), from day 70 on at 2.2x for good (a raise)
    n = 100
    spend = 50.0 * np.exp(np.random.default_rng(1).normal(0.0, 0.03, (1, n)))
    spend[0, 40:43] *= 2.2
    spend[0, 70:] *= 2.2
    pres = np.ones((1, n), dtype=bool)
    own = own_spend(spend, pres, weekday=np.arange(n) % 7)
    ok = np.isfinite(own["expected"]) & (own["n"] >= 7)
    known = np.zeros((1, n), dtype=bool)
    over, ref, _ = burst_overspend(spend, np.zeros((1, n)), known, own, ok, S)
    assert np.flatnonzero(over[0]).tolist() == [40, 41, 42]
    assert 45.0 < ref[0, 41] < 55.0
    # the newest days, nothing after them: only an extreme spike against the days before
    over, _, _ = burst_overspend(spend[:, :72], np.zeros((1, 72)), known[:, :72],
                                 own_spend(spend[:, :72], pres[:, :72]), ok[:, :72], S)
    assert not over[0, 70:].any()


def test_budget_groups_pair_the_line_items_the_warehouse_says_share_a_budget():
    ids = ["238-facebook", "238-instagram", "239-facebook", "g-1", "b", "a", "x-facebook", "x-instagram"]
    shared = {"238-facebook": "meta:238", "238-instagram": "meta:238", "239-facebook": "meta:239",
              "a": "meta:240", "b": "meta:240"}
    # 239's other placement is not in the frame (filtered out): alone, it has its own budget;
    # ids that only look split (no export record) are their own line items
    assert budget_groups(ids, shared).tolist() == [0, 0, -1, -1, 1, 1, -1, -1]
    assert budget_groups(ids, None).tolist() == [-1] * len(ids)


def _kinds(**on: list[int]) -> dict[str, dict[str, np.ndarray]]:
    """Evidence masks all False except ``channel_mask=[days]`` (e.g. leads_track_open=[5])."""
    names = ("drop_open", "drop_keep", "drop_single", "track_single", "track_open", "track_keep")
    kinds = {ch: {n: np.zeros((C, D), dtype=bool) for n in names} for ch in ("leads", "conversions", "clicks")}
    for key, days in on.items():
        ch, mask = key.split("_", 1)
        kinds[ch][mask][0, days] = True
    return kinds


def test_root_cause_click_collapse_explains_fewer_leads():
    k = _kinds(clicks_drop_open=[10], leads_drop_open=[10], leads_drop_single=[10], leads_track_open=[10])
    cause = root_cause(k)
    assert cause["ctr_collapse"][0, 10]
    assert not (cause["cpl_jump"] | cause["tracking_stopped"] | cause["cpa_jump"]).any()


def test_root_cause_zero_leads_are_tracking_and_leads_explain_conversions():
    k = _kinds(leads_track_open=[10], leads_track_single=[10], leads_drop_open=[10], leads_drop_single=[10],
               conversions_drop_open=[20], conversions_drop_single=[20])
    cause = root_cause(k)
    assert cause["tracking_stopped"][0, 10] and cause["tracking_leads"][0, 10] and not cause["cpl_jump"][0, 10]
    assert cause["cpa_jump"][0, 20]
    k = _kinds(leads_drop_open=[30], leads_drop_single=[30], conversions_drop_open=[30],
               conversions_drop_single=[30])
    cause = root_cause(k)
    assert cause["cpl_jump"][0, 30] and not cause["cpa_jump"][0, 30]


def test_root_cause_needs_fresh_evidence_right_after_an_incident():
    # several-day evidence (not single-day) the week after a click collapse does not open a leads drop
    k = _kinds(clicks_drop_open=[10], leads_drop_open=[15])
    assert not root_cause(k)["cpl_jump"][0, 15]
    k = _kinds(clicks_drop_open=[10], leads_drop_open=[15], leads_drop_single=[15])  # one-day evidence does
    assert root_cause(k)["cpl_jump"][0, 15]
    k = _kinds(clicks_drop_open=[10], leads_drop_open=[40])  # and so does anything weeks later
    assert root_cause(k)["cpl_jump"][0, 40]


def test_quiet_repeats_only_on_continued_small_tracking_incidents():
    track = np.zeros((C, D), dtype=bool)
    track[0, 10:14] = True
    expected = np.full((C, D), 0.5)
    expected[0, 12] = 3.0
    assert np.flatnonzero(quiet_repeats(track, expected)[0]).tolist() == [11, 13]


def test_post_webhook_sends_through_the_one_transport_function(monkeypatch):
    calls = []

    def fake_send(url, body, *, timeout_s):
        calls.append((url, body, timeout_s))
        return 204

    monkeypatch.setattr(notify, "send", fake_send)
    assert notify.post_webhook("https://hooks.example/x", {"text": "hi"}, timeout_s=2.0) == 204
    assert calls == [("https://hooks.example/x", b'{"text": "hi"}', 2.0)]
