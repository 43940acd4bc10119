"""Region names as the ad platforms write them, to ISO 3166-2 codes ("Texas" -> "US-TX").

Meta's targeting names regions by their English name and country (``{"name": "Texas",
"country": "US"}``); the contract's ``audience.location`` wants ISO codes. The table
covers the countries whose subdivisions Meta lists by name most often (US, CA, AU, GB,
DE, IN, MX, BR); a region outside it is reported, never guessed.
"""

from __future__ import annotations

import re
import unicodedata

_US = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA", "Colorado": "CO",
    "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC", "Washington, D.C.": "DC", "Florida": "FL",
    "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS",
    "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI",
    "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI",
    "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    "Puerto Rico": "PR", "Guam": "GU", "American Samoa": "AS", "U.S. Virgin Islands": "VI",
    "Northern Mariana Islands": "MP",
}
_CA = {
    "Alberta": "AB", "British Columbia": "BC", "Manitoba": "MB", "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL", "Nova Scotia": "NS", "Ontario": "ON", "Prince Edward Island": "PE",
    "Quebec": "QC", "Saskatchewan": "SK", "Northwest Territories": "NT", "Nunavut": "NU", "Yukon": "YT",
}
_AU = {
    "New South Wales": "NSW", "Victoria": "VIC", "Queensland": "QLD", "Western Australia": "WA",
    "South Australia": "SA", "Tasmania": "TAS", "Australian Capital Territory": "ACT", "Northern Territory": "NT",
}
_GB = {"England": "ENG", "Scotland": "SCT", "Wales": "WLS", "Northern Ireland": "NIR"}
_DE = {
    "Baden-Württemberg": "BW", "Bavaria": "BY", "Berlin": "BE", "Brandenburg": "BB", "Bremen": "HB",
    "Hamburg": "HH", "Hesse": "HE", "Lower Saxony": "NI", "Mecklenburg-Vorpommern": "MV",
    "North Rhine-Westphalia": "NW", "Rhineland-Palatinate": "RP", "Saarland": "SL", "Saxony": "SN",
    "Saxony-Anhalt": "ST", "Schleswig-Holstein": "SH", "Thuringia": "TH",
}
_IN = {
    "Andhra Pradesh": "AP", "Delhi": "DL", "Gujarat": "GJ", "Haryana": "HR", "Karnataka": "KA", "Kerala": "KL",
    "Maharashtra": "MH", "Punjab": "PB", "Rajasthan": "RJ", "Tamil Nadu": "TN", "Telangana": "TG",
    "Uttar Pradesh": "UP", "West Bengal": "WB",
}
_MX = {"Jalisco": "JAL", "Nuevo León": "NLE", "Mexico City": "CMX", "Distrito Federal": "CMX", "Puebla": "PUE",
       "Estado de México": "MEX", "Guanajuato": "GUA", "Veracruz": "VER", "Yucatán": "YUC"}
_BR = {"São Paulo": "SP", "Rio de Janeiro": "RJ", "Minas Gerais": "MG", "Bahia": "BA", "Paraná": "PR",
       "Rio Grande do Sul": "RS", "Pernambuco": "PE", "Ceará": "CE", "Distrito Federal": "DF"}

_TABLES = {"US": _US, "CA": _CA, "AU": _AU, "GB": _GB, "DE": _DE, "IN": _IN, "MX": _MX, "BR": _BR}


def _norm(name: str) -> str:
    """Case, accents, punctuation and a trailing "(state)" do not matter: "texas", "Texas (TX)"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"\(.*?\)", " ", text.lower())
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


_INDEX: dict[tuple[str, str], str] = {}
for _country, _table in _TABLES.items():
    for _name, _code in _table.items():
        _INDEX[(_country, _norm(_name))] = f"{_country}-{_code}"
        _INDEX[(_country, _code.lower())] = f"{_country}-{_code}"


def region_code(name: str, country: str = "US") -> str | None:
    """ISO 3166-2 code of a region name in a country, or None when the table lacks it.

    Examples
    --------
    >>> region_code("Texas", "US")
    'US-TX'
    >>> region_code("québec", "CA")
    'CA-QC'
    >>> region_code("Atlantis", "US") is None
    True
    """
    if not name:
        return None
    country = (country or "US").strip().upper()
    text = name.strip()
    if re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", text.upper()) and text.upper().startswith(country + "-"):
        return text.upper()
    return _INDEX.get((country, _norm(text)))


def region_rows() -> list[tuple[str, str, str]]:
    """(country, normalised name, ISO code) for every known name: the lookup table SQL joins on."""
    return [(c, n, code) for (c, n), code in sorted(_INDEX.items())]


def normalise(name: str) -> str:
    """The normalised form :func:`region_rows` uses (for SQL joins that normalise in Python first)."""
    return _norm(name)
