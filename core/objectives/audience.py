"""Who the plan should reach: ages and places written in a brief."""

from __future__ import annotations

import re

from core.objectives.text import _nlp
from core.objectives.vocabulary import _PLATFORM_RE, COUNTRIES, US_CITIES, US_STATES

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

