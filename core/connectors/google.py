"""Google Ads API exports: ``GoogleAdsService.SearchStream`` REST responses into line items.

A SearchStream response is a JSON array of batches ``{"results": [...], "fieldMask": "...",
"requestId": "..."}``; int64 fields (ids, ``impressions``, ``clicks``, ``costMicros``,
``amountMicros``) are JSON strings and fields equal to zero are left out (proto3 JSON).
Two queries make a line item (a Google **campaign**):

* performance: ``campaign.id, campaign.name, campaign.advertisingChannelType,
  campaign.biddingStrategyType, campaignBudget.amountMicros, metrics.costMicros,
  metrics.impressions, metrics.clicks, segments.date``;
* conversions: ``campaign.id, segments.date, segments.conversionActionCategory,
  metrics.conversions, metrics.conversionsValue`` (leads and purchases are told apart
  only by the category).

The rows are mapped in DuckDB (``core.warehouse.exports``) with the tables below as
parameters.
"""

from __future__ import annotations

LEAD_CATEGORIES = ("SUBMIT_LEAD_FORM", "SIGNUP", "CONTACT", "BOOK_APPOINTMENT", "REQUEST_QUOTE", "PHONE_CALL_LEAD",
                   "QUALIFIED_LEAD", "CONVERTED_LEAD", "IMPORTED_LEAD")
PURCHASE_CATEGORY = "PURCHASE"

BID_STRATEGIES = {
    "MANUAL_CPC": "manual_cpc", "TARGET_CPA": "target_cpa", "TARGET_ROAS": "target_roas",
    "MAXIMIZE_CONVERSIONS": "maximize_conversions", "MAXIMIZE_CONVERSION_VALUE": "maximize_conversion_value",
    # The API's name for "Maximize clicks" is TARGET_SPEND.
    "TARGET_SPEND": "maximize_clicks", "MANUAL_CPM": "manual_cpm", "TARGET_CPM": "target_cpm",
    "MANUAL_CPV": "manual_cpv", "TARGET_IMPRESSION_SHARE": "target_impression_share",
    "ENHANCED_CPC": "enhanced_cpc", "COMMISSION": "commission", "PERCENT_CPC": "percent_cpc",
}
CHANNEL_TYPES = {"SEARCH": "search", "DISPLAY": "display", "VIDEO": "video", "SHOPPING": "shopping",
                 "PERFORMANCE_MAX": "performance_max", "DEMAND_GEN": "demand_gen", "MULTI_CHANNEL": "app",
                 "LOCAL": "local", "SMART": "smart", "HOTEL": "hotel", "LOCAL_SERVICES": "local_services",
                 "TRAVEL": "travel", "DISCOVERY": "demand_gen"}
UNKNOWN = "unknown"

# Google campaigns carry no objective field. The contract's objective follows from what the
# campaign converts on (lead categories: leads; purchases: sales), else from how it bids.
AWARENESS_BIDDING = ("MANUAL_CPM", "TARGET_CPM", "MANUAL_CPV", "TARGET_IMPRESSION_SHARE")
SALES_BIDDING = ("TARGET_ROAS", "MAXIMIZE_CONVERSION_VALUE")

PERFORMANCE_FIELDS = ("campaign.id", "segments.date", "metrics.costMicros")
CONVERSION_FIELDS = ("campaign.id", "segments.date", "segments.conversionActionCategory", "metrics.conversions")


def query_kind(field_mask: str) -> str | None:
    """'performance' or 'conversions' from a batch's ``fieldMask``; None when it is neither.

    >>> query_kind("campaign.id,segments.date,segments.conversionActionCategory,metrics.conversions")
    'conversions'
    >>> query_kind("campaign.id,campaign.name,metrics.costMicros,segments.date")
    'performance'
    """
    fields = {f.strip() for f in (field_mask or "").split(",")}
    if set(CONVERSION_FIELDS) <= fields:
        return "conversions"
    if set(PERFORMANCE_FIELDS) <= fields:
        return "performance"
    return None


def missing_fields(field_mask: str, kind: str) -> list[str]:
    need = CONVERSION_FIELDS if kind == "conversions" else PERFORMANCE_FIELDS
    have = {f.strip() for f in (field_mask or "").split(",")}
    return [f for f in need if f not in have]


def bid_rows() -> list[tuple[str, str]]:
    return sorted(BID_STRATEGIES.items())


def channel_rows() -> list[tuple[str, str]]:
    return sorted(CHANNEL_TYPES.items())
