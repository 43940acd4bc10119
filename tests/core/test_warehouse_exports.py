"""Platform exports through ingest_paths into a real warehouse: exact totals, rules, refusals, re-imports."""

import json
from pathlib import Path

import pytest

from core.cli import main
from core.connectors import ingest_paths, mapping
from core.errors import BadInputError
from core.warehouse import Warehouse

F = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"
META = [F / "meta_adsets.json", F / "meta_insights_page1.json", F / "meta_insights_page2.json"]
GOOGLE = [F / "google_performance.json", F / "google_conversions.json"]


def totals(wh) -> dict:
    df = wh.db.df("SELECT platform, CAST(date AS VARCHAR) AS date, round(sum(spend), 2) AS spend, "
                  "sum(impressions) AS impressions, sum(clicks) AS clicks, sum(leads) AS leads, "
                  "sum(conversions) AS conversions, round(sum(revenue), 2) AS revenue FROM campaigns "
                  "GROUP BY ALL ORDER BY ALL")
    return {(r.platform, r.date): (r.spend, int(r.impressions), int(r.clicks), float(r.leads), float(r.conversions),
                                   r.revenue) for r in df.itertuples()}


def rows(wh):
    df = wh.db.df("SELECT * EXCLUDE (audience), to_json(audience) AS audience FROM campaigns ORDER BY campaign_id, date")
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in df.to_dict("records")]


@pytest.fixture
def wh():
    w = Warehouse.in_memory()
    yield w
    w.close()


def test_meta_insights_and_ad_sets_give_exact_totals_per_platform_and_day(wh):
    ingest_paths(wh, META)
    assert totals(wh) == {
        # leads: the lead action only (12 + 1), never lead_grouped or pixel leads on top;
        # conversions: one purchase action (omni_purchase 3), never the sum of its views;
        # messenger and audience_network count as facebook; clicks are link clicks.
        ("facebook", "2026-11-01"): (166.85, 14000, 236, 13.0, 3.0, 207.0),
        ("facebook", "2026-11-02"): (140.75, 12100, 205, 9.0, 1.0, 69.0),
        # purchase when omni_purchase is absent, pixel purchase when both are.
        ("instagram", "2026-11-01"): (50.9, 8600, 94, 0.0, 3.0, 187.99),
        ("instagram", "2026-11-02"): (44.2, 8300, 88, 0.0, 0.0, 0.0),
    }


def test_meta_line_items_are_ad_sets_with_their_targeting_and_budget_from_the_export_day(wh):
    ingest_paths(wh, META)
    by_id = {}
    for r in rows(wh):
        by_id.setdefault(r["campaign_id"], []).append(r)
    a = by_id["23850000000000001"]
    assert [r["daily_budget"] for r in a] == [None, 150.0]       # current budget: export day only
    assert a[0]["bidding_strategy"] == "cost_cap" and a[0]["ad_type"] == "lead_form"
    assert json.loads(a[0]["audience"]) == {"age_min": 35, "age_max": 64, "gender": "all",
                                            "interests": ["dental_implants", "health_wellness"], "location": "US-TX"}
    # An ad set on Facebook and Instagram is one line item per platform; its shared budget is unknown.
    assert {"23850000000000002-facebook", "23850000000000002-instagram"} <= set(by_id)
    assert all(r["daily_budget"] is None for r in by_id["23850000000000002-instagram"])
    # No ad set export for this one: its targeting stays unknown, never invented.
    c = by_id["23850000000000003"]
    assert c[0]["audience"] is None and c[0]["bidding_strategy"] == "unknown" and c[0]["objective"] == "traffic"


def test_ad_sets_after_insights_or_in_another_call_complete_the_same_line_items(wh):
    ingest_paths(wh, META)
    expected = rows(wh)
    for order in ([META[1], META[2], META[0]], [[META[1], META[2]], [META[0]]], [[META[0]], [META[1], META[2]]]):
        other = Warehouse.in_memory()
        calls = order if isinstance(order[0], list) else [order]
        for call in calls:
            ingest_paths(other, call)
        assert rows(other) == expected
        other.close()


def test_google_searchstream_performance_and_conversions_by_category(wh):
    ingest_paths(wh, GOOGLE)
    assert totals(wh) == {
        # leads: lead categories only, fractions kept (3 + 1.5; 2.25); PAGE_VIEW and ADD_TO_CART ignored;
        # conversions and revenue: PURCHASE; a missing clicks field (proto3 zero) is 0.
        ("google", "2026-11-01"): (125.22, 14520, 108, 4.5, 2.0, 138.0),
        ("google", "2026-11-02"): (123.51, 14500, 89, 2.25, 1.0, 69.0),
    }
    got = {(r["campaign_id"], str(r["date"])[:10]): r for r in rows(wh)}
    assert got[("111", "2026-11-02")]["daily_budget"] == 85.0           # micros / 1e6, export day
    assert got[("111", "2026-11-01")]["daily_budget"] is None           # never a past day's budget
    assert (got[("111", "2026-11-01")]["ad_type"], got[("111", "2026-11-01")]["bidding_strategy"]) == (
        "search", "target_cpa")
    assert (got[("222", "2026-11-01")]["ad_type"], got[("222", "2026-11-01")]["objective"]) == ("shopping", "sales")
    assert (got[("333", "2026-11-01")]["bidding_strategy"], got[("333", "2026-11-01")]["objective"]) == (
        "target_cpm", "awareness")
    assert got[("111", "2026-11-01")]["objective"] == "leads"
    assert got[("111", "2026-11-01")]["audience"] is None               # Google carries no audience


def test_google_conversions_before_performance_give_the_same_rows(wh):
    ingest_paths(wh, GOOGLE)
    other = Warehouse.in_memory()
    ingest_paths(other, [GOOGLE[1]])
    ingest_paths(other, [GOOGLE[0]])
    assert rows(other) == rows(wh)


def test_reimporting_any_file_changes_nothing(wh):
    ingest_paths(wh, META + GOOGLE + [F / "linkedin_contract.ndjson"])
    before = rows(wh)
    for f in META + GOOGLE + [F / "linkedin_contract.ndjson"]:
        report = ingest_paths(wh, [f])
        assert report.loaded.get("campaigns", 0) == 0
    assert rows(wh) == before


@pytest.mark.parametrize("fixture,words", [
    ("meta_error.json", "User request limit reached"), ("meta_insights_truncated.json", "truncated"),
    ("google_error.json", "invalid argument"), ("google_partial_failure.json", "partialFailureError"),
    ("google_ads_wrong_columns.csv", "not a known export"), ("tiktok_unknown.csv", "map its columns")])
def test_bad_exports_are_refused_in_one_line_and_change_nothing(wh, fixture, words):
    ingest_paths(wh, META)
    before, version = rows(wh), wh.data_version
    with pytest.raises(BadInputError) as exc:
        ingest_paths(wh, [F / fixture])
    msg = str(exc.value)
    assert msg.startswith(fixture) and words in msg and "\n" not in msg
    assert rows(wh) == before and wh.data_version == version


@pytest.mark.parametrize("fixture,expected", [
    ("google_ads_report.csv", {("google", "2026-11-01"): (125.22, 14520, 108, 0.0, 6.5, 138.0),
                               ("google", "2026-11-02"): (1123.51, 62200, 611, 0.0, 12.25, 690.0)}),
    ("meta_ads_manager.csv", {("facebook", "2026-11-01"): (124.75, 8300, 164, 13.0, 0.0, 0.0),
                              ("facebook", "2026-11-02"): (98.75, 7100, 140, 9.0, 0.0, 0.0),
                              ("instagram", "2026-11-01"): (35.9, 6100, 61, 0.0, 2.0, 138.0),
                              ("instagram", "2026-11-02"): (1030.0, 59000, 580, 0.0, 14.0, 966.0)}),
    ("linkedin_campaigns.csv", {("linkedin", "2026-11-01"): (255.4, 15100, 31, 3.0, 0.0, 0.0),
                                ("linkedin", "2026-11-02"): (198.0, 2900, 19, 2.0, 1.0, 900.0)}),
    ("microsoft_campaign_report.csv", {("bing", "2026-11-01"): (74.85, 890, 63, 0.0, 3.0, 420.0),
                                       ("bing", "2026-11-02"): (40.0, 350, 19, 0.0, 0.5, 0.0)}),
])
def test_csv_downloads_give_exact_totals(wh, fixture, expected):
    # Google: title and date-range lines above the header, "Total:" rows below, "$1,041.01", "--";
    # LinkedIn: UTF-16, tab-separated, preamble; Microsoft: report lines and a copyright footer.
    ingest_paths(wh, [F / fixture])
    assert totals(wh) == expected


def test_csv_attributes_and_current_budget(wh):
    ingest_paths(wh, [F / "google_ads_report.csv"])
    got = {(r["campaign_id"], str(r["date"])[:10]): r for r in rows(wh)}
    assert (got[("222", "2026-11-02")]["ad_type"], got[("222", "2026-11-02")]["bidding_strategy"]) == (
        "shopping", "target_roas")
    assert got[("222", "2026-11-02")]["daily_budget"] == 40.0 and got[("222", "2026-11-01")]["daily_budget"] is None


def test_a_mapped_csv_shape_loads_and_the_mapping_is_kept_for_the_next_file(wh, tmp_path):
    headers = ["Date", "Ad group ID", "Ad group name", "Cost", "Impressions", "Clicks (destination)", "Conversions"]
    m = mapping.Mapping(columns={"date": "Date", "campaign_id": "Ad group ID", "campaign_name": "Ad group name",
                                 "spend": "Cost", "impressions": "Impressions", "clicks": "Clicks (destination)",
                                 "leads": "Conversions"}, constants={"platform": "tiktok", "objective": "leads"})
    mapping.save(wh, headers, m)
    ingest_paths(wh, [F / "tiktok_unknown.csv"])
    assert totals(wh) == {("tiktok", "2026-11-01"): (25.0, 4000, 50, 2.0, 0.0, 0.0),
                          ("tiktok", "2026-11-02"): (27.5, 4200, 48, 3.0, 0.0, 0.0)}
    nxt = tmp_path / "december.csv"
    nxt.write_text(",".join(headers) + "\n2026-12-01,1790001,Spring promo,10.00,900,9,1\n")
    ingest_paths(wh, [nxt])
    assert ("tiktok", "2026-12-01") in totals(wh)


def test_needs_mapping_says_which_files_a_load_would_refuse_for_want_of_a_mapping(wh, tmp_path):
    from core.connectors.ingest import needs_mapping

    tiktok = F / "tiktok_unknown.csv"
    err = needs_mapping(wh, tiktok, "tiktok.csv")
    assert err is not None and err.title == "Unknown CSV" and str(err).startswith("tiktok.csv")
    for known in ("google_ads_report.csv", "meta_insights_page1.json", "linkedin_contract.ndjson"):
        assert needs_mapping(wh, F / known, known) is None
    garbage = tmp_path / "x.json"
    garbage.write_text("not json at all")
    assert needs_mapping(wh, garbage, "x.json") is None           # refused where it loads, for its own reason
    headers = ["Date", "Ad group ID", "Ad group name", "Cost", "Impressions", "Clicks (destination)", "Conversions"]
    mapping.save(wh, headers, mapping.Mapping(columns={"date": "Date", "campaign_id": "Ad group ID", "spend": "Cost",
                                                       "impressions": "Impressions", "clicks": "Clicks (destination)"},
                                              constants={"platform": "tiktok"}))
    assert needs_mapping(wh, tiktok, "tiktok.csv") is None
    assert needs_mapping(wh.for_account("other"), tiktok, "tiktok.csv") is not None   # a mapping is one client's


def test_shared_budgets_name_the_line_items_of_an_ad_set_split_over_placements(wh):
    assert wh.shared_budgets() == {}                          # a new workspace: no export, nothing shared
    row = {"date": "2026-11-01", "campaign_name": "X", "objective": "leads", "ad_type": "image",
           "bidding_strategy": "lowest_cost", "daily_budget": 20.0, "spend": 10.0, "impressions": 100, "clicks": 1,
           "leads": 0, "conversions": 0, "revenue": 0.0, "currency": "USD",
           "audience": {"age_min": 25, "age_max": 54, "gender": "all", "interests": [], "location": "US"}}
    wh.ingest_records("campaigns", [{**row, "platform": p, "campaign_id": f"x-{p}"}   # contract ids that only
                                    for p in ("facebook", "instagram")])            # look split are their own
    ingest_paths(wh, META + GOOGLE)
    shared = wh.shared_budgets()
    assert set(shared) == {"23850000000000002-facebook", "23850000000000002-instagram"}
    assert shared["23850000000000002-facebook"] == shared["23850000000000002-instagram"]
    assert wh.for_account("other").shared_budgets() == {}


def test_export_state_keeps_the_platform_account_as_a_source_field_under_the_chosen_client(wh):
    ingest_paths(wh, META + GOOGLE, account_id="acme")
    from core.warehouse import exports

    items = exports.line_items(wh.db, "acme")
    assert set(items["source_account_id"]) == {"1234567890"}
    assert exports.line_items(wh.db, "default").empty


def test_cli_ingest_takes_exports_and_contract_files_in_one_call(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    files = [str(p) for p in META + GOOGLE + [F / "linkedin_contract.ndjson"]]
    assert main(["ingest", *files, "--db", str(db), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"loaded", "replaced", "skipped"} and out["loaded"]["campaigns"] > 0
    assert main(["ingest", str(F / "google_partial_failure.json"), "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("google_partial_failure.json") and "\n" not in err


def test_an_error_object_among_pages_refuses_the_file(wh, tmp_path):
    pages = [json.loads((F / "meta_insights_page1.json").read_text()), json.loads((F / "meta_error.json").read_text())]
    p = tmp_path / "pages.json"
    p.write_text(json.dumps(pages))
    with pytest.raises(BadInputError, match="pages.json: the platform returned an error: .#17. User request limit"):
        ingest_paths(wh, [p])
    assert wh.counts()["campaigns"] == 0


def test_gzip_ndjson_pages_and_insights_that_are_not_daily(wh, tmp_path):
    import gzip

    pages = [json.loads((F / n).read_text()) for n in ("meta_insights_page1.json", "meta_insights_page2.json")]
    p = tmp_path / "pages.ndjson.gz"
    p.write_bytes(gzip.compress("\n".join(json.dumps(x) for x in pages).encode()))
    ingest_paths(wh, [p])
    assert totals(wh)[("facebook", "2026-11-02")][0] == 140.75
    weekly = pages[0]
    weekly["data"][0]["date_stop"] = "2026-11-07"
    q = tmp_path / "weekly.json"
    q.write_text(json.dumps(weekly))
    with pytest.raises(BadInputError, match="time_increment=1"):
        ingest_paths(wh, [q])


def test_skip_bad_lists_a_refused_export_and_loads_the_rest(wh):
    report = ingest_paths(wh, [F / "google_error.json", F / "linkedin_contract.ndjson"], skip_bad=True)
    assert report.loaded["campaigns"] == 2
    assert report.skipped[0]["file"] == "google_error.json"


def test_contract_files_of_several_clients_need_no_choice_but_exports_do(wh, tmp_path):
    rec = json.loads((F / "linkedin_contract.ndjson").read_text().splitlines()[0])
    p = tmp_path / "two.ndjson"
    p.write_text("\n".join(json.dumps({**rec, "account_id": a}) for a in ("acme", "globex")))
    ingest_paths(wh, [p])
    assert sorted(wh.accounts()) == ["acme", "globex"]
    with pytest.raises(BadInputError, match="acme, globex"):
        ingest_paths(wh, [F / "google_performance.json"])
    ingest_paths(wh, [F / "google_performance.json"], account_id="globex")
    assert wh.for_account("globex").counts()["campaigns"] == 7
