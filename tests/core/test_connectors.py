"""The mapping rules of core.connectors (docs/data-format.md, "Platform exports"), one test per rule."""

import gzip
import shutil
from pathlib import Path

import pytest

from core.connectors import csv_exports, detect, google, mapping, meta, regions
from core.errors import BadInputError

F = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"


# ---- regions


@pytest.mark.parametrize("name,country,code", [("Texas", "US", "US-TX"), ("texas", "us", "US-TX"),
                                               ("Québec", "CA", "CA-QC"), ("New South Wales", "AU", "AU-NSW"),
                                               ("District of Columbia", "US", "US-DC"), ("TX", "US", "US-TX")])
def test_region_names_become_iso_3166_2(name, country, code):
    assert regions.region_code(name, country) == code


def test_an_unknown_region_is_none_not_a_guess():
    assert regions.region_code("Atlantis", "US") is None
    assert regions.region_code("Texas", "CA") is None


# ---- Meta rules


def test_genders_codes():
    assert meta.gender([1]) == "male"
    assert meta.gender([2]) == "female"
    assert meta.gender([1, 2]) == "all"
    assert meta.gender(None) == "all"


def test_location_prefers_regions_then_countries_and_joins_several():
    assert meta.location({"regions": [{"name": "Texas", "country": "US"}], "countries": ["US"]}) == "US-TX"
    assert meta.location({"countries": ["US"]}) == "US"
    assert meta.location({"regions": [{"name": "Texas", "country": "US"},
                                      {"name": "Oklahoma", "country": "US"}]}) == "US-OK,US-TX"
    assert meta.location({"cities": [{"name": "Austin", "region": "Texas", "country": "US"}]}) == "US-TX"
    assert meta.location(None) is None
    with pytest.raises(BadInputError, match="Atlantis"):
        meta.location({"regions": [{"name": "Atlantis", "country": "US"}]})


def test_interests_are_lower_snake_and_sorted():
    t = {"flexible_spec": [{"interests": [{"id": "1", "name": "Dental implants"}, {"id": "2", "name": "Health & wellness"}]},
                           {"interests": [{"id": "3", "name": "Beauty"}]}]}
    assert meta.interests(t) == ["beauty", "dental_implants", "health_wellness"]


def test_budget_is_minor_units_over_100_and_absent_is_unknown():
    assert meta.budget("15000") == 150.0
    assert meta.budget("1999") == 19.99
    assert meta.budget(None) is None


@pytest.mark.parametrize("api,ours", [("LOWEST_COST_WITHOUT_CAP", "lowest_cost"), ("COST_CAP", "cost_cap"),
                                      ("LOWEST_COST_WITH_BID_CAP", "bid_cap")])
def test_meta_bid_strategies(api, ours):
    assert meta.adset_line_item({"id": "1", "bid_strategy": api})["bidding_strategy"] == ours


def test_adset_without_bid_strategy_or_budget_records_unknown():
    item = meta.adset_line_item({"id": "1", "lifetime_budget": "500000"})
    assert item["bidding_strategy"] == "unknown"
    assert item["daily_budget"] is None
    assert item["ad_type"] == "unknown"


def test_objective_comes_from_campaign_else_optimization_goal():
    assert meta.objective("OUTCOME_LEADS", "LINK_CLICKS") == "leads"
    assert meta.objective(None, "LINK_CLICKS") == "traffic"
    assert meta.objective("LEAD_GENERATION", None) == "leads"
    assert meta.objective(None, None) == "unknown"


def test_lead_form_optimisation_is_the_only_ad_type_an_ad_set_implies():
    assert meta.adset_line_item({"id": "1", "optimization_goal": "LEAD_GENERATION"})["ad_type"] == "lead_form"
    assert meta.adset_line_item({"id": "1", "optimization_goal": "OFFSITE_CONVERSIONS"})["ad_type"] == "unknown"


def test_platforms_messenger_and_audience_network_count_as_facebook():
    assert meta.PLATFORMS["messenger"] == "facebook"
    assert meta.PLATFORMS["audience_network"] == "facebook"
    assert meta.PLATFORMS["instagram"] == "instagram"


def test_purchase_actions_in_priority_order_and_leads_one_action():
    assert meta.PURCHASE_ACTIONS == ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
    assert meta.LEAD_ACTION == "lead"


def test_adset_fixture_maps_every_attribute():
    import json

    items = meta.adset_line_items([json.loads((F / "meta_adsets.json").read_text())], "meta_adsets.json")
    a, b = items
    assert (a["age_min"], a["age_max"], a["gender"], a["location"]) == (35, 64, "all", "US-TX")
    assert a["interests"] == ["dental_implants", "health_wellness"]
    assert (a["bidding_strategy"], a["daily_budget"], a["objective"], a["ad_type"]) == (
        "cost_cap", 150.0, "leads", "lead_form")
    assert a["source_account_id"] == "1234567890"
    assert (b["gender"], b["location"], b["daily_budget"], b["bidding_strategy"]) == ("female", "US", 80.0,
                                                                                   "lowest_cost")


# ---- Google rules


@pytest.mark.parametrize("api,ours", [("MANUAL_CPC", "manual_cpc"), ("TARGET_CPA", "target_cpa"),
                                      ("TARGET_ROAS", "target_roas"), ("MAXIMIZE_CONVERSIONS", "maximize_conversions"),
                                      ("MAXIMIZE_CONVERSION_VALUE", "maximize_conversion_value"),
                                      ("TARGET_SPEND", "maximize_clicks")])
def test_google_bid_strategies(api, ours):
    assert google.BID_STRATEGIES[api] == ours


@pytest.mark.parametrize("api,ours", [("SEARCH", "search"), ("DISPLAY", "display"), ("VIDEO", "video"),
                                      ("SHOPPING", "shopping"), ("PERFORMANCE_MAX", "performance_max")])
def test_google_channel_types(api, ours):
    assert google.CHANNEL_TYPES[api] == ours


def test_google_lead_categories_are_the_issues_list():
    assert set(google.LEAD_CATEGORIES) == {"SUBMIT_LEAD_FORM", "SIGNUP", "CONTACT", "BOOK_APPOINTMENT",
                                           "REQUEST_QUOTE", "PHONE_CALL_LEAD", "QUALIFIED_LEAD", "CONVERTED_LEAD",
                                           "IMPORTED_LEAD"}
    assert "PURCHASE" not in google.LEAD_CATEGORIES


def test_query_kind_from_field_mask():
    assert google.query_kind("campaign.id,segments.date,metrics.costMicros") == "performance"
    assert google.query_kind("campaign.id,segments.date,segments.conversionActionCategory,metrics.conversions") \
        == "conversions"
    assert google.query_kind("campaign.id") is None


# ---- CSV layouts


def test_longer_column_patterns_win():
    cols = csv_exports.match_columns(csv_exports.META_CSV, ["Purchases", "Purchases conversion value",
                                                            "Amount spent (EUR)", "Ad set ID"])
    assert cols["conversions"] == "Purchases"
    assert cols["revenue"] == "Purchases conversion value"
    assert cols["spend"] == "Amount spent (EUR)"


@pytest.mark.parametrize("fixture,kind,header_line", [
    ("meta_ads_manager.csv", "meta_csv", 0), ("google_ads_report.csv", "google_csv", 2),
    ("linkedin_campaigns.csv", "linkedin_csv", 5), ("microsoft_campaign_report.csv", "microsoft_csv", 10)])
def test_csv_downloads_are_found_by_their_header_wherever_it_sits(fixture, kind, header_line):
    d = detect(F / fixture)
    assert (d.kind, d.header_line) == (kind, header_line)


def test_linkedin_export_is_utf16_tab_separated():
    d = detect(F / "linkedin_campaigns.csv")
    assert (d.encoding, d.delimiter) == ("utf-16", "\t")


# ---- detection of JSON exports


@pytest.mark.parametrize("fixture,kind", [
    ("meta_insights_page1.json", "meta_insights"), ("meta_insights_page2.json", "meta_insights"),
    ("meta_adsets.json", "meta_adsets"), ("google_performance.json", "google_performance"),
    ("google_conversions.json", "google_conversions"), ("linkedin_contract.ndjson", "contract"),
    ("tiktok_unknown.csv", "csv"), ("google_ads_wrong_columns.csv", "csv")])
def test_detect_by_content(fixture, kind, tmp_path):
    assert detect(F / fixture).kind == kind
    # The name says nothing: a renamed copy is the same kind.
    copy = tmp_path / "export.bin"
    shutil.copy(F / fixture, copy)
    assert detect(copy).kind == kind


def test_detect_reads_through_gzip(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(gzip.compress((F / "google_performance.json").read_bytes()))
    d = detect(p)
    assert d.kind == "google_performance" and d.gzip


@pytest.mark.parametrize("fixture,words", [("meta_error.json", "User request limit reached"),
                                           ("google_error.json", "invalid argument")])
def test_platform_error_objects_are_refused_in_one_line(fixture, words):
    with pytest.raises(BadInputError) as exc:
        detect(F / fixture)
    msg = str(exc.value)
    assert msg.startswith(fixture) and words in msg and "\n" not in msg


def test_empty_file_refused(tmp_path):
    p = tmp_path / "e.json"
    p.write_text("")
    with pytest.raises(BadInputError, match="empty"):
        detect(p)


# ---- mappings kept per shape


def test_shape_ignores_case_and_spaces_but_not_order():
    assert mapping.shape(["Date", " Cost "], ",") == mapping.shape(["date", "cost"], ",")
    assert mapping.shape(["Date", "Cost"], ",") != mapping.shape(["Cost", "Date"], ",")


def test_mapping_needs_the_required_fields_and_existing_columns():
    headers = ["Date", "Ad group ID", "Cost", "Impressions"]
    with pytest.raises(BadInputError, match="platform"):
        mapping.Mapping(columns={"date": "Date", "campaign_id": "Ad group ID", "spend": "Cost",
                                 "impressions": "Impressions"}).check(headers)
    with pytest.raises(BadInputError, match="Clicks"):
        mapping.Mapping(columns={"date": "Date", "campaign_id": "Ad group ID", "spend": "Cost",
                                 "impressions": "Impressions", "clicks": "Clicks"},
                        constants={"platform": "tiktok"}).check(headers)


def test_suggest_guesses_common_names():
    s = mapping.suggest(["Date", "Ad group ID", "Ad group name", "Cost", "Impressions", "Clicks (destination)",
                         "Conversions"])
    assert s["date"] == "Date" and s["spend"] == "Cost" and s["impressions"] == "Impressions"
    assert s["clicks"] == "Clicks (destination)" and s["conversions"] == "Conversions"
