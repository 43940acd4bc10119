"""The words of a brief: goals, periods, platform names, places, and the patterns that read amounts and cues.

Pure data and compiled regular expressions, no logic: the readers in :mod:`core.objectives.parse`
use them, and a new way of saying something is added here.
"""

from __future__ import annotations

import re

GOALS = ("leads", "conversions", "revenue")
PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 365.0 / 12.0, "quarter": 365.0 / 4.0, "year": 365.0}
PERIODS = tuple(PERIOD_DAYS)

# alias (lower-case, as written) -> canonical platform names
PLATFORM_ALIASES: dict[str, tuple[str, ...]] = {
    "google ads": ("google",), "google search": ("google",), "adwords": ("google",), "google": ("google",),
    "youtube": ("google",),
    "facebook": ("facebook",), "fb": ("facebook",),
    "meta": ("facebook", "instagram"),
    "instagram": ("instagram",), "insta": ("instagram",), "ig": ("instagram",),
    "linkedin": ("linkedin",), "linked in": ("linkedin",),
    "tiktok": ("tiktok",), "tik tok": ("tiktok",),
    "bing": ("bing",), "microsoft ads": ("bing",), "microsoft advertising": ("bing",),
    "twitter": ("twitter",), "pinterest": ("pinterest",), "snapchat": ("snapchat",), "reddit": ("reddit",),
}
_PLATFORM_RE = re.compile(
    r"\b(" + "|".join(sorted((re.escape(a) for a in PLATFORM_ALIASES), key=len, reverse=True)) + r")\b", re.I)

US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
    "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york state": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
    "utah": "UT", "vermont": "VT", "virginia": "VA", "washington state": "WA", "west virginia": "WV",
    "wisconsin": "WI", "wyoming": "WY",
}
US_CITIES = {
    "austin": "TX", "houston": "TX", "dallas": "TX", "san antonio": "TX", "fort worth": "TX", "el paso": "TX",
    "new york": "NY", "nyc": "NY", "brooklyn": "NY", "manhattan": "NY", "buffalo": "NY",
    "los angeles": "CA", "san francisco": "CA", "san diego": "CA", "san jose": "CA", "sacramento": "CA",
    "chicago": "IL", "miami": "FL", "orlando": "FL", "tampa": "FL", "jacksonville": "FL",
    "seattle": "WA", "boston": "MA", "denver": "CO", "phoenix": "AZ", "tucson": "AZ", "atlanta": "GA",
    "philadelphia": "PA", "pittsburgh": "PA", "detroit": "MI", "minneapolis": "MN", "portland": "OR",
    "las vegas": "NV", "nashville": "TN", "memphis": "TN", "charlotte": "NC", "raleigh": "NC",
    "columbus": "OH", "cleveland": "OH", "cincinnati": "OH", "indianapolis": "IN", "kansas city": "MO",
    "st. louis": "MO", "st louis": "MO", "baltimore": "MD", "salt lake city": "UT", "new orleans": "LA",
    "washington dc": "DC", "washington, dc": "DC", "washington d.c.": "DC",
}
COUNTRIES = {
    "united states": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "america": "US", "the us": "US",
    "united kingdom": "GB", "uk": "GB", "britain": "GB", "england": "GB", "canada": "CA", "germany": "DE",
    "france": "FR", "spain": "ES", "italy": "IT", "australia": "AU", "ireland": "IE", "mexico": "MX",
    "netherlands": "NL", "india": "IN", "brazil": "BR", "japan": "JP", "new zealand": "NZ",
}

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1_000, "grand": 1_000, "million": 1_000_000}
_NUMWORD = re.compile(
    r"\b(?:(?:a|an|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|half)(?:[\s-]+(?:and[\s-]+)?(?=[a-z]))?)+\b", re.I)

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_MULT = r"(?:k|m|mm|thousand|million|grand)"
_CUR_WORD = r"(?:usd|us dollars?|dollars?|bucks|eur|euros?|gbp|pounds?|cad|aud)"
_MONEY_RES = [
    # $6,000 / $6k / USD 6000 / € 200
    re.compile(rf"(?P<cur>[$€£]|\b(?:usd|eur|gbp|us\$)\s?)\s*(?P<num>{_NUM})\s*(?P<mult>{_MULT}\b)?"
               rf"(?:\s*(?:usd|dollars?))?", re.I),
    # 6,000 USD / 6k dollars / 6000 euros
    re.compile(rf"\b(?P<num>{_NUM})\s*(?P<mult>{_MULT})?\s*(?P<cur>{_CUR_WORD})\b", re.I),
    # 6k / 6 grand (a multiplier alone implies money)
    re.compile(rf"\b(?P<num>{_NUM})\s*(?P<mult>k|grand)\b", re.I),
]
_PERIOD_WORDS = {"day": "day", "d": "day", "daily": "day", "diem": "day", "week": "week", "wk": "week",
                 "weekly": "week", "month": "month", "mo": "month", "mth": "month", "monthly": "month",
                 "quarter": "quarter", "qtr": "quarter", "quarterly": "quarter", "year": "year", "yr": "year",
                 "annually": "year", "yearly": "year", "annual": "year", "annum": "year"}
_PERIOD_AFTER = re.compile(
    r"^\s*(?:(?:usd|dollars?|euros?)\s*)?(?:(?:a|an|per|each|every|/|for the|for a|in a|in the|a single)\s*"
    r"(?P<p1>day|week|wk|month|mo|mth|quarter|qtr|year|yr|annum|diem)\b|(?P<p2>daily|weekly|monthly|quarterly|"
    r"annually|yearly)\b)", re.I)
_PERIOD_BEFORE = re.compile(
    r"\b(?P<p>daily|weekly|monthly|quarterly|annual|yearly)\s+(?:ad\s+|marketing\s+|media\s+|paid\s+)?"
    r"(?:budget|spend|spending|cap|investment)\b[^.;]{0,25}$", re.I)
_OVER_N = re.compile(r"^\s*(?:over|for|across|in)\s+(?:the\s+)?(?:next\s+)?(?P<n>\d+)\s+(?P<u>days|weeks|months)\b",
                     re.I)
_BARE_BUDGET = re.compile(
    rf"\b(?:budget|spend|spending|invest|investing)\s*(?:is|of|:|=|will be|would be|around|about|roughly|approx\.?|"
    rf"approximately|~|up to|at|totals?|,|\s)*(?P<num>{_NUM})\b(?!\s*%)", re.I)
_BARE_PERIOD = re.compile(
    rf"\b(?P<num>{_NUM})\s*(?:a|an|per|each|every|/)\s*(?:day|week|month|quarter|year|mo|wk)\b", re.I)

_LOWER_CUES = r"(?:at least|minimum(?: of)?|\bmin\b\.?|no less than|not less than|(?<!no )(?<!not )more than|\bover\b|a floor of)"
_UPPER_CUES = (r"(?:at most|no more than|not more than|maximum(?: of)?|max\.?|cap(?:ped)?(?: at)?|limit(?:ed)?"
               r"(?: to| at)?|up to|under|below|(?<!no )(?<!not )less than|within|a ceiling of)")
_CPL_AFTER = re.compile(r"^\s*(?:or (?:less|lower|under|better)\s*)?(?:a|per|/|for each|each|for every)\s*"
                        r"(?P<u>leads?|sign-?ups?|enquir(?:y|ies)|inquir(?:y|ies)|bookings?|appointments?|calls?|"
                        r"sales?|conversions?|purchases?|orders?|customers?|acquisitions?)\b", re.I)
_CPL_BEFORE = re.compile(r"\b(?P<u>cpl|cost per lead|cost-per-lead|per-lead cost|lead cost|cpa|"
                         r"cost per (?:acquisition|sale|conversion|customer|order|purchase)|cost-per-acquisition|"
                         r"(?:leads?|sales?|conversions?))\s*(?:target\s*)?(?:of|under|below|at|around|about|<|<=|"
                         r"≤|:|is|near|no more than|at most|not above|not over|less than|to|target|goal|"
                         r"or less|,|\s)*$", re.I)
_LEADS_WORDS = re.compile(r"\b(leads?|enquir(?:y|ies)|inquir(?:y|ies)|sign-?ups?|bookings?|appointments?|"
                          r"consultations?|calls?|form fills?|prospects?|registrations?|demo requests?)\b", re.I)
_CONV_WORDS = re.compile(r"\b(sales|purchases?|conversions?|orders?|new customers|checkouts?|acquisitions?|"
                         r"transactions?|sell more)\b", re.I)
_REVENUE_WORDS = re.compile(r"\b(revenue|roas|return on ad spend|turnover|income|sales value|basket value|"
                            r"top line|gmv)\b", re.I)
_MAX_ITEMS = re.compile(
    r"\b(?:at most|no more than|not more than|max(?:imum)?(?: of)?|up to|limit(?:ed)? to|only|just|a maximum of|"
    r"cap(?:ped)? at)\s+(?P<n>\d+)\s+(?:line[ -]?items?|campaigns?|ad ?sets?|ad ?groups?|items?)\b"
    r"|\b(?P<n2>\d+)\s+(?:line[ -]?items?|campaigns?|ad ?sets?|ad ?groups?)\s+(?:max(?:imum)?|at most|or fewer|tops)\b",
    re.I)
_EXCLUDE_CUE = re.compile(
    r"(?:\bno|\bnot|\bnever|\bwithout|\bexclud(?:e|ing)|\bexcept|\bbut not|\bavoid|\bskip|\bnothing on|\bnothing in|"
    r"\bstay (?:off|away from)|\bdon'?t (?:use|want|run|do|go|touch|like)|\bdo not (?:use|want|run|do|touch)|"
    r"\bdrop|\bremove|\bstop|\bpause|\bcut|\bleave out|\bban|\brule out|\bno longer|\bnot on|\bnot in|"
    r"\bno spend on|\bno money on|\bno budget on|\bno ads on|\bzero on|\bhate|\bdislike)\s*(?:using\s+|running\s+|"
    r"on\s+|in\s+|with\s+|the\s+)*$", re.I)
_EXCLUDE_AFTER = re.compile(r"^\s*(?:ads\s+)?(?:is|are)?\s*(?:off|out|excluded|banned|off[- ]limits|off the table|"
                            r"not an option|a no-?go|doesn'?t work|don'?t work|is not allowed|not allowed)\b", re.I)
_ONLY_CUE = re.compile(r"(?:\bonly|\bjust|\bsolely|\bexclusively|\bstrictly|\bpurely)\s*(?:on\s+|use\s+|run\s+|the\s+)*$",
                       re.I)
_ONLY_AFTER = re.compile(r"^\s*(?:ads\s+)?(?:only|exclusively|alone|solely)\b", re.I)
_CONNECTOR = re.compile(r"(?:\s*(?:,|and|or|nor|&|/|\+|plus|as well as|ads)\s*)+$", re.I)
_FRACTIONS = {"half": 0.5, "a half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "two thirds": 2 / 3,
              "a quarter": 0.25, "one quarter": 0.25, "three quarters": 0.75}
_PCT = re.compile(r"(?P<num>\d+(?:\.\d+)?)\s*(?:%|percent|per cent|pct)|(?P<frac>two thirds|three quarters|"
                  r"(?:a|one) third|(?:a|one) quarter(?= of)|(?:a )?half)(?= of| on| to| the|\s*$|\s)", re.I)
_QUALITY_WORDS = re.compile(r"\b(?:qualified leads?|quality leads?|high[- ]quality leads?|better leads?|good leads?|"
                            r"leads? (?:that|who|which) (?:become|turn into|convert(?: into)?|go on to (?:buy|book|pay))"
                            r"|paying (?:customers|clients|patients))\b", re.I)
