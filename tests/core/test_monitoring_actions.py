"""From alert to action: proposals with their expected effect, plan revisions and their exports."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from core.errors import BadInputError
from core.monitoring import actions, revisions
from core.warehouse import Warehouse

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "workspace.json.gz"


@pytest.fixture(scope="module")
def sit():
    wh = Warehouse.in_memory()
    wh.ingest(SAMPLE)
    frame = wh.campaigns()
    return actions.situation(frame, model=actions.fit_curves(frame))


def _big(sit, platform=None):
    t = sit.today[sit.today["active"]]
    if platform:
        t = t[t["platform"] == platform]
    return t.sort_values("spend").index[-1]


def test_cpl_jump_pauses_and_moves_the_budget_to_the_best_marginal_returns(sit):
    cid = _big(sit)
    p = actions.propose_one({"campaign_id": cid, "kind": "cpl_jump", "observed": 1.0, "expected": 4.0}, sit)
    assert p["action"].startswith(f"Pause {sit.today.at[cid, 'campaign_name']}")
    ch = pd.DataFrame(p["changes"])
    paused = ch[ch["campaign_id"] == cid].iloc[0]
    assert paused["after"] == 0.0 and paused["before"] == sit.today.at[cid, "daily_budget"]
    moved = (ch["after"] - ch["before"])[ch["campaign_id"] != cid]
    assert (moved > 0).all() and moved.sum() == pytest.approx(paused["before"], abs=1.0)  # same total budget
    assert (ch.loc[ch["campaign_id"] != cid, "after"] <= 2 * ch.loc[ch["campaign_id"] != cid, "before"] + 0.01).all()
    assert p["effect"].endswith("leads/week expected") and p["effect_leads_week"] > 0


def test_each_kind_gets_its_own_advice(sit):
    cid = _big(sit)
    say = {k: actions.propose_one({"campaign_id": cid, "kind": k, "observed": 5.0, "expected": 20.0,
                                   "spend": 900.0, "metric": "leads"}, sit) for k in
           ("tracking_stopped", "overspend", "underdelivery", "ctr_collapse")}
    assert say["tracking_stopped"]["action"].startswith("Check the tracking") and not say["tracking_stopped"]["changes"]
    assert "140 leads/week" in say["tracking_stopped"]["effect"]
    budget = sit.today.at[cid, "daily_budget"]
    assert say["overspend"]["changes"][0]["after"] == budget and "saves about $" in say["overspend"]["effect"]
    assert say["underdelivery"]["action"].startswith("Widen the audience or raise the bid")
    assert say["underdelivery"]["effect_leads_week"] > 0  # its curve expects more leads at the full budget
    assert say["ctr_collapse"]["action"].startswith("Check the ads")
    assert actions.propose_one({"campaign_id": "nope", "kind": "overspend"}, sit)["action"] == ""


def test_without_curves_a_cpl_jump_is_a_pause_only(sit):
    bare = actions.Situation(today=sit.today, model=None)
    p = actions.propose_one({"campaign_id": _big(sit), "kind": "cpl_jump", "observed": 1.0, "expected": 4.0}, bare)
    assert "until the cause is found" in p["action"] and len(p["changes"]) == 1


def test_revisions_apply_list_undo_and_export(tmp_path, sit):
    wh = Warehouse.open(tmp_path / "ws.duckdb")
    meta_id, google_id = _big(sit, "facebook"), _big(sit, "google")
    for cid in (meta_id, google_id):
        p = actions.propose_one({"campaign_id": cid, "kind": "overspend", "observed": 900.0, "spend": 900.0}, sit)
        revisions.apply_action(wh, {"incident_id": f"{cid}:overspend:x", "campaign_id": cid, "kind": "overspend"}, p,
                               who="Dana")
    revs = revisions.revisions(wh)
    assert len(revs) == 2 and set(revs["status"]) == {"applied"} and set(revs["who"]) == {"Dana"}
    budgets = revisions.current_budgets(revs)
    meta = pd.read_csv(io.StringIO(revisions.bulk_csv(budgets, "meta")))
    assert list(meta.columns) == ["Ad Set ID", "Ad Set Name", "Ad Set Daily Budget", "Ad Set Run Status"]
    assert meta["Ad Set ID"].tolist() == [meta_id] and meta["Ad Set Run Status"].tolist() == ["ACTIVE"]
    google = pd.read_csv(io.StringIO(revisions.bulk_csv(budgets, "google")))
    assert list(google.columns) == ["Campaign ID", "Campaign", "Budget", "Campaign Status"]
    assert google["Budget"].iloc[0] == pytest.approx(sit.today.at[google_id, "daily_budget"])
    revisions.undo(wh, revs["revision_id"].iloc[0])
    assert len(revisions.current_budgets(revisions.revisions(wh))) == 1
    with pytest.raises(BadInputError):
        revisions.undo(wh, "rev-0")
    with pytest.raises(BadInputError):
        revisions.apply_action(wh, {"campaign_id": "x", "kind": "k"}, {"action": ""}, who="x")
    with pytest.raises(BadInputError):
        revisions.bulk_csv(budgets, "tiktok")
    wh.close()


def test_stale_note_says_when_the_data_ends():
    from datetime import date

    from core.monitoring import stale_note

    assert stale_note("2026-10-31", today=date(2026, 12, 1)).startswith("data ends Oct 31, 31 days ago")
    assert stale_note("2025-12-20", today=date(2026, 1, 10)).startswith("data ends Dec 20, 2025, 21 days ago")
    assert stale_note("2026-11-28", today=date(2026, 12, 1)) is None and stale_note(None) is None
