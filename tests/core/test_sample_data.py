"""The embedded sample workspace: reproducible, valid, big enough, and true to its truth."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from core import sample_data as sd
from core.cli import main
from core.warehouse import Warehouse


@pytest.fixture(scope="module")
def shipped() -> sd.SampleWorkspace:
    """The default generation (seed 0): what data/sample/workspace.json.gz holds."""
    return sd.generate(seed=0)


@pytest.fixture(scope="module")
def committed() -> dict:
    with gzip.open(sd.SAMPLE_FILE, "rt", encoding="utf-8") as f:
        return json.load(f)


def small(seed: int) -> sd.SampleWorkspace:
    return sd.generate(seed=seed, days=120, n_line_items=8, n_posts=80, n_comments=60, n_customers=50)


def test_regenerating_gives_the_committed_bytes(tmp_path):
    path = sd.write_sample(tmp_path, seed=0)
    assert path.read_bytes() == sd.SAMPLE_FILE.read_bytes()
    assert (tmp_path / "README.md").read_text() == (sd.SAMPLE_DIR / "README.md").read_text()


def test_committed_file_is_small_and_holds_the_default_generation(committed, shipped):
    assert sd.SAMPLE_FILE.stat().st_size < 3_000_000
    assert committed == json.loads(shipped.to_json_bytes())


def test_sample_ingests_with_no_violations(committed):
    wh = Warehouse.in_memory()
    report = wh.ingest(sd.SAMPLE_FILE)
    assert report.skipped == [] and report.warnings == []
    assert report.loaded == {t: len(committed[t]) for t in sd.TABLES}
    assert wh.counts() == report.loaded
    wh.close()


def test_sizes_meet_the_minima(committed):
    camp = pd.DataFrame(committed["campaigns"])
    assert camp["date"].nunique() == 730
    assert (camp["date"].min(), camp["date"].max()) == ("2024-11-01", "2026-10-31")
    assert camp["platform"].nunique() >= 3
    assert camp["campaign_id"].nunique() >= 25
    assert camp["ad_type"].nunique() >= 5 and camp["bidding_strategy"].nunique() >= 5
    assert set(camp["objective"]) == {"leads", "sales", "traffic", "awareness"}
    assert (camp["objective"] == "leads").mean() > 0.5
    assert len(committed["posts"]) >= 1000
    assert len(committed["comments"]) >= 2000
    assert len(committed["customers"]) >= 2000


def test_records_have_the_contract_shape(shipped):
    rec = shipped.records()
    c = rec["campaigns"][0]
    assert set(c["audience"]) == {"age_min", "age_max", "gender", "interests", "location"}
    assert isinstance(c["audience"]["interests"], list)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", c["date"])
    offsets = {p["published_at"][-6:] for p in rec["posts"]}
    assert offsets == {"-05:00", "-06:00"}                 # America/Chicago, DST included
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-0[56]:00", p["published_at"])
               for p in rec["posts"])
    assert {r["label"] for r in rec["comments"]} == {"positive", "neutral", "negative"}
    lapsed = [r for r in rec["customers"] if r["orders"] == 0]
    assert lapsed and all(r["last_purchase"] is None for r in lapsed)
    # audiences come from a small pool: several line items share each one
    audiences = shipped.campaigns.drop_duplicates("campaign_id")["audience"].map(json.dumps)
    assert audiences.nunique() <= len(sd.AUDIENCES) < shipped.campaigns["campaign_id"].nunique()
    assert audiences.value_counts().iloc[0] >= 3


def test_campaign_rows_are_consistent(shipped):
    c = shipped.campaigns
    assert (c["clicks"] <= c["impressions"]).all()
    assert (c["leads"] <= c["clicks"]).all() and (c["conversions"] <= c["leads"]).all()
    assert ((c["conversions"] == 0) == (c["revenue"] == 0)).all()
    ratio = c["spend"] / c["daily_budget"]
    demo = pd.Series(False, index=c.index)  # the demo incidents (an overspend among them) are meant to stand out
    for r in shipped.incidents.itertuples():
        demo |= (c["campaign_id"] == r.campaign_id) & c["date"].between(r.start, r.end)
    assert ratio[~demo].between(0.85, 1.2).all()
    assert 0.01 < (ratio > 1.0).mean() < 0.1                # occasional overspend
    # budgets change over time, and some line items start late or pause
    per_item = c.groupby("campaign_id")
    assert (per_item["daily_budget"].nunique() >= 4).mean() > 0.8
    assert (per_item["date"].min() > "2024-11-01").sum() >= 3
    assert (per_item["date"].size() < 730).sum() >= 8


def test_observed_leads_follow_the_true_curves(shipped):
    c = shipped.campaigns
    expected = np.zeros(len(c))
    for t in shipped.truth:
        m = (c["campaign_id"] == t.campaign_id).to_numpy()
        expected[m] = t.expected_leads(c.loc[m, "spend"].to_numpy(), c.loc[m, "date"].to_numpy())
    assert c["leads"].sum() == pytest.approx(expected.sum(), rel=0.04)
    # per line item too (clipping leads at clicks only ever lowers them)
    by_item = pd.DataFrame({"obs": c["leads"], "exp": expected, "id": c["campaign_id"]}).groupby("id").sum()
    big = by_item[by_item["exp"] > 300]
    assert len(big) >= 5
    assert ((big["obs"] / big["exp"]).between(0.85, 1.1)).all()


def test_true_curves_saturate(shipped):
    spend = np.linspace(1.0, 2000.0, 400)
    for t in shipped.truth:
        y = t.expected_leads(spend)
        assert np.all(np.diff(y) > 0) and y[-1] < t.max_leads
        past = spend >= t.half_saturation                      # decreasing returns past half saturation
        assert np.all(np.diff(np.diff(y)[past[1:]]) < 0)
        assert np.all(np.diff(t.marginal_cpl(spend[past])) > 0)
        assert sd.expected_leads(t, t.half_saturation)[0] == pytest.approx(t.max_leads / 2)
        assert shipped.truth.expected_leads(t.campaign_id, t.half_saturation) == pytest.approx(t.max_leads / 2)


def test_budgets_leave_headroom(shipped):
    """Marginal cost per lead at the recent spend differs widely across lead line items."""
    c = shipped.campaigns
    recent = c[c["date"] >= "2026-08-01"].groupby("campaign_id")["spend"].mean()
    mcpl = [shipped.truth[cid].marginal_cpl(x)[0] for cid, x in recent.items()
            if shipped.truth[cid].objective == "leads"]
    assert max(mcpl) / min(mcpl) > 4


def test_calendar_multipliers():
    assert sd.WEEKDAY_MULTIPLIER.mean() == pytest.approx(1.0)
    assert sd.WEEKDAY_MULTIPLIER[0] > sd.WEEKDAY_MULTIPLIER[5]
    year = pd.date_range("2025-01-01", "2025-12-31")
    assert sd.season_multiplier(year).mean() == pytest.approx(1.0, abs=0.01)
    assert sd.season_multiplier(["2025-01-15"])[0] > sd.season_multiplier(["2025-07-15"])[0]
    hol = sd.holiday_multiplier(["2025-11-27", "2025-11-28", "2025-12-25", "2025-12-29", "2025-03-12"])
    assert hol.tolist() == [sd.HOLIDAY_MULTIPLIER, sd.HOLIDAY_NEIGHBOUR_MULTIPLIER, sd.HOLIDAY_MULTIPLIER,
                            sd.YEAR_END_MULTIPLIER, 1.0]
    d = pd.Timestamp("2025-11-27")
    t = sd.LineItemTruth("x", "google", "search", "manual_cpc", {}, "leads", 10.0, 50.0, 1.0, 0.2, 100.0, 0.05, 200.0)
    e = t.expected([50.0], [d])
    assert e["leads"].iloc[0] == pytest.approx(5.0 * float(sd.calendar_multiplier([d])[0]))
    assert e["revenue"].iloc[0] == pytest.approx(e["leads"].iloc[0] * 0.2 * 100.0)


def test_posting_habit_is_not_the_best_slot(shipped):
    p = shipped.posts
    local = pd.to_datetime(p["published_at"].str[:19])
    wd, hour = local.dt.day_of_week.to_numpy(), local.dt.hour.to_numpy()
    rate = sd.true_engagement_rate(p["platform"], wd, hour, p["media_type"])
    observed = (p[["likes", "comments", "shares", "clicks"]].sum(axis=1) / p["impressions"]).to_numpy()
    assert np.corrcoef(rate, observed)[0, 1] > 0.5
    for platform in sd.POST_PLATFORMS:
        grid = sd.true_engagement_rate(platform, np.repeat(np.arange(7), 24), np.tile(np.arange(24), 7), "image")
        m = (p["platform"] == platform).to_numpy()
        habit = sd.true_engagement_rate(platform, wd[m], hour[m], "image")
        assert habit.mean() < 0.8 * grid.max()
    with pytest.raises(sd.BadInputError):
        sd.true_engagement_rate("myspace", 0, 12)


def test_comments_follow_their_posts_and_keep_pool_labels(shipped):
    from core.sample_comments import clinic_comment_pool

    posts = shipped.posts.set_index("post_id")
    c = shipped.comments
    created = pd.to_datetime(c["created_at"], utc=True)
    published = pd.to_datetime(posts.loc[c["post_id"], "published_at"].to_numpy(), utc=True)
    assert (created.to_numpy() > published.to_numpy()).all()
    assert (posts.loc[c["post_id"], "platform"].to_numpy() == c["platform"].to_numpy()).all()
    per_post = c["post_id"].value_counts()
    assert (posts.loc[per_post.index, "comments"] >= per_post).all()
    pool = clinic_comment_pool(seed=shipped.seed).drop_duplicates("text").set_index("text")["label"]
    assert (pool.loc[c["text"]].to_numpy() == c["label"].to_numpy()).all()


def test_customers_have_latent_groups(shipped):
    cu = shipped.customers.assign(group=shipped.customer_groups.to_numpy())
    assert set(cu["group"]) == set(sd.CUSTOMER_GROUPS)
    means = cu.groupby("group")[["orders", "total_spent", "sessions_90d"]].mean()
    assert means.loc["loyal_high_value", "orders"] > 3 * means.loc["new_engaged", "orders"]
    assert means.loc["lapsed_big_spender", "total_spent"] > 10 * means.loc["one_off_bargain", "total_spent"]
    assert means.loc["new_engaged", "sessions_90d"] > 5 * means.loc["lapsed_big_spender", "sessions_90d"]
    bought = cu["last_purchase"].notna()
    assert (cu.loc[bought, "last_purchase"] >= cu.loc[bought, "first_seen"]).all()
    assert (cu["email_clicks_90d"] <= cu["email_opens_90d"]).all()


def test_same_seed_same_data_different_seeds_differ():
    a, b, c = small(1), small(1), small(2)
    for name in sd.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.to_json_bytes() != c.to_json_bytes()
    ta, tc = a.truth.frame(), c.truth.frame()
    assert not np.allclose(ta["half_saturation"], tc["half_saturation"])
    assert not a.campaigns["spend"].equals(c.campaigns["spend"])
    assert a.campaigns["date"].max() == (date(2024, 11, 1) + pd.Timedelta(days=119)).isoformat()


def test_small_workspaces_are_valid_too():
    ws = small(5)
    wh = Warehouse.in_memory()
    for name, records in ws.records().items():
        wh.ingest_records(name, records)
    assert wh.counts()["campaigns"] == len(ws.campaigns) and wh.counts()["comments"] == 60
    wh.close()
    with pytest.raises(sd.BadInputError):
        sd.generate(days=0)


def test_cli_load_sample_and_if_empty(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    assert main(["load-sample", "--db", str(db), "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["loaded"]["campaigns"] > 15000 and first["skipped"] == []
    assert first["sample"].endswith("workspace.json.gz")
    assert main(["load-sample", "--if-empty", "--db", str(db), "--format", "json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["skipped_reason"] == "workspace not empty" and second["loaded"] == {}
    assert main(["load-sample", "--db", str(db), "--format", "json"]) == 0
    third = json.loads(capsys.readouterr().out)
    assert third["replaced"] == first["loaded"]            # re-loading replaces, never doubles


def test_the_first_check_finds_each_demo_incident_with_its_explanation(shipped):
    from core.monitoring import Monitor

    assert list(shipped.incidents["kind"]) == ["tracking_stopped", "cpl_jump", "overspend"]
    found = Monitor().fit(shipped.campaigns).incidents()  # the page's first Check: the last 7 days
    for r in shipped.incidents.itertuples():
        mine = found[(found["campaign_id"] == r.campaign_id) & (found["kind"] == r.kind)]
        assert len(mine) == 1, r
    says = dict(zip(found["kind"], found["message"]))
    assert "check tracking" in says["tracking_stopped"] and "cost per lead" in says["cpl_jump"]
    assert "daily budget" in says["overspend"]
    assert sd.generate(seed=1, days=120, n_line_items=8, n_posts=10, n_comments=5, n_customers=5).incidents.empty
