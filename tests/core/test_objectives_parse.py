"""Each reader of the brief parser on its own, over a ParseState (parse_brief composes them in order)."""

from __future__ import annotations

import pytest

from core.objectives import (ParseState, parse_brief, read_amounts, read_audience, read_budget, read_goal,
                             read_limits, read_platforms, read_shares)
from core.objectives.parse import classify_mentions, find_amounts, merge_ranges, read_gender, read_interests


def _state(text: str, *readers) -> ParseState:
    st = ParseState.of(text, use_spacy=False)
    for r in readers:
        r(st)
    return st


def test_state_normalises_number_words_and_dashes():
    st = ParseState.of("six thousand dollars \u2013 Google", use_spacy=False)
    assert st.norm == "6000 dollars - Google"
    assert [m[2] for m in st.mentions] == [("google",)]
    assert st.masked([(0, 4)]) == "     dollars - Google"


def test_find_amounts_reads_every_way_of_writing_money():
    got = [(a.value, a.currency) for a in find_amounts("$6k, 200 euros, budget 1500, 3 grand", use_spacy=False)]
    assert got == [(6000.0, "USD"), (200.0, "EUR"), (1500.0, None), (3000.0, None)]


def test_merge_ranges_takes_the_midpoint_and_says_so():
    notes: list[str] = []
    norm = "$5,000-$7,000 a month"
    merged = merge_ranges(norm, find_amounts(norm, use_spacy=False), notes)
    assert [a.value for a in merged] == [6000.0] and "midpoint" in notes[0]


@pytest.mark.parametrize("text,roles", [
    ("$3,000 a month, leads at $30 or less", ["budget", "cpl"]),
    ("$50k per quarter, target CPA $80", ["budget", "cpa"]),
    ("$4,000 a month, at least $500 a month on Google", ["budget", "platform_min"]),
    ("$7,500 a month, with Facebook capped at $2,000 a month", ["budget", "platform_max"]),
    ("up to $500 on Google", ["budget"]),            # a lone cap is the budget
])
def test_read_amounts_gives_each_amount_its_role(text, roles):
    st = _state(text, read_amounts)
    assert [a.role for a in st.amounts] == roles


def test_read_amounts_divides_over_n_months():
    st = _state("$18,000 over the next 3 months on Google", read_amounts)
    assert st.amounts[0].value == 6000.0 and st.amounts[0].period == "month"


def test_read_budget_sets_budget_period_targets_and_platform_amounts():
    st = _state("€200 a day, at least €50 a day on Google, leads under €30 per lead", read_amounts, read_budget)
    o = st.obj
    assert (o.budget, o.period, o.currency, o.target_cpl) == (200.0, "day", "EUR", 30.0)
    assert o.platform_min == {"google": 50.0} and o.source["platform_min"] == "text"


def test_read_budget_asks_when_missing_or_contradictory():
    assert "What budget" in _state("more leads", read_amounts, read_budget).obj.questions[0]
    q = _state("$6,000 a month but only $100 a day", read_amounts, read_budget).obj.questions
    assert "two different budgets" in q[0]
    o = _state("Spend $5,000", read_amounts, read_budget).obj
    assert o.period == "month" and o.source["period"] == "default" and o.notes


def test_read_shares_reads_caps_and_floors_per_platform():
    o = _state("no more than 40% on Facebook; at least a third on Google", read_amounts, read_budget,
               read_shares).obj
    assert o.platform_max_share == {"facebook": 0.4}
    assert o.platform_min_share == pytest.approx({"google": 1 / 3})


def test_classify_mentions_separates_allowed_excluded_and_limit_subjects():
    st = _state("Google and Bing only, no TikTok, at most 30% on Facebook", read_amounts, read_budget, read_shares)
    included, excluded, only = classify_mentions(st)
    assert included == ["bing", "google"] and excluded == ["tiktok"] and only and all(g == {"bing", "google"} for g in only)


def test_read_platforms_asks_about_contradictions_and_notes_unknown_platforms():
    o = _state("Facebook only. No Facebook. $1,000 a month", read_amounts, read_budget, read_shares,
               read_platforms).obj
    assert "both asks for and excludes facebook" in o.questions[0]
    st = _state("$1,000 a month on Pinterest", read_amounts, read_budget, read_shares)
    read_platforms(st, ["google"])
    assert st.obj.platforms == ["pinterest"] and "no history on pinterest" in st.obj.notes[0]


@pytest.mark.parametrize("text,goal,source", [
    ("we want revenue and leads", "revenue", "text"),
    ("leads first, then sales", "leads", "text"),
    ("purchases please", "conversions", "text"),
    ("target CPA $80, $1,000 a month", "conversions", "text"),
    ("our sales team needs $1,000 a month", "leads", "default"),   # 'sales team' is not a goal
])
def test_read_goal(text, goal, source):
    o = _state(text, read_amounts, read_budget, read_goal).obj
    assert (o.goal, o.source["goal"]) == (goal, source)


def test_read_gender_and_interests():
    assert read_gender("women and men") == "all" and read_gender("moms") == "female" and read_gender("x") is None
    assert read_interests("more implant leads", ["dental implants", "beauty"]) == ["dental implants"]
    assert read_interests("people interested in golf and tennis", []) == ["golf"]


def test_read_audience_ignores_amounts_and_reads_ages_and_places():
    o = _state("$35-54 a day for women 35-54 in Austin", read_amounts, read_audience).obj
    assert (o.gender, o.age_min, o.age_max, o.locations) == ("female", 35, 54, ["US-TX"])


def test_read_limits():
    assert _state("at most 8 line items", read_limits).obj.max_line_items == 8
    o = _state("at most 0 campaigns", read_limits).obj
    assert o.max_line_items == 0 and "at least one line item" in o.questions[0]


def test_parse_brief_is_the_readers_in_order():
    text = "Dental leads in Austin, $6,000 a month, Google and Facebook only, women 35-54, max 40% on Facebook"
    st = _state(text, read_amounts, read_budget, read_shares, read_platforms, read_goal, read_audience, read_limits)
    assert st.obj == parse_brief(text, use_spacy=False)


@pytest.mark.parametrize("text", ["Keep Bing at $20 a day minimum, $3,000 a month, Google and Bing",
                                  "$3,000 a month on Google and Bing. Keep Bing at $20 a day minimum",
                                  "$20 a day minimum on Bing; $3k a month"])
def test_a_floor_written_after_the_amount_is_a_platform_minimum(text):
    o = parse_brief(text, use_spacy=False)
    assert o.budget == 3000.0 and o.period == "month" and o.platform_min == {"bing": 20.0} and not o.questions
    assert o.platforms in ([], ["bing", "google"])                   # never "Bing only"


def test_two_budgets_are_kept_as_options():
    o = parse_brief("Our budget is $6,000 a month but we can only do $100 a day", use_spacy=False)
    assert o.budget_options == [{"budget": 6000.0, "period": "month"}, {"budget": 100.0, "period": "day"}]


def test_describe_objective_speaks_a_marketers_language():
    from core.objectives import describe_objective

    o = parse_brief("More leads in Austin, $6,000 a month, Google and Bing, keep Bing at $20 a day minimum, "
                    "women 35-54, no TikTok, at most 40% on google", use_spacy=False)
    said = describe_objective(o)
    assert said == ["You want more leads (enquiries, sign-ups, bookings).",
                    "You spend $6,000 a month (about $197 a day).", "Only on Bing and Google.", "Nothing on TikTok.",
                    "At least $20 a day on Bing.", "No more than 40% of the budget on Google.",
                    "Reach: Women aged 35-54 in Texas."]
    assert "my default" in describe_objective(parse_brief("$100 a day", use_spacy=False))[0]
