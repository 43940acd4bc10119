"""The offline parser: a brief read by a short sequence of readers over one shared parse state.

:func:`parse_brief` normalises the text (number words to digits, dashes and quotes) into a
:class:`ParseState`, then each reader fills its part of the objective and may add questions:

1. :func:`read_amounts` -- every amount of money, its period and its role (budget, target cost,
   a platform's minimum or cap);
2. :func:`read_budget` -- the budget and its period, the currency, targets and per-platform amounts;
3. :func:`read_shares` -- percentage and fraction limits per platform;
4. :func:`read_platforms` -- platforms allowed, excluded, "only" groups, and the consistency questions;
5. :func:`read_goal` -- leads, conversions or revenue;
6. :func:`read_audience` -- gender, ages, places, interests;
7. :func:`read_limits` -- the maximum number of line items.

The order matters: roles of amounts decide what the goal reader may ignore ("cost per sale $80"
does not make the goal sales), and shares decide which platform names only carry a limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from core.objectives.audience import _parse_age, _parse_locations
from core.objectives.numbers import _currency, _fmt_money, _to_float, words_to_numbers
from core.objectives.objective import Objective, _consistency_questions
from core.objectives.text import (_clause_of, _clauses, _nearest_platform, _nlp, _period_near, _platform_mentions,
                                  _strip_list)
from core.objectives.vocabulary import (_BARE_BUDGET, _BARE_PERIOD, _CONV_WORDS, _CPL_AFTER, _CPL_BEFORE,
                                        _EXCLUDE_AFTER, _EXCLUDE_CUE, _FRACTIONS, _LEADS_WORDS, _LOWER_CUES,
                                        _MAX_ITEMS, _MONEY_RES, _MULT, _NUM, _ONLY_AFTER, _ONLY_CUE, _PCT,
                                        _PLATFORM_RE, _QUALITY_WORDS, _REVENUE_WORDS, _UPPER_CUES, PERIOD_DAYS)


# "Keep Bing at $20 a day minimum": a floor written after the amount (and its period)
_MIN_AFTER = re.compile(r"^\s*(?:(?:a|an|per|each|every|/)\s*(?:day|week|month|quarter|year)\s*)?(?:as\s+a\s+)?"
                        r"(?:minimum|min\b|at\s+(?:the\s+)?least|or\s+more|floor)", re.I)


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


@dataclass
class ParseState:
    """What the readers share: the objective being filled, the normalised text and its positions."""

    obj: Objective
    norm: str                                   # number words as digits, plain dashes and quotes
    clauses: list[tuple[int, int]]
    mentions: list[tuple[int, int, tuple[str, ...]]]
    amounts: list[_Amount] = field(default_factory=list)
    use_spacy: bool = True

    @property
    def low(self) -> str:
        return self.norm.lower()

    @property
    def src(self) -> dict[str, str]:
        return self.obj.source

    @classmethod
    def of(cls, text: str, *, use_spacy: bool = True) -> "ParseState":
        raw = text or ""
        norm = words_to_numbers(raw.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'"))
        return cls(Objective(text=raw), norm, _clauses(norm), _platform_mentions(norm), use_spacy=use_spacy)

    def masked(self, spans: Iterable[tuple[int, int]]) -> str:
        """The text with these spans blanked (same length, so positions still hold)."""
        out = self.norm
        for a, b in spans:
            out = out[:a] + " " * (b - a) + out[b:]
        return out


# ------------------------------------------------------------------ 1. amounts


def find_amounts(norm: str, *, use_spacy: bool = True) -> list[_Amount]:
    """Every amount of money in the text, in order: currency patterns, bare budgets, spaCy's MONEY."""
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
        amounts.extend(_spacy_amounts(norm, free, taken))
    amounts.sort(key=lambda a: a.start)
    return amounts


def _spacy_amounts(norm: str, free, taken: list[tuple[int, int]]) -> list[_Amount]:
    """spaCy MONEY entities the patterns missed; its span often leaves out the sign, so look before it."""
    try:
        doc = _nlp()(norm)
    except (OSError, ImportError):  # the model is a dependency; rules still work without it
        return []
    out = []
    for ent in doc.ents:
        if ent.label_ != "MONEY" or not free(ent.start_char, ent.end_char):
            continue
        prev = doc[ent.start - 1].text if ent.start > 0 else ""
        m = re.search(rf"({_NUM})\s*({_MULT})?", ent.text, re.I)
        if not m or prev not in "$€£" or not prev:
            continue
        out.append(_Amount(ent.start_char, ent.end_char, _to_float(m.group(1), m.group(2)), _currency(prev)))
        taken.append((ent.start_char, ent.end_char))
    return out


def merge_ranges(norm: str, amounts: list[_Amount], notes: list[str]) -> list[_Amount]:
    """A range ("$5,000-$6,000", "between $5k and $6k") becomes its midpoint, with a note."""
    merged: list[_Amount] = []
    for a in amounts:
        if merged:
            gap = norm[merged[-1].end:a.start]
            if re.fullmatch(r"\s*(?:-|to|and|or)\s*", gap, re.I) and merged[-1].role == "budget":
                lo = merged[-1]
                merged[-1] = _Amount(lo.start, a.end, (lo.value + a.value) / 2, lo.currency or a.currency)
                notes.append(f"read the budget range {norm[lo.start:a.end].strip()} as its midpoint")
                continue
        merged.append(a)
    return merged


def classify_amount(st: ParseState, a: _Amount) -> None:
    """Set an amount's period and role: a target cost (per lead / per sale), a platform limit, or a budget."""
    norm = st.norm
    clause = _clause_of(st.clauses, a.start)
    left, right = norm[clause[0]:a.start], norm[a.end:clause[1]]
    per, divisor = _period_near(norm, a.start, a.end, clause)
    a.period, a.period_explicit = per, per is not None
    if divisor != 1.0:
        a.value /= divisor
    m_after = _CPL_AFTER.match(norm[a.end:a.end + 40])
    m_before = _CPL_BEFORE.search(left[-45:])
    unit = (m_after.group("u") if m_after else None) or (m_before.group("u") if m_before else None)
    if unit and not (m_after is None and a.period_explicit):
        lead_like = bool(re.match(r"(cpl|cost.per.lead|per-lead|lead|sign|enq|inq|book|app|call)", unit.lower()))
        a.role = "cpl" if lead_like else "cpa"
        return
    plats = [p for p in st.mentions if clause[0] <= p[0] < clause[1]]
    target = _nearest_platform(norm, plats, a.start, a.end, [(b.start, b.end) for b in st.amounts if b is not a])
    if target is None:
        return
    cue_left = left[-40:]
    cue_left = cue_left[max((m.end() for m in _PLATFORM_RE.finditer(cue_left)), default=0):]
    if re.search(_LOWER_CUES, cue_left, re.I) or _MIN_AFTER.match(right):
        a.role, a.platform = "platform_min", target
    elif re.search(_UPPER_CUES, cue_left, re.I) or (len(plats) == 1 and re.search(_UPPER_CUES, right[:30], re.I)):
        a.role, a.platform = "platform_max", target


def read_amounts(st: ParseState) -> None:
    """Find the amounts, merge ranges, and give each its period and role."""
    st.amounts = merge_ranges(st.norm, find_amounts(st.norm, use_spacy=st.use_spacy), st.obj.notes)
    for a in st.amounts:
        classify_amount(st, a)
    # an "up to $X on Google" cap only counts as a platform cap when another budget exists
    if not any(a.role == "budget" for a in st.amounts):
        for a in st.amounts:
            if a.role == "platform_max" and re.search(r"\b(?:up to|under|below|less than|within)\s*$",
                                                      st.norm[max(0, a.start - 20):a.start], re.I):
                a.role, a.platform = "budget", None


# ------------------------------------------------------------------ 2. budget


def read_budget(st: ParseState) -> None:
    """The budget, its period and currency; target costs; per-platform amounts (per day)."""
    obj, src = st.obj, st.src
    budgets = [a for a in st.amounts if a.role == "budget"]
    currencies = {a.currency for a in st.amounts if a.currency}
    if currencies:
        obj.currency = sorted(currencies)[0] if len(currencies) == 1 else "USD"
        if len(currencies) > 1:
            obj.notes.append("the brief mixes currencies: " + ", ".join(sorted(currencies)))
    if budgets:
        _set_budget(obj, budgets)
    else:
        src["budget"] = "default"
        obj.questions.append("What budget should the plan spend, and per day, week, month or quarter? "
                             "(for example '$6,000 a month')")
    if obj.budget is not None and obj.budget <= 0:
        obj.questions.append("The budget must be above zero: what budget should the plan spend?")
    default_period = obj.period or "month"
    for a in st.amounts:
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


def _set_budget(obj: Objective, budgets: list[_Amount]) -> None:
    """The first budget stated wins; two that differ per day raise a question."""
    src = obj.source
    periods = [a.period for a in budgets if a.period]
    default_period = periods[0] if periods else "month"
    daily = {round(a.value / PERIOD_DAYS[a.period or default_period], 2) for a in budgets}
    if len(daily) > 1:
        obj.budget_options = [{"budget": float(a.value), "period": a.period or default_period} for a in budgets]
        shown = " and ".join(f"{_fmt_money(a.value, obj.currency)} a {a.period or default_period}" for a in budgets)
        obj.questions.append(f"The brief states two different budgets ({shown}); which one should the plan spend?")
    first = budgets[0]
    obj.budget = float(first.value)
    src["budget"] = "text"
    obj.period = first.period or default_period
    src["period"] = "text" if (first.period or periods) else "default"
    if src["period"] == "default":
        obj.notes.append("no period given with the budget: read it as a month")


# ------------------------------------------------------------------ 3. shares


def _fraction(m: re.Match) -> float:
    if m.group("num"):
        return float(m.group("num")) / 100.0
    word = m.group("frac").lower().strip()
    return _FRACTIONS.get(word, _FRACTIONS.get(m.group("frac").lower().replace("a ", "", 1), 0.5))


def read_shares(st: ParseState) -> None:
    """Percentage and fraction limits per platform ("no more than 40% on Facebook", "at least a third")."""
    obj, src, norm = st.obj, st.src, st.norm
    for ca, cb in st.clauses:
        clause = norm[ca:cb]
        plats = [p for p in st.mentions if ca <= p[0] < cb]
        if not plats:
            continue
        pct_spans = [(ca + m.start(), ca + m.end()) for m in _PCT.finditer(clause)]
        for m in _PCT.finditer(clause):
            frac = _fraction(m)
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


# ------------------------------------------------------------------ 4. platforms


def _constrained(obj: Objective) -> set[str]:
    return {p for d in (obj.platform_min, obj.platform_max, obj.platform_min_share, obj.platform_max_share)
            for p in d}


def classify_mentions(st: ParseState) -> tuple[list[str], list[str], list[set[str]]]:
    """Each platform mention: excluded, included (and part of an "only" group), or just the subject of a limit."""
    norm, constrained = st.norm, _constrained(st.obj)
    included: list[str] = []
    excluded: list[str] = []
    only_groups: list[set[str]] = []
    for start, end, names in st.mentions:
        ca, cb = _clause_of(st.clauses, start)
        left = _strip_list(norm[ca:start])
        right = norm[end:cb]
        right_list = re.sub(r"^(?:\s*(?:,|and|or|&|/|\+|plus)\s*(?:" + _PLATFORM_RE.pattern + r"))*", "", right,
                            flags=re.I)
        clause_plats = [p for p in st.mentions if ca <= p[0] < cb]
        if _EXCLUDE_CUE.search(left) or _EXCLUDE_AFTER.match(right_list):
            excluded.extend(names)
            continue
        if any(n in constrained for n in names) and len(clause_plats) == 1 and (
                re.search(r"%|\bpercent|\bhalf\b|\bthird|\bquarter of|\$|\d", norm[ca:cb])):
            continue  # a share or amount limit names the platform without restricting the mix
        included.extend(names)
        if _ONLY_CUE.search(left) or _ONLY_AFTER.match(right_list):
            only_groups.append({n for p in clause_plats for n in p[2]})
    return sorted(dict.fromkeys(included)), sorted(dict.fromkeys(excluded)), only_groups


def read_platforms(st: ParseState, known_platforms: Iterable[str] = ()) -> None:
    """Platforms allowed and excluded, with questions where they contradict each other or the history."""
    obj, src = st.obj, st.src
    included, excluded, only_groups = classify_mentions(st)
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


# ------------------------------------------------------------------ 5. goal


def read_goal(st: ParseState) -> None:
    """Revenue words win; else leads or sales, whichever the brief names first; a CPA alone means sales."""
    obj = st.obj
    masked = st.masked((a.start, a.end) for a in st.amounts if a.role in ("cpl", "cpa"))
    masked = re.sub(r"\b(?:cost per|cost-per|per)\s+(?:lead|sale|conversion|acquisition|order|customer)\b|"
                    r"\b(?:cpl|cpa)\b|\bsales(?:people| team| reps?| staff)\b", " ", masked, flags=re.I)
    rev = _REVENUE_WORDS.search(masked)
    lead = _LEADS_WORDS.search(masked)
    conv = _CONV_WORDS.search(masked)
    quality = _QUALITY_WORDS.search(masked)
    if quality and not rev:
        # leads that become customers: the plan optimises sales from leads, and says what it costs in volume
        obj.goal, obj.lead_quality = "conversions", True
    elif rev:
        obj.goal = "revenue"
    elif lead and conv:
        obj.goal = "leads" if lead.start() < conv.start() else "conversions"
    elif conv:
        obj.goal = "conversions"
    elif lead:
        obj.goal = "leads"
    elif obj.target_cpa is not None and obj.target_cpl is None:
        obj.goal = "conversions"
    said = quality or rev or lead or conv or obj.target_cpa is not None or obj.target_cpl is not None
    st.src["goal"] = "text" if said else "default"


# ------------------------------------------------------------------ 6. audience


def read_gender(text: str) -> str | None:
    """``female``, ``male``, ``all`` or None from the words a brief uses for people."""
    female = re.search(r"\b(women|woman|female|females|ladies|moms|mums|mothers|girls|brides)\b", text, re.I)
    male = re.search(r"\b(men|man|male|males|guys|dads|fathers|boys|grooms)\b", text, re.I)
    if re.search(r"\b(?:both genders|all genders|men and women|women and men|everyone|any gender)\b", text, re.I):
        return "all"
    if female and not male:
        return "female"
    if male and not female:
        return "male"
    if female and male:
        return "all"
    return None


def read_interests(low: str, known_interests: Iterable[str]) -> list[str]:
    """Known interests named in the brief (the whole phrase or its head word), else "interested in X" phrases."""
    interests: list[str] = []
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
    return sorted(dict.fromkeys(interests))


def read_audience(st: ParseState, known_interests: Iterable[str] = ()) -> None:
    """Gender, ages, places and interests; amounts, percentages and item counts are blanked first."""
    obj, src = st.obj, st.src
    masked = st.masked((a.start, a.end) for a in st.amounts)
    masked = re.sub(r"\d+(?:\.\d+)?\s*(?:%|percent)", lambda m: " " * len(m.group(0)), masked)
    masked = _MAX_ITEMS.sub(lambda m: " " * len(m.group(0)), masked)
    gender = read_gender(masked)
    if gender:
        obj.gender, src["gender"] = gender, "text"
    age = _parse_age(masked)
    if age:
        obj.age_min, obj.age_max = age
        src["age"] = "text"
    locs = _parse_locations(st.norm, use_spacy=st.use_spacy)
    if locs:
        obj.locations = locs
        src["locations"] = "text"
    interests = read_interests(st.low, list(known_interests))
    if interests:
        obj.interests = interests
        src["interests"] = "text"


# ------------------------------------------------------------------ 7. limits


def read_limits(st: ParseState) -> None:
    """The maximum number of line items ("at most 8 line items", "5 campaigns max")."""
    obj = st.obj
    m = _MAX_ITEMS.search(st.norm)
    if m:
        obj.max_line_items = int(m.group("n") or m.group("n2"))
        st.src["max_line_items"] = "text"
        if obj.max_line_items < 1:
            obj.questions.append("The plan needs at least one line item: how many may it use?")


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
    st = ParseState.of(text, use_spacy=use_spacy)
    read_amounts(st)
    read_budget(st)
    read_shares(st)
    read_platforms(st, known_platforms)
    read_goal(st)
    read_audience(st, known_interests)
    read_limits(st)
    st.obj.questions = list(dict.fromkeys(st.obj.questions))
    return st.obj
