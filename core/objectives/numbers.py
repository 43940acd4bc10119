"""Numbers and money as written in a brief: number words to digits, amounts to floats, currency codes."""

from __future__ import annotations

import re

from core.objectives.vocabulary import _NUMWORD, _SCALES, _TENS, _UNITS


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




def _fmt_money(v: float, cur: str = "USD") -> str:
    sym = {"USD": "$", "EUR": "€", "GBP": "£"}.get(cur, "")
    return f"{sym}{v:,.0f}" + ("" if sym else f" {cur}")

