"""The CSV files analysts download by hand, recognised by their header row.

Each :class:`Layout` names the columns of one platform's download (as patterns: Meta
writes the currency into "Amount spent (USD)"), where its header sits (Google puts a
title and a date-range line above it, LinkedIn a preamble, Microsoft nine report lines)
and which rows are not data (Google's "Total: ..." rows, Microsoft's copyright line).
A :class:`Plan` is what the warehouse needs to read one file: the header line, the
delimiter and encoding, and for every contract field the column or constant it comes
from. Unknown CSVs get their plan from a mapping the user made (``core.connectors.mapping``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.connectors import google as g
from core.connectors.meta import snake

# Contract fields a CSV may fill, and how each value is read.
PARSERS = {
    "date": "date", "platform": "text", "campaign_id": "text", "campaign_name": "text", "objective": "text",
    "ad_type": "text", "bidding_strategy": "text", "daily_budget": "money", "spend": "money",
    "impressions": "number", "clicks": "number", "leads": "number", "conversions": "number", "revenue": "money",
    "currency": "text",
}
REQUIRED = ("date", "campaign_id", "spend", "impressions")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%b %d, %Y", "%B %d, %Y", "%d.%m.%Y", "%Y/%m/%d")


@dataclass(frozen=True)
class Layout:
    """One platform's CSV download: column patterns per contract field, plus constants."""

    name: str
    label: str
    columns: dict[str, tuple[str, ...]]          # contract field -> header regexes, first match wins
    signature: tuple[str, ...]                   # contract fields whose columns must all be present
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)   # field -> {lower value: contract value}
    skip_first_cell: str | None = None           # rows whose first cell matches this regex are not data
    encoding: str = "utf-8"


def _bid_values(names: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in names.items()}


META_CSV = Layout(
    name="meta_csv", label="Meta Ads Manager export",
    columns={
        "date": (r"day", r"date", r"reporting starts"),
        "date_end": (r"reporting ends",),
        "campaign_id": (r"ad set id",),
        "campaign_name": (r"ad set name",),
        "platform": (r"platform",),
        "objective": (r"objective",),
        "bidding_strategy": (r"bid strategy",),
        "daily_budget": (r"ad set budget",),
        "budget_type": (r"ad set budget type",),
        "spend": (r"amount spent \(\w{3}\)", r"amount spent"),
        "impressions": (r"impressions",),
        "clicks": (r"link clicks", r"clicks \(all\)"),
        "leads": (r"leads",),
        "conversions": (r"purchases",),
        "revenue": (r"purchases conversion value",),
        "currency": (r"currency",),
        "account_id": (r"account id",),
    },
    signature=("campaign_id", "spend", "impressions"),
    constants={"platform": "facebook", "ad_type": "unknown"},
    values={
        "platform": {"facebook": "facebook", "instagram": "instagram", "messenger": "facebook",
                     "audience network": "facebook", "threads": "instagram"},
        "bidding_strategy": _bid_values({
            "highest volume": "lowest_cost", "lowest cost": "lowest_cost", "highest volume or value": "lowest_cost",
            "cost per result goal": "cost_cap", "cost cap": "cost_cap", "bid cap": "bid_cap",
            "roas goal": "min_roas", "minimum roas": "min_roas"}),
        "objective": {"leads": "leads", "lead generation": "leads", "sales": "sales", "conversions": "sales",
                      "catalog sales": "sales", "traffic": "traffic", "link clicks": "traffic",
                      "awareness": "awareness", "reach": "awareness", "brand awareness": "awareness",
                      "engagement": "awareness", "video views": "awareness", "app promotion": "traffic"},
    },
    skip_first_cell=r"^\s*$",
)

GOOGLE_CSV = Layout(
    name="google_csv", label="Google Ads report download",
    columns={
        "date": (r"day", r"date"),
        "campaign_id": (r"campaign id",),
        "campaign_name": (r"campaign",),
        "ad_type": (r"campaign type", r"advertising channel type"),
        "bidding_strategy": (r"bid strategy type", r"campaign bid strategy type"),
        "daily_budget": (r"budget",),
        "spend": (r"cost",),
        "impressions": (r"impr\.", r"impressions"),
        "clicks": (r"clicks",),
        "conversions": (r"conversions",),
        "revenue": (r"conv\. value", r"conversion value", r"all conv\. value"),
        "currency": (r"currency code", r"currency"),
        "account_id": (r"customer id",),
    },
    signature=("date", "campaign_id", "spend", "impressions"),
    constants={"platform": "google"},
    values={
        "ad_type": {"search": "search", "display": "display", "video": "video", "shopping": "shopping",
                    "performance max": "performance_max", "demand gen": "demand_gen", "app": "app"},
        "bidding_strategy": {**{snake(k.replace("_", " ")).replace("_", " "): v for k, v in g.BID_STRATEGIES.items()},
                             "maximize clicks": "maximize_clicks", "target cpa": "target_cpa",
                             "target roas": "target_roas", "manual cpc": "manual_cpc",
                             "maximize conversions": "maximize_conversions",
                             "maximize conversion value": "maximize_conversion_value",
                             "target impression share": "target_impression_share", "cpm": "manual_cpm",
                             "viewable cpm": "target_cpm", "target cpm": "target_cpm", "enhanced cpc": "enhanced_cpc"},
    },
    skip_first_cell=r"^\s*total\b",
)

LINKEDIN_CSV = Layout(
    name="linkedin_csv", label="LinkedIn Campaign Manager export",
    columns={
        "date": (r"start date \(in utc\)", r"start date", r"date"),
        "campaign_id": (r"campaign id",),
        "campaign_name": (r"campaign name",),
        "objective": (r"campaign objective", r"objective"),
        "ad_type": (r"campaign type", r"ad format"),
        "bidding_strategy": (r"bid strategy", r"bidding strategy"),
        "daily_budget": (r"daily budget", r"campaign daily budget"),
        "spend": (r"total spent", r"amount spent", r"spent"),
        "impressions": (r"impressions",),
        "clicks": (r"clicks",),
        "leads": (r"leads",),
        "conversions": (r"conversions",),
        "revenue": (r"total conversion value", r"conversion value"),
        "currency": (r"currency",),
        "account_id": (r"account id",),
    },
    signature=("campaign_id", "spend", "impressions"),
    constants={"platform": "linkedin"},
    values={
        "objective": {"lead generation": "leads", "website conversions": "sales", "website visits": "traffic",
                      "brand awareness": "awareness", "engagement": "awareness", "video views": "awareness",
                      "job applicants": "leads", "talent leads": "leads"},
        "bidding_strategy": {"maximum delivery": "maximum_delivery", "cost cap": "cost_cap", "manual": "manual_cpc",
                             "manual bidding": "manual_cpc", "manual cpc": "manual_cpc", "target cost": "target_cost"},
        "ad_type": {"sponsored content": "sponsored_content", "text ad": "text", "message ad": "message",
                    "sponsored messaging": "message", "dynamic ad": "dynamic", "conversation ad": "message"},
    },
    skip_first_cell=r"^\s*(total|$)",
    encoding="utf-16",
)

MICROSOFT_CSV = Layout(
    name="microsoft_csv", label="Microsoft Advertising report",
    columns={
        "date": (r"timeperiod", r"day", r"date"),
        "campaign_id": (r"campaignid", r"campaign id"),
        "campaign_name": (r"campaignname", r"campaign name", r"campaign"),
        "ad_type": (r"campaigntype", r"campaign type"),
        "bidding_strategy": (r"bidstrategytype", r"bid strategy type"),
        "daily_budget": (r"dailybudget", r"budget"),
        "spend": (r"spend",),
        "impressions": (r"impressions", r"impr\."),
        "clicks": (r"clicks",),
        "conversions": (r"conversions", r"conv\."),
        "revenue": (r"revenue",),
        "currency": (r"currencycode", r"currency code", r"currency"),
        "account_id": (r"accountid", r"account id", r"accountnumber"),
    },
    signature=("date", "campaign_id", "spend", "impressions"),
    constants={"platform": "bing"},
    values={
        "ad_type": {"search & content": "search", "search": "search", "shopping": "shopping",
                    "audience": "display", "performance max": "performance_max", "dynamic search ads": "search"},
        "bidding_strategy": {"enhancedcpc": "enhanced_cpc", "manualcpc": "manual_cpc", "maxclicks": "maximize_clicks",
                             "maxconversions": "maximize_conversions", "targetcpa": "target_cpa",
                             "targetroas": "target_roas", "maxconversionvalue": "maximize_conversion_value",
                             "targetimpressionshare": "target_impression_share", "manual cpc": "manual_cpc",
                             "enhanced cpc": "enhanced_cpc", "maximize clicks": "maximize_clicks",
                             "maximize conversions": "maximize_conversions", "target cpa": "target_cpa",
                             "target roas": "target_roas"},
    },
    skip_first_cell=r"^\s*(©|\(c\)|total\b|$)",
)

LAYOUTS: tuple[Layout, ...] = (META_CSV, GOOGLE_CSV, LINKEDIN_CSV, MICROSOFT_CSV)
BY_NAME = {lay.name: lay for lay in LAYOUTS}


def norm_header(h: str) -> str:
    return re.sub(r"\s+", " ", str(h).replace("\ufeff", "").strip().strip('"').strip().lower())


def match_columns(layout: Layout, headers: list[str]) -> dict[str, str]:
    """Contract field -> the file's header, for each field the layout finds in ``headers``."""
    normed = {norm_header(h): h for h in headers}
    out: dict[str, str] = {}
    used: set[str] = set()
    # Longer (more specific) patterns first, so "purchases conversion value" is not taken as "purchases".
    order = sorted(layout.columns.items(), key=lambda kv: -max(len(p) for p in kv[1]))
    for fld, patterns in order:
        for pat in patterns:
            hit = next((orig for n, orig in normed.items() if orig not in used and re.fullmatch(pat, n)), None)
            if hit is not None:
                out[fld] = hit
                used.add(hit)
                break
    return out


def recognise(headers: list[str]) -> Layout | None:
    """The layout whose signature columns are all in ``headers`` (the most specific one wins)."""
    best, best_n = None, 0
    for layout in LAYOUTS:
        found = match_columns(layout, headers)
        if all(f in found for f in layout.signature) and len(found) > best_n:
            best, best_n = layout, len(found)
    return best


@dataclass
class Plan:
    """How to read one CSV file into contract rows (what ``core.warehouse.exports`` executes)."""

    source: str                                   # layout name or "mapped"
    header_line: int                              # 0-based line of the header
    delimiter: str
    encoding: str
    columns: dict[str, str]                       # contract field -> header
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    skip_first_cell: str | None = None
    headers: list[str] = field(default_factory=list)

    def parser(self, fld: str) -> str:
        return PARSERS.get(fld, "text")


def plan_for(layout: Layout, headers: list[str], header_line: int, delimiter: str, encoding: str) -> Plan:
    cols = match_columns(layout, headers)
    consts = {k: v for k, v in layout.constants.items() if k not in cols}
    return Plan(source=layout.name, header_line=header_line, delimiter=delimiter, encoding=encoding, columns=cols,
                constants=consts, values=layout.values, skip_first_cell=layout.skip_first_cell, headers=headers)
