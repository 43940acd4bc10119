"""Meta Marketing API exports: the rules that turn insights and ad sets into line items.

Two files make a Meta line item (docs/data-format.md, "Platform exports"):

* an **insights** page (``GET /act_<id>/insights?level=adset&time_increment=1&breakdowns=
  publisher_platform``): ``{"data": [...], "paging": {...}}``, every number a string,
  ``actions`` / ``action_values`` arrays that are absent when empty;
* the **ad set** export (``GET /act_<id>/adsets``): ``daily_budget`` in minor units,
  ``bid_strategy``, ``targeting``.

The metrics of a million insights rows are mapped in DuckDB (``core.warehouse.exports``)
with the rule tables below as parameters; an ad set file is small and is mapped here.
"""

from __future__ import annotations

import re
from typing import Any

from core.connectors.regions import region_code
from core.errors import BadInputError

# publisher_platform -> contract platform. Messenger and Audience Network are sold as
# Facebook placements, so they count as facebook.
PLATFORMS = {"facebook": "facebook", "instagram": "instagram", "messenger": "facebook",
             "audience_network": "facebook", "threads": "instagram"}

# Leads are Meta's own deduplicated ``lead`` action; never add onsite_conversion.lead_grouped
# or pixel leads on top (they count the same people again).
LEAD_ACTION = "lead"
# One purchase action, the first present, never their sum (each is a view of the same sales).
PURCHASE_ACTIONS = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")

BID_STRATEGIES = {"LOWEST_COST_WITHOUT_CAP": "lowest_cost", "COST_CAP": "cost_cap",
                  "LOWEST_COST_WITH_BID_CAP": "bid_cap", "LOWEST_COST_WITH_MIN_ROAS": "min_roas"}

# Campaign objectives (ODAX names and the legacy ones) -> contract objective.
OBJECTIVES = {
    "OUTCOME_LEADS": "leads", "LEAD_GENERATION": "leads",
    "OUTCOME_SALES": "sales", "CONVERSIONS": "sales", "PRODUCT_CATALOG_SALES": "sales", "STORE_VISITS": "sales",
    "OUTCOME_TRAFFIC": "traffic", "LINK_CLICKS": "traffic", "OUTCOME_APP_PROMOTION": "traffic",
    "APP_INSTALLS": "traffic",
    "OUTCOME_AWARENESS": "awareness", "BRAND_AWARENESS": "awareness", "REACH": "awareness",
    "VIDEO_VIEWS": "awareness", "OUTCOME_ENGAGEMENT": "awareness", "POST_ENGAGEMENT": "awareness",
    "PAGE_LIKES": "awareness", "EVENT_RESPONSES": "awareness", "MESSAGES": "awareness",
}
# An ad set's optimization goal, when neither the insights nor the ad set name the objective.
OPTIMIZATION_GOALS = {
    "LEAD_GENERATION": "leads", "QUALITY_LEAD": "leads", "QUALITY_CALL": "leads",
    "OFFSITE_CONVERSIONS": "sales", "VALUE": "sales", "CONVERSATIONS": "leads",
    "LINK_CLICKS": "traffic", "LANDING_PAGE_VIEWS": "traffic", "APP_INSTALLS": "traffic",
    "REACH": "awareness", "IMPRESSIONS": "awareness", "THRUPLAY": "awareness", "AD_RECALL_LIFT": "awareness",
    "POST_ENGAGEMENT": "awareness", "PAGE_LIKES": "awareness",
}
# An ad set carries no ad format (that lives on each ad's creative). Only lead-form
# optimisation implies one: Meta's instant forms. Everything else is recorded as unknown.
LEAD_FORM_GOALS = ("LEAD_GENERATION", "QUALITY_LEAD")
UNKNOWN = "unknown"

# Meta's documented targeting defaults: no age bounds means 18-65+.
DEFAULT_AGE_MIN, DEFAULT_AGE_MAX = 18, 65
GENDERS = {(1,): "male", (2,): "female"}


def snake(name: str) -> str:
    """An interest name as a lower_snake identifier: "Dental implants" -> "dental_implants".

    >>> snake("Health & wellness")
    'health_wellness'
    """
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def gender(genders: Any) -> str:
    """Meta's ``genders`` list ([1] male, [2] female, absent or both: everyone).

    >>> gender([2]), gender([1, 2]), gender(None)
    ('female', 'all', 'all')
    """
    key = tuple(sorted({int(g) for g in (genders or [])}))
    return GENDERS.get(key, "all")


def location(geo: dict[str, Any] | None) -> str | None:
    """One contract location from ``geo_locations``: regions as ISO 3166-2, else countries.

    Several places are joined with commas in sorted order ("US-OK,US-TX"); no geography
    at all is unknown (None). A region the table does not know raises BadInputError.
    """
    if not geo:
        return None
    codes: set[str] = set()
    for region in geo.get("regions") or []:
        code = region_code(region.get("name", ""), region.get("country", "US"))
        if code is None:
            raise BadInputError(f"unknown region {region.get('name')!r} in {region.get('country', 'US')}")
        codes.add(code)
    for city in geo.get("cities") or []:
        # A city stands for its region: the contract's location is a country or a region.
        code = region_code(city.get("region", ""), city.get("country", "US"))
        codes.add(code or str(city.get("country", "US")).upper())
    if not codes:
        codes = {str(c).upper() for c in geo.get("countries") or []}
    return ",".join(sorted(codes)) or None


def interests(targeting: dict[str, Any]) -> list[str]:
    """Interest names from ``flexible_spec`` (and the older top-level ``interests``), lower_snake, sorted."""
    found = [i.get("name", "") for spec in targeting.get("flexible_spec") or [] for i in spec.get("interests") or []]
    found += [i.get("name", "") for i in targeting.get("interests") or []]
    return sorted({snake(n) for n in found if n})


def audience(targeting: dict[str, Any] | None) -> dict[str, Any]:
    """The contract audience of an ad set's ``targeting``; unknown parts stay None."""
    t = targeting or {}
    return {"age_min": int(t.get("age_min") or DEFAULT_AGE_MIN), "age_max": int(t.get("age_max") or DEFAULT_AGE_MAX),
            "gender": gender(t.get("genders")), "interests": interests(t),
            "location": location(t.get("geo_locations"))}


def objective(campaign_objective: str | None, optimization_goal: str | None) -> str:
    """The contract objective: the campaign's objective, else the optimisation goal's, else unknown."""
    if campaign_objective and campaign_objective.upper() in OBJECTIVES:
        return OBJECTIVES[campaign_objective.upper()]
    return OPTIMIZATION_GOALS.get((optimization_goal or "").upper(), UNKNOWN)


def budget(minor_units: Any) -> float | None:
    """A daily budget in minor units (cents) as currency units; absent (lifetime or campaign budget) is unknown.

    >>> budget("5000"), budget(None)
    (50.0, None)
    """
    if minor_units in (None, "", "0"):
        return None
    return int(str(minor_units)) / 100.0


def adset_line_item(adset: dict[str, Any]) -> dict[str, Any]:
    """One ad set of ``/act_<id>/adsets`` as line-item attributes (budget as of the export day)."""
    if not adset.get("id"):
        raise BadInputError("an ad set without an id")
    goal = adset.get("optimization_goal")
    camp = adset.get("campaign") or {}
    aud = audience(adset.get("targeting"))
    return {
        "line_item_id": str(adset["id"]),
        "source_account_id": _act(adset.get("account_id")),
        "source_campaign_id": str(adset.get("campaign_id") or camp.get("id") or "") or None,
        "campaign_name": adset.get("name"),
        "objective": objective(camp.get("objective") or adset.get("objective"), goal),
        "ad_type": "lead_form" if (goal or "").upper() in LEAD_FORM_GOALS else UNKNOWN,
        "bidding_strategy": BID_STRATEGIES.get(str(adset.get("bid_strategy") or camp.get("bid_strategy") or "")
                                               .upper(), UNKNOWN),
        "age_min": aud["age_min"], "age_max": aud["age_max"], "gender": aud["gender"],
        "interests": aud["interests"], "location": aud["location"],
        "daily_budget": budget(adset.get("daily_budget")),
    }


def _act(account_id: Any) -> str | None:
    """Meta's ad account id without the ``act_`` prefix (insights write it bare)."""
    if account_id in (None, ""):
        return None
    return str(account_id).removeprefix("act_")


def adset_line_items(pages: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Every ad set of one ad set export (one or more pages), checked and mapped."""
    out = []
    for page in pages:
        for adset in page.get("data") or []:
            try:
                out.append(adset_line_item(adset))
            except (BadInputError, ValueError, TypeError) as exc:
                raise BadInputError(f"{name}: ad set {adset.get('id', '?')}: {exc}.", "Bad ad set") from exc
    if not out:
        raise BadInputError(f"{name}: the ad set export holds no ad sets.", "Empty file")
    return out


def objective_rows() -> list[tuple[str, str]]:
    """(Meta objective, contract objective): the table the insights SQL joins on."""
    return sorted(OBJECTIVES.items())


def platform_rows() -> list[tuple[str, str]]:
    return sorted(PLATFORMS.items())
