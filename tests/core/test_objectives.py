"""The offline brief parser: 45 varied briefs with their expected parse, refusals and ask-backs."""

from __future__ import annotations

import pytest

from core.errors import BadInputError
from core.objectives import PERIOD_DAYS, Objective, parse_brief, require_complete, resolve_objective, words_to_numbers

KNOWN_INTERESTS = ["dental", "fitness", "beauty", "home"]
M = 365 / 12

# (brief, expected fields). "ask" is a substring of the first question (None: no question).
CASES = [
    ("We're a dental clinic in Austin, we want more implant leads, about $6,000 a month, Google and Facebook only, "
     "mostly women 35-54",
     dict(goal="leads", budget=6000, period="month", platforms=["facebook", "google"], gender="female",
          age_min=35, age_max=54, locations=["US-TX"], interests=["dental"], ask=None)),
    ("Six thousand dollars a month on Instagram, we want sign-ups",
     dict(goal="leads", budget=6000, period="month", platforms=["instagram"], ask=None)),
    ("Budget 6k USD per quarter, no more than 40% on Facebook, keep LinkedIn off",
     dict(budget=6000, period="quarter", platforms=[], excluded_platforms=["linkedin"],
          platform_max_share={"facebook": 0.4}, ask=None)),
    ("Spend €200 per day targeting men aged 25 to 44 in Texas",
     dict(budget=200, period="day", currency="EUR", gender="male", age_min=25, age_max=44, locations=["US-TX"])),
    ("We need more sales. Budget: 1500 a week. No TikTok.",
     dict(goal="conversions", budget=1500, period="week", excluded_platforms=["tiktok"], ask=None)),
    ("More leads please, Facebook only.",
     dict(goal="leads", budget=None, platforms=["facebook"], ask="What budget")),
    ("Facebook only, but no Facebook ads. $3,000 a month.",
     dict(budget=3000, ask="both asks for and excludes facebook")),
    ("Maximize revenue with $50k per quarter, at least $500 a month on Google, at most 8 line items",
     dict(goal="revenue", budget=50000, period="quarter", platform_min={"google": 500 / M}, max_line_items=8,
          ask=None)),
    ("Get us appointments at under $40 per lead with a monthly budget of $3,000",
     dict(goal="leads", budget=3000, period="month", target_cpl=40, ask=None)),
    ("$5,000-$7,000 a month across Google, Bing and LinkedIn, no more than half on LinkedIn",
     dict(budget=6000, period="month", platforms=["bing", "google", "linkedin"],
          platform_max_share={"linkedin": 0.5}, ask=None)),
    ("We spend two and a half thousand dollars a month; we want purchases; target CPA $80",
     dict(goal="conversions", budget=2500, period="month", target_cpa=80, ask=None)),
    ("Our budget is $6,000 a month but we can only do $100 a day",
     dict(ask="two different budgets")),
    ("Our monthly budget is 12,000 dollars. Focus on leads from people in their 40s.",
     dict(goal="leads", budget=12000, period="month", age_min=40, age_max=49, ask=None)),
    ("Can you plan $250/day for our gym? Instagram and TikTok, women 18-34, fitness lovers",
     dict(budget=250, period="day", platforms=["instagram", "tiktok"], gender="female", age_min=18, age_max=34,
          interests=["fitness"], ask=None)),
    ("$9k a month, Meta only, at most 5 line items",
     dict(budget=9000, period="month", platforms=["facebook", "instagram"], max_line_items=5, ask=None)),
    ("Run Google Ads with a daily budget of $150, leads at $30 or less",
     dict(goal="leads", budget=150, period="day", platforms=["google"], target_cpl=30, ask=None)),
    ("We'd like to grow online orders. We have £4,000 a month. Avoid LinkedIn and Twitter.",
     dict(goal="conversions", budget=4000, currency="GBP", excluded_platforms=["linkedin", "twitter"], ask=None)),
    ("Spend 20k for the quarter on LinkedIn and Google; at least 30% on LinkedIn",
     dict(budget=20000, period="quarter", platforms=["google", "linkedin"], platform_min_share={"linkedin": 0.3},
          ask=None)),
    ("leads leads leads. 300 bucks a day. google only",
     dict(goal="leads", budget=300, period="day", platforms=["google"], ask=None)),
    ("Help us get more customers for our law firm in Chicago",
     dict(budget=None, locations=["US-IL"], ask="What budget")),
    ("I want revenue, ROAS matters, $1.2k weekly, facebook and instagram",
     dict(goal="revenue", budget=1200, period="week", platforms=["facebook", "instagram"], ask=None)),
    ("Plan 80,000 USD per year for Bing and Google, seniors only",
     dict(budget=80000, period="year", platforms=["bing", "google"], age_min=65, ask=None)),
    ("We want bookings for our spa in Miami, $3,500 monthly, ladies 30-55, max 40% on Instagram",
     dict(goal="leads", budget=3500, period="month", gender="female", age_min=30, age_max=55, locations=["US-FL"],
          platform_max_share={"instagram": 0.4}, platforms=[], ask=None)),
    ("Keep Facebook off, and no TikTok either. $2,000 per month for leads.",
     dict(budget=2000, period="month", platforms=[], excluded_platforms=["facebook", "tiktok"], ask=None)),
    ("Google only. Facebook only. $1,000 a month.",
     dict(budget=1000, ask="'only' for different platforms")),
    ("What's a good plan for our dental practice? Google and Facebook.",
     dict(budget=None, platforms=["facebook", "google"], interests=["dental"], ask="What budget")),
    ("$4,000 a month, but at least $3,000 a month on Google and at least $2,000 a month on Facebook",
     dict(budget=4000, platform_min={"google": 3000 / M, "facebook": 2000 / M}, ask="minimum amounts")),
    ("We have fifteen hundred dollars a week for enquiries on Google and Bing",
     dict(goal="leads", budget=1500, period="week", platforms=["bing", "google"], ask=None)),
    ("Budget is $0 this month, leads on google",
     dict(budget=0, ask="above zero")),
    ("Please split $7,500 a month between Google and Facebook, with Facebook capped at $2,000 a month",
     dict(budget=7500, period="month", platforms=["facebook", "google"], platform_max={"facebook": 2000 / M},
          ask=None)),
    ("a hundred dollars a day, leads from men over 50 in Florida, facebook",
     dict(budget=100, period="day", gender="male", age_min=50, age_max=100, locations=["US-FL"],
          platforms=["facebook"], ask=None)),
    ("Target cost per lead below $55. Spending $5k/month. Google, Facebook, Instagram.",
     dict(goal="leads", budget=5000, period="month", target_cpl=55,
          platforms=["facebook", "google", "instagram"], ask=None)),
    ("Conversions are the goal: $600 per week, up to 3 campaigns, no Bing",
     dict(goal="conversions", budget=600, period="week", max_line_items=3, excluded_platforms=["bing"], ask=None)),
    ("Our brewery in Portland wants more taproom visits (leads). 1,000 a month. Instagram only.",
     dict(goal="leads", budget=1000, period="month", platforms=["instagram"], ask=None)),
    ("$18,000 over the next 3 months on Google for lead generation",
     dict(goal="leads", budget=6000, period="month", platforms=["google"], ask=None)),
    ("10k/mo. Everything except LinkedIn. Men and women 25-54 across the US.",
     dict(budget=10000, period="month", excluded_platforms=["linkedin"], gender="all", age_min=25, age_max=54,
          locations=["US"], ask=None)),
    ("We're in Denver, Colorado; 2 grand a month; purchases; no more than 25% on google",
     dict(goal="conversions", budget=2000, period="month", locations=["US-CO"],
          platform_max_share={"google": 0.25}, platforms=[], ask=None)),
    ("We sell furniture online, want sales at a cost per sale under $120, $20,000 a month, home decor fans",
     dict(goal="conversions", budget=20000, target_cpa=120, interests=["home"], ask=None)),
    ("Spend EUR 500 daily on facebook, leads, 35-44",
     dict(budget=500, period="day", currency="EUR", platforms=["facebook"], age_min=35, age_max=44, ask=None)),
    ("B2B software: demo requests, $8,000 a month, LinkedIn and Google, no more than 60% on LinkedIn, "
     "at most 6 campaigns",
     dict(goal="leads", budget=8000, platforms=["google", "linkedin"], platform_max_share={"linkedin": 0.6},
          max_line_items=6, ask=None)),
    ("Our daily budget: 75 dollars. We want calls from people under 35.",
     dict(goal="leads", budget=75, period="day", age_min=18, age_max=34, ask=None)),
    ("Ads on Google for students: $40 a day, leads",
     dict(budget=40, period="day", platforms=["google"], age_min=18, age_max=24, ask=None)),
    ("Stay off TikTok. We want purchases from moms, $3k a month, Facebook and Instagram only",
     dict(goal="conversions", budget=3000, platforms=["facebook", "instagram"], excluded_platforms=["tiktok"],
          gender="female", ask=None)),
    ("We want more leads.",
     dict(goal="leads", budget=None, platforms=[], ask="What budget")),
    ("Spend $5,000 on Google",
     dict(budget=5000, period="month", platforms=["google"], ask=None)),
    ("Budget $2,000 a month, no LinkedIn, LinkedIn only",
     dict(budget=2000, ask="both asks for and excludes linkedin")),
    ("Revenue please: $300 a day, at least 20% on Instagram and at most 50% on Google",
     dict(goal="revenue", budget=300, period="day", platform_min_share={"instagram": 0.2},
          platform_max_share={"google": 0.5}, ask=None)),
]


def _close(a, b) -> bool:
    if isinstance(b, dict):
        return set(a) == set(b) and all(abs(a[k] - b[k]) < 1e-3 for k in b)
    if isinstance(b, float) or isinstance(b, int) and not isinstance(b, bool):
        return a is not None and abs(a - b) < 1e-6
    return a == b


@pytest.mark.parametrize("brief,expected", CASES, ids=[f"brief{i:02d}" for i in range(len(CASES))])
def test_brief_parses_as_expected(brief, expected):
    obj = parse_brief(brief, known_interests=KNOWN_INTERESTS)
    for key, want in expected.items():
        if key == "ask":
            if want is None:
                assert obj.questions == [], obj.questions
            else:
                assert obj.questions and want in obj.questions[0], obj.questions
            continue
        got = getattr(obj, key)
        assert _close(got, want), f"{key}: got {got!r}, want {want!r}"


def test_there_are_at_least_40_cases_and_some_ask_back():
    assert len(CASES) >= 40
    assert sum(1 for _, e in CASES if e.get("ask")) >= 8


def test_every_parsed_field_records_its_source():
    obj = parse_brief("About $6,000 a month, Google only, women 35-54")
    assert obj.source["budget"] == "text" and obj.source["period"] == "text"
    assert obj.source["platforms"] == "text" and obj.source["gender"] == "text" and obj.source["age"] == "text"
    assert obj.source["goal"] == "default"          # nothing in the brief says what to optimise
    obj = parse_brief("Spend $5,000 on Google")
    assert obj.source["period"] == "default" and obj.notes


def test_daily_budget_uses_calendar_periods():
    for period, days in (("day", 1), ("week", 7), ("month", 365 / 12), ("quarter", 365 / 4)):
        assert Objective(budget=1000.0, period=period).daily_budget == pytest.approx(1000 / days)
    assert PERIOD_DAYS["month"] == pytest.approx(30.4166667)


@pytest.mark.parametrize("text,want", [
    ("six thousand dollars", "6000 dollars"), ("two and a half thousand", "2500"),
    ("fifteen hundred", "1500"), ("a hundred dollars a day", "100 dollars a day"),
    ("twenty five thousand", "25000"), ("at most eight line items", "at most 8 line items"),
    ("a lead", "a lead"), ("one million", "1000000"),
])
def test_words_to_numbers(text, want):
    assert words_to_numbers(text) == want


def test_no_budget_is_asked_back_not_guessed():
    with pytest.raises(BadInputError, match="What budget"):
        resolve_objective("We want more leads on Facebook")


def test_flags_answer_the_question_and_win_over_the_text():
    obj = resolve_objective("We want more leads on Facebook", budget=3000)
    assert obj.budget == 3000 and obj.period == "month" and obj.source["budget"] == "flag"
    obj = resolve_objective("About $6,000 a month, Google only", budget=100, period="day", goal="revenue",
                            platforms="facebook,instagram")
    assert (obj.budget, obj.period, obj.goal) == (100, "day", "revenue")
    assert obj.platforms == ["facebook", "instagram"] and obj.source["platforms"] == "flag"


def test_contradictory_platforms_need_a_flag():
    brief = "Facebook only, but no Facebook ads. $3,000 a month."
    with pytest.raises(BadInputError, match="which platforms"):
        resolve_objective(brief)
    obj = resolve_objective(brief, platforms="facebook")
    assert obj.platforms == ["facebook"] and obj.excluded_platforms == []


def test_two_budgets_need_a_flag():
    brief = "Our budget is $6,000 a month but we can only do $100 a day"
    with pytest.raises(BadInputError, match="which one"):
        resolve_objective(brief)
    assert resolve_objective(brief, budget=100, period="day").daily_budget == 100


def test_all_known_platforms_excluded_is_asked_back():
    obj = parse_brief("$1,000 a month, no Google and no Facebook", known_platforms=["google", "facebook"])
    assert obj.questions and "excluded" in obj.questions[0]


def test_require_complete_passes_a_complete_objective():
    obj = parse_brief("$1,000 a month for leads")
    assert require_complete(obj) is obj


def test_parser_works_without_spacy():
    obj = parse_brief("We're a dental clinic in Austin, about $6,000 a month, Google and Facebook only",
                      use_spacy=False)
    assert obj.budget == 6000 and obj.locations == ["US-TX"] and obj.platforms == ["facebook", "google"]


def test_spacy_places_fill_in_unknown_locations():
    obj = parse_brief("$500 a day for leads from people in Quebec")
    assert obj.locations and "Quebec" in obj.locations[0]


def test_contract_dict_has_the_cli_keys():
    d = parse_brief("About $6,000 a month, Google and Facebook only").contract_dict()
    for key in ("goal", "budget", "period", "daily_budget", "platforms", "source"):
        assert key in d
    assert d["daily_budget"] == 197.26


class _FakeLLM:
    """A stand-in for the OpenAI client: returns a fixed JSON answer (no network in tests)."""

    def __init__(self, content: str | Exception):
        self.content = content
        self.chat = self
        self.completions = self

    def create(self, **kwargs):
        if isinstance(self.content, Exception):
            raise self.content
        msg = type("M", (), {"content": self.content})
        return type("R", (), {"choices": [type("C", (), {"message": msg})]})


def test_llm_parse_fills_gaps_but_never_overrides_or_invents_a_budget():
    from core.config import Settings
    from core.objectives import parse_brief_llm

    s = Settings(openai_api_key="x")
    brief = "Our clinic wants more patients who care about their smile, $4,000 a month, Google only"
    fake = _FakeLLM('{"goal": "conversions", "budget": 9999, "platforms": ["facebook"], '
                    '"interests": ["dental"], "gender": "female"}')
    obj = parse_brief_llm(brief, s, client=fake)
    assert obj.budget == 4000 and obj.platforms == ["google"]        # the rules' reading stands
    assert obj.interests == ["dental"] and obj.gender == "female"   # gaps filled
    assert obj.goal == "conversions" and obj.source["goal"] == "text"
    # no budget in the text: the LLM's number is not taken, the question stays
    obj = parse_brief_llm("More leads please", s, client=_FakeLLM('{"budget": 5000, "period": "month"}'))
    assert obj.budget is None and obj.questions
    obj = parse_brief_llm("$100 a day", s, client=_FakeLLM(TimeoutError("slow")))
    assert obj.budget == 100 and any("LLM parse failed" in n for n in obj.notes)


def test_interests_match_known_values_by_phrase_or_head_word():
    obj = parse_brief("More implant leads, $100 a day", known_interests=["dental implants", "orthodontics", "beauty"])
    assert obj.interests == ["dental implants"]
    obj = parse_brief("$100 a day", known_interests=["dental implants"])
    assert obj.interests == []


def test_editing_answers_questions_and_marks_fields_as_explicit():
    obj = parse_brief("More leads, Facebook only")
    assert obj.questions
    fixed = obj.edited(budget=1500.0, period="week")
    assert fixed.questions == [] and fixed.source["budget"] == "flag" and fixed.daily_budget == pytest.approx(1500 / 7)
    bad = fixed.edited(platform_min={"facebook": 500.0})
    assert bad.questions and "more than the budget" in bad.questions[0]
