"""Realistic platform exports of a synthetic advertiser: contract rows written back as Meta and Google.

The reverse of the connectors, for benchmarks and tests: a campaigns frame in the
contract's shape (``core.sample_data.generate(...).campaigns``) becomes

* ``meta_insights.json``: Graph API insights pages (an array of pages, ``limit`` rows each;
  numbers as strings, ``actions``/``action_values`` absent when empty, leads also written as
  ``onsite_conversion.lead_grouped`` and pixel leads, purchases as ``omni_purchase``,
  ``purchase`` and ``offsite_conversion.fb_pixel_purchase``, part of Facebook delivery on
  Messenger) and ``meta_adsets.json`` (minor-unit budgets, targeting with genders codes,
  region names, interests);
* ``google_performance.json`` and ``google_conversions.json``: SearchStream responses (int64
  as strings, zero fields left out, leads split over lead categories with fractions);
* ``contract.ndjson``: every other platform's rows (LinkedIn, Microsoft, ...) as contract records.

Budgets written are each line item's budget on the last day of the history: what the
APIs would report on the export day.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.connectors import google as g
from core.connectors import meta as m
from core.connectors import regions

_REGION_NAMES = {code: name for name, code in ((n, f"US-{c}") for n, c in regions._US.items())}
_META_BID = {v: k for k, v in m.BID_STRATEGIES.items()}
_GOOGLE_BID = {v: k for k, v in g.BID_STRATEGIES.items()}
_GOOGLE_CHANNEL = {v: k for k, v in g.CHANNEL_TYPES.items()}
_META_OBJECTIVE = {"leads": "OUTCOME_LEADS", "sales": "OUTCOME_SALES", "traffic": "OUTCOME_TRAFFIC",
                   "awareness": "OUTCOME_AWARENESS"}
_GOAL = {"leads": "OFFSITE_CONVERSIONS", "sales": "OFFSITE_CONVERSIONS", "traffic": "LINK_CLICKS",
         "awareness": "REACH"}


def numeric_id(text: str, digits: int = 13, prefix: str = "") -> str:
    """A stable platform-style numeric id for a contract id."""
    n = int(hashlib.sha1(text.encode()).hexdigest(), 16) % 10**digits
    return prefix + str(n).zfill(digits)


def _money(x: float) -> str:
    return f"{x:.2f}"


def _targeting(aud: dict[str, Any]) -> dict[str, Any]:
    t: dict[str, Any] = {"age_min": int(aud["age_min"]), "age_max": min(int(aud["age_max"]), 65)}
    if aud.get("gender") == "male":
        t["genders"] = [1]
    elif aud.get("gender") == "female":
        t["genders"] = [2]
    loc = str(aud.get("location") or "US")
    if "-" in loc:
        t["geo_locations"] = {"regions": [{"key": numeric_id(loc, 4), "name": _REGION_NAMES.get(loc, loc),
                                           "country": loc.split("-")[0]}], "location_types": ["home", "recent"]}
    else:
        t["geo_locations"] = {"countries": [loc], "location_types": ["home", "recent"]}
    ints = list(aud.get("interests") or [])
    if ints:
        t["flexible_spec"] = [{"interests": [{"id": numeric_id(i, 13, "6003"), "name": i[:1].upper() + i[1:]}
                                             for i in ints]}]
    t["targeting_automation"] = {"advantage_audience": 0}
    return t


def _actions(pairs: list[tuple[str, float]]) -> list[dict[str, str]]:
    return [{"action_type": k, "value": (str(int(v)) if float(v).is_integer() else repr(float(v)))}
            for k, v in pairs if v]


def meta_insight_rows(frame: pd.DataFrame, account: str, rng: np.random.Generator) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for r in frame.itertuples(index=False):
        adset = numeric_id(r.campaign_id, 13, "2385")
        parts = [(r.platform, r.spend, r.impressions, r.clicks)]
        # Part of Facebook delivery runs on Messenger: the connector counts it as facebook again.
        if r.platform == "facebook" and r.impressions > 20 and rng.random() < 0.3:
            share = 0.1
            imp2, clk2 = int(r.impressions * share), int(r.clicks * share)
            sp2 = round(r.spend * share, 2)
            parts = [("facebook", round(r.spend - sp2, 2), r.impressions - imp2, r.clicks - clk2),
                     ("messenger", sp2, imp2, clk2)]
        for k, (plat, spend, imp, clk) in enumerate(parts):
            first = k == 0
            leads, conv, rev = (r.leads, r.conversions, r.revenue) if first else (0, 0, 0.0)
            row: dict[str, Any] = {
                "account_id": account, "account_currency": "USD", "campaign_id": numeric_id(r.campaign_name or "", 13,
                                                                                            "2384"),
                "campaign_name": f"{r.campaign_name} campaign", "adset_id": adset, "adset_name": r.campaign_name,
                "objective": _META_OBJECTIVE[r.objective], "date_start": r.date.strftime("%Y-%m-%d"),
                "date_stop": r.date.strftime("%Y-%m-%d"), "publisher_platform": plat, "spend": _money(spend),
                "impressions": str(int(imp)), "clicks": str(int(clk + (clk // 3))), "inline_link_clicks": str(int(clk)),
            }
            acts = _actions([("link_click", clk), ("lead", leads), ("onsite_conversion.lead_grouped", leads),
                             ("offsite_conversion.fb_pixel_lead", leads // 2), ("omni_purchase", conv),
                             ("purchase", conv), ("offsite_conversion.fb_pixel_purchase", conv)])
            vals = _actions([("omni_purchase", rev), ("purchase", rev), ("offsite_conversion.fb_pixel_purchase", rev)])
            if acts:
                row["actions"] = acts
            if vals:
                row["action_values"] = vals
            rows.append(row)
    return rows


def _pages(rows: list[dict[str, Any]], size: int, base: str) -> list[dict[str, Any]]:
    pages = []
    for i in range(0, max(len(rows), 1), size):
        cursor = numeric_id(f"{base}{i}", 8)
        page: dict[str, Any] = {"data": rows[i:i + size], "paging": {"cursors": {"before": f"M{cursor}", "after":
                                                                               f"N{cursor}"}}}
        if i + size < len(rows):
            page["paging"]["next"] = f"https://graph.facebook.com/v25.0/{base}/insights?after=N{cursor}&limit={size}"
        pages.append(page)
    return pages


def meta_adsets(frame: pd.DataFrame, account: str) -> list[dict[str, Any]]:
    last = frame.sort_values("date").groupby("campaign_id", sort=True).tail(1)
    out = []
    for r in last.itertuples(index=False):
        goal = "LEAD_GENERATION" if r.ad_type == "lead_form" else _GOAL[r.objective]
        out.append({
            "id": numeric_id(r.campaign_id, 13, "2385"), "name": r.campaign_name, "account_id": account,
            "campaign_id": numeric_id(r.campaign_name or "", 13, "2384"),
            "campaign": {"id": numeric_id(r.campaign_name or "", 13, "2384"), "objective": _META_OBJECTIVE[r.objective]},
            "status": "ACTIVE", "daily_budget": str(int(round(r.daily_budget * 100))),
            "bid_strategy": _META_BID.get(r.bidding_strategy, "LOWEST_COST_WITHOUT_CAP"),
            "billing_event": "IMPRESSIONS", "optimization_goal": goal, "targeting": _targeting(r.audience),
            "created_time": "2024-10-28T10:00:00-0500", "updated_time": "2026-10-01T09:30:00-0500",
        })
    return out


def _g_metrics(**values: Any) -> dict[str, Any]:
    """proto3 JSON: fields equal to zero are left out."""
    return {k: v for k, v in values.items() if v not in (0, "0", 0.0, None)}


def google_batches(frame: pd.DataFrame, customer: str, size: int, rng: np.random.Generator
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    budgets = frame.sort_values("date").groupby("campaign_id").tail(1).set_index("campaign_id")["daily_budget"]
    perf, conv = [], []
    for r in frame.itertuples(index=False):
        cid = numeric_id(r.campaign_id, 11, "2")
        campaign = {"resourceName": f"customers/{customer}/campaigns/{cid}", "id": cid, "name": r.campaign_name,
                    "status": "ENABLED", "advertisingChannelType": _GOOGLE_CHANNEL.get(r.ad_type, "SEARCH"),
                    "biddingStrategyType": _GOOGLE_BID.get(r.bidding_strategy, "MANUAL_CPC")}
        micros = int(round(r.spend * 100)) * 10_000
        perf.append({"campaign": campaign,
                     "campaignBudget": {"resourceName": f"customers/{customer}/campaignBudgets/{cid}",
                                        "amountMicros": str(int(round(budgets[r.campaign_id] * 100)) * 10_000)},
                     "metrics": _g_metrics(costMicros=str(micros), impressions=str(int(r.impressions)),
                                           clicks=str(int(r.clicks))),
                     "segments": {"date": r.date.strftime("%Y-%m-%d")}})
        short = {"resourceName": campaign["resourceName"], "id": cid}
        if r.leads:
            # Data-driven attribution splits a lead over categories: fractions that sum exactly.
            phone = float(rng.integers(0, 3)) * 0.25 if r.leads >= 1 else 0.0
            for cat, n in (("SUBMIT_LEAD_FORM", float(r.leads) - phone), ("PHONE_CALL_LEAD", phone)):
                if n:
                    conv.append({"campaign": short, "metrics": {"conversions": n, "conversionsValue": 0.0},
                                 "segments": {"date": r.date.strftime("%Y-%m-%d"), "conversionActionCategory": cat}})
        if r.conversions:
            conv.append({"campaign": short, "metrics": {"conversions": float(r.conversions),
                                                        "conversionsValue": float(r.revenue)},
                         "segments": {"date": r.date.strftime("%Y-%m-%d"), "conversionActionCategory": "PURCHASE"}})
    pmask = ("campaign.resourceName,campaign.id,campaign.name,campaign.status,campaign.advertisingChannelType,"
             "campaign.biddingStrategyType,campaignBudget.resourceName,campaignBudget.amountMicros,"
             "metrics.costMicros,metrics.impressions,metrics.clicks,segments.date")
    cmask = ("campaign.resourceName,campaign.id,metrics.conversions,metrics.conversionsValue,segments.date,"
             "segments.conversionActionCategory")
    def batches(rows, mask, tag):
        return [{"results": rows[i:i + size], "fieldMask": mask, "requestId": numeric_id(f"{tag}{i}", 10, "r")}
                for i in range(0, max(len(rows), 1), size)]
    return batches(perf, pmask, "p"), batches(conv, cmask, "c")


def write_exports(campaigns: pd.DataFrame, out: str | Path, *, meta_account: str = "1234567890123",
                  google_customer: str = "9876543210", page_size: int = 500, seed: int = 0) -> dict[str, Path]:
    """Write the advertiser's history as platform exports under ``out``; returns the files by kind."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    frame = campaigns.copy()
    frame["date"] = pd.to_datetime(frame["date"])
    if "audience" not in frame.columns:
        frame["audience"] = [{"age_min": a, "age_max": b, "gender": s, "interests": list(i), "location": loc}
                             for a, b, s, i, loc in zip(frame["age_min"], frame["age_max"], frame["gender"],
                                                        frame["interests"], frame["location"])]
    frame = frame.sort_values(["date", "campaign_id"], kind="stable")
    is_meta = frame["platform"].isin(["facebook", "instagram"])
    is_google = frame["platform"].eq("google")
    files: dict[str, Path] = {}
    meta_rows = meta_insight_rows(frame[is_meta], meta_account, rng)
    files["meta_insights"] = _dump(out / "meta_insights.json", _pages(meta_rows, page_size, f"act_{meta_account}"))
    files["meta_adsets"] = _dump(out / "meta_adsets.json", {"data": meta_adsets(frame[is_meta], f"act_{meta_account}"),
                                                             "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}})
    perf, conv = google_batches(frame[is_google], google_customer, max(page_size, 1000), rng)
    files["google_performance"] = _dump(out / "google_performance.json", perf)
    files["google_conversions"] = _dump(out / "google_conversions.json", conv)
    rest = frame[~is_meta & ~is_google]
    path = out / "contract.ndjson"
    with open(path, "w") as fh:
        for rec in _contract_records(rest):
            fh.write(json.dumps(rec) + "\n")
    files["contract"] = path
    return files


def _contract_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = ["platform", "campaign_id", "campaign_name", "objective", "ad_type", "bidding_strategy", "audience",
            "daily_budget", "spend", "impressions", "clicks", "leads", "conversions", "revenue", "currency"]
    out = []
    for r in frame.to_dict("records"):
        rec = {"date": r["date"].strftime("%Y-%m-%d")}
        for c in cols:
            if c in r:
                v = r[c]
                rec[c] = v.item() if hasattr(v, "item") else v
        rec["audience"] = {**rec["audience"], "interests": list(rec["audience"].get("interests") or [])}
        out.append(rec)
    return out


def _dump(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, separators=(",", ":")))
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m core.connectors.synthetic --seed S --out DIR``: a generated advertiser's exports."""
    import argparse

    from core import sample_data

    ap = argparse.ArgumentParser(description="Write a synthetic advertiser's history as platform exports.")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--line-items", type=int, default=30)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    ws = sample_data.generate(seed=args.seed, days=args.days, n_line_items=args.line_items, n_posts=0, n_comments=0,
                              n_customers=0)
    for kind, path in write_exports(ws.campaigns, args.out, seed=args.seed).items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
