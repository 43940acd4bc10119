"""Unknown budgets (imported platform history): delivery is judged on the campaign's own spend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import sample_data
from core.monitoring import Monitor, evaluate, inject_incidents


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    ws = sample_data.generate(seed=3)
    frame = pd.DataFrame(ws["campaigns"] if isinstance(ws, dict) else ws.campaigns)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _delivery(alerts: pd.DataFrame) -> pd.DataFrame:
    return alerts[alerts["kind"].isin(["overspend", "underdelivery"])]


def test_imported_history_without_budgets_raises_no_delivery_alerts(history):
    since = history["date"].max() - pd.Timedelta(days=179)
    unknown = history.assign(daily_budget=np.nan)
    assert len(_delivery(Monitor().fit(unknown).predict(since))) == 0
    # budgets known for the old days, unknown from a day on (an export that gave none): no "no budget set"
    cut = history["date"] >= history["date"].max() - pd.Timedelta(days=60)
    half = history.copy()
    half.loc[cut, "daily_budget"] = np.nan
    assert len(_delivery(Monitor().fit(half).predict(since))) == 0


def test_under_delivery_is_still_caught_against_the_campaigns_own_spend(history):
    since = history["date"].max() - pd.Timedelta(days=59)
    dirty, truth = inject_incidents(history, start=since, per_kind=4, kinds=("underdelivery",), random_state=5)
    dirty["daily_budget"] = np.nan
    alerts = Monitor().fit(dirty).predict(since)
    ev = evaluate(_delivery(alerts), truth, since=since)
    assert ev["false_alarms"] == 0 and ev["recall"] >= 0.75
    msg = alerts.loc[alerts["kind"] == "underdelivery", "message"].iloc[0]
    assert "from its own recent spend (budget unknown)" in msg


def test_a_wild_spike_without_a_budget_is_still_an_overspend(history):
    since = history["date"].max() - pd.Timedelta(days=29)
    f = history.assign(daily_budget=np.nan)
    cid = f.groupby("campaign_id")["spend"].mean().idxmax()
    day = (f["campaign_id"] == cid) & (f["date"] == f["date"].max())
    f.loc[day, "spend"] *= 4.0
    over = Monitor().fit(f).predict(since)
    over = over[over["kind"] == "overspend"]
    assert over["campaign_id"].tolist() == [cid] and "budget is unknown" in over["message"].iloc[0]


def _as_imported(history: pd.DataFrame) -> pd.DataFrame:
    """Budgets as an API export gives them: known only on each campaign's last day."""
    f = history.copy()
    last = f.groupby("campaign_id")["date"].transform("max")
    f.loc[f["date"] < last, "daily_budget"] = np.nan
    return f


def _biggest(f: pd.DataFrame) -> str:
    return f.groupby("campaign_id")["spend"].mean().idxmax()


@pytest.mark.parametrize("days_before_end", [30, 2])
def test_a_budget_raise_of_unknown_size_is_no_overspend(history, days_before_end):
    # the level shifts up and stays there (spend 2.2x, the export day's budget with it): a new budget
    since = history["date"].max() - pd.Timedelta(days=59)
    f = _as_imported(history)
    cid = _biggest(f)
    up = (f["campaign_id"] == cid) & (f["date"] >= f["date"].max() - pd.Timedelta(days=days_before_end))
    f.loc[up, ["spend", "daily_budget"]] *= 2.2
    assert len(_delivery(Monitor().fit(f).predict(since))) == 0


def test_a_raise_for_ten_days_cut_back_on_the_export_day_is_no_overspend(history):
    # the known budget of the export day is the old one again: it must not make the ten days a burst
    since = history["date"].max() - pd.Timedelta(days=59)
    f = _as_imported(history)
    cid = _biggest(f)
    end = f["date"].max()
    up = (f["campaign_id"] == cid) & f["date"].between(end - pd.Timedelta(days=10), end - pd.Timedelta(days=1))
    f.loc[up, "spend"] *= 2.0
    assert len(_delivery(Monitor().fit(f).predict(since))) == 0


def test_an_overspend_burst_in_imported_history_is_caught(history):
    # four days at 2x the level, three weeks before the export day, then back down: an overspend
    since = history["date"].max() - pd.Timedelta(days=59)
    f = _as_imported(history)
    cid = _biggest(f)
    end = f["date"].max()
    burst = (f["campaign_id"] == cid) & f["date"].between(end - pd.Timedelta(days=24), end - pd.Timedelta(days=21))
    f.loc[burst, "spend"] *= 2.0
    over = _delivery(Monitor().fit(f).predict(since))
    assert set(over["kind"]) == {"overspend"} and set(over["campaign_id"]) == {cid}
    days = pd.to_datetime(over["date"])
    assert days.between(end - pd.Timedelta(days=24), end - pd.Timedelta(days=21)).all() and len(over) >= 2
    assert "budget is unknown" in over["message"].iloc[0]


def test_a_weekly_rhythm_of_spend_without_budgets_is_no_incident(history):
    # a campaign not held by its budget spends 1.6x at weekends, every week: its rhythm, not bursts
    since = history["date"].max() - pd.Timedelta(days=179)
    f = history.assign(daily_budget=np.nan)
    weekend = f["date"].dt.day_of_week >= 5
    f.loc[weekend, "spend"] *= 1.6
    assert len(_delivery(Monitor().fit(f).predict(since))) == 0
    f = history.assign(daily_budget=np.nan)
    f.loc[weekend, "spend"] *= 0.25  # and one that nearly pauses at weekends
    assert len(_delivery(Monitor().fit(f).predict(since))) == 0


def _split_over_placements(f: pd.DataFrame, cid: str, instagram_share: pd.Series) -> pd.DataFrame:
    """The ad set ``cid`` as Meta's insights with publisher_platform give it: one line item per placement."""
    rows = f[f["campaign_id"] == cid]
    share = instagram_share.reindex(rows.index).to_numpy()
    parts = []
    for platform, w in (("facebook", 1 - share), ("instagram", share)):
        p = rows.assign(campaign_id=f"{cid}-{platform}", platform=platform, daily_budget=np.nan)
        p["spend"] = (rows["spend"] * w).round(2)
        for col in ("impressions", "clicks", "leads", "conversions"):
            p[col] = np.floor(rows[col] * w)
        parts.append(p)
    return pd.concat([f[f["campaign_id"] != cid], *parts], ignore_index=True)


def test_meta_moving_spend_between_placements_is_no_overspend(history):
    # one budget, two line items: Meta shifts the ad set's spend from Facebook to Instagram for
    # four days (Instagram's line item spends 2.3x its usual), the ad set's total stays on budget
    since = history["date"].max() - pd.Timedelta(days=59)
    f = _as_imported(history)
    cid = _biggest(f)
    end = f["date"].max()
    share = pd.Series(0.3, index=f.index)
    shift = (f["campaign_id"] == cid) & f["date"].between(end - pd.Timedelta(days=24), end - pd.Timedelta(days=21))
    share[shift] = 0.7
    split = _split_over_placements(f, cid, share)
    shared = {f"{cid}-facebook": f"meta:{cid}", f"{cid}-instagram": f"meta:{cid}"}  # as wh.shared_budgets() says
    assert len(_delivery(Monitor().fit(split, shared).predict(since))) == 0
    # without the warehouse's record the two line items are judged alone: Instagram's shift is a burst
    assert f"{cid}-instagram" in set(_delivery(Monitor().fit(split).predict(since))["campaign_id"])
    # the same ad set overspending as a whole (2x for those days) is still caught on its line items
    f.loc[shift, "spend"] *= 2.0
    over = _delivery(Monitor().fit(_split_over_placements(f, cid, pd.Series(0.3, index=f.index)), shared)
                     .predict(since))
    assert set(over["kind"]) == {"overspend"} and set(over["campaign_id"]) == {f"{cid}-facebook", f"{cid}-instagram"}


def test_a_noisy_campaigns_burst_is_caught_on_the_run_not_on_any_one_day(history):
    # spend scattering 20% day to day: a day at 2x is no news, six of them in a row are
    since = history["date"].max() - pd.Timedelta(days=59)
    f = _as_imported(history)
    f["spend"] = (f["spend"] * np.exp(np.random.default_rng(0).normal(0.0, 0.2, len(f)))).round(2)
    unknown = _delivery(Monitor().fit(f).predict(since))
    assert not unknown["message"].str.contains("budget is unknown").any()
    cid = _biggest(f)
    end = f["date"].max()
    burst = (f["campaign_id"] == cid) & f["date"].between(end - pd.Timedelta(days=30), end - pd.Timedelta(days=25))
    f.loc[burst, "spend"] *= 2.0
    over = _delivery(Monitor().fit(f).predict(since))
    over = over[over["message"].str.contains("budget is unknown")]
    assert set(over["campaign_id"]) == {cid}
    assert pd.to_datetime(over["date"]).between(end - pd.Timedelta(days=30), end - pd.Timedelta(days=25)).all()


def test_the_monitor_reads_which_line_items_share_a_budget_from_the_workspace(history, tmp_path):
    # the shift above through real Meta exports: the import records that the ad set's two placements
    # share its budget, and monitor(wh) reads that record (no id is parsed)
    from core.connectors import ingest_paths, synthetic
    from core.monitoring import monitor
    from core.warehouse import Warehouse

    since = history["date"].max() - pd.Timedelta(days=59)
    cid = _biggest(history[history["platform"].isin(["facebook", "instagram"])])
    end = history["date"].max()
    share = pd.Series(0.3, index=history.index)
    share[(history["campaign_id"] == cid)
          & history["date"].between(end - pd.Timedelta(days=24), end - pd.Timedelta(days=21))] = 0.7
    split = _split_over_placements(history, cid, share)
    split["campaign_id"] = split["campaign_id"].replace({f"{cid}-facebook": cid, f"{cid}-instagram": cid})
    split["daily_budget"] = split["daily_budget"].fillna(history.loc[history["campaign_id"] == cid,
                                                                     "daily_budget"].iloc[-1])  # the ad set's
    wh = Warehouse.in_memory()
    try:
        ingest_paths(wh, list(synthetic.write_exports(split, tmp_path).values()))
        shared = wh.shared_budgets()
        assert len(shared) == 2 and len(set(shared.values())) == 1
        ids = set(shared)
        _, alerts, _ = monitor(wh, since=since)
        assert not (_delivery(alerts)["campaign_id"].isin(ids)).any()
        alone = _delivery(Monitor().fit(wh.campaigns()).predict(since))   # without the record: a burst
        assert alone["campaign_id"].isin(ids).any()
    finally:
        wh.close()
