"""Prices in page text: where they are (a currency next to a number), what they say (price-parser).

A regular expression only *finds* a price: a currency sign or code before or after a
number with its separators, and a period or unit after it ("/mo", "per user per
year"). The amount itself is read by price-parser (Scrapinghub's library), which
knows the decimal conventions: ``€1.299,00`` is 1299.00, ``19,99 €`` is 19.99,
``CHF 1'299.50`` is 1299.50 and ``$1,234.56`` is 1234.56.

>>> [(p["amount"], p["currency"], p["period"]) for p in find_prices("€1.299,00 per year or 19,99 € a month")]
[(1299.0, 'EUR', 'year'), (19.99, 'EUR', 'month')]
"""

from __future__ import annotations

import re
from typing import Any

from price_parser import Price

# Currency as written -> ISO 4217 (upper-cased keys). "kr" is left out: it is SEK, NOK, DKK or ISK.
CURRENCIES = {"$": "USD", "US$": "USD", "A$": "AUD", "AU$": "AUD", "C$": "CAD", "CA$": "CAD", "NZ$": "NZD",
              "R$": "BRL", "£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR", "FR.": "CHF", "SFR.": "CHF",
              "ZŁ": "PLN", **{c: c for c in ("USD", "GBP", "EUR", "AUD", "CAD", "CHF", "NZD", "SEK", "NOK", "DKK",
                                              "JPY", "INR", "PLN", "BRL")}}
_CODES = "USD|GBP|EUR|AUD|CAD|CHF|NZD|SEK|NOK|DKK|JPY|INR|PLN|BRL"
_CUR = rf"(?:US\$|AU?\$|CA?\$|NZ\$|R\$|[$£€¥₹]|S?Fr\.|zł|(?<![A-Za-z])(?:{_CODES})(?![A-Za-z]))"
# Digits with thousands separators (, . ' thin or plain space) and up to two decimals.
_NUM = r"\d{1,3}(?:[.,'\u2019\u00a0\u202f ]\d{3}(?!\d))+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PERIOD = (r"(?P<tail>\s*(?:/|per|a|an|each|every)?\s*(?:user|seat|member|person)?\s*(?:/|per)?\s*"
           r"(?:mo(?:nth)?s?|yr|years?|annum|annually|monthly|yearly|wk|weeks?|day|daily|user|seat|member|person)\b"
           r"(?:\s*(?:/|per)\s*(?:mo(?:nth)?|yr|year|user|seat|member|person)\b)?)?")
PRICE_RE = re.compile(rf"(?:(?P<pre>{_CUR})\s?(?P<n1>{_NUM})|(?P<n2>{_NUM})\s?(?P<post>{_CUR}))(?:,-|\.-)?{_PERIOD}",
                      re.I)
CURRENCY_HINT = re.compile(rf"[$£€¥₹]|S?Fr\.|zł|\b(?:{_CODES})\b")


def period_of(tail: str) -> tuple[str | None, str | None]:
    """``(period, unit)`` of the words after a price: ``"/ user / month"`` -> ``("month", "user")``."""
    t = (tail or "").lower()
    period = None
    for name, pattern in (("month", r"mo|month|months|monthly"), ("year", r"yr|year|years|annum|annually|yearly"),
                          ("week", r"wk|week|weeks"), ("day", r"day|daily")):
        if re.search(rf"\b(?:{pattern})\b", t):
            period = name
            break
    m = re.search(r"\b(user|seat|member|person)\b", t)
    unit = None if m is None else "seat" if m.group(1) == "seat" else "user"
    return period, unit


def read_price(written: str, currency: str) -> tuple[float, str] | None:
    """``(amount, ISO currency)`` of one written price, read by price-parser."""
    price = Price.fromstring(written)
    if price.amount is None:
        return None
    return float(price.amount), CURRENCIES.get(currency.upper(), currency.upper())


def find_prices(text: str) -> list[dict[str, Any]]:
    """Prices in a text with currency, period and unit.

    >>> [(p["amount"], p["currency"], p["period"], p["unit"]) for p in find_prices("$15/mo or £9.99 per user")]
    [(15.0, 'USD', 'month', None), (9.99, 'GBP', None, 'user')]
    """
    out = []
    for m in PRICE_RE.finditer(text or ""):
        currency = m.group("pre") or m.group("post")
        written = f"{m.group('pre') or ''} {m.group('n1') or m.group('n2')} {m.group('post') or ''}".strip()
        read = read_price(written, currency)
        if read is None:
            continue
        period, unit = period_of(m.group("tail") or "")
        out.append({"amount": read[0], "currency": read[1], "period": period, "unit": unit,
                    "text": re.sub(r"\s+", " ", m.group(0)).strip()})
    return out


__all__ = ["CURRENCIES", "CURRENCY_HINT", "PRICE_RE", "find_prices", "period_of", "read_price"]
