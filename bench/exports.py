"""Platform-export ingest benchmark (not a test): 1,000,000 rows as Meta insights and as Google
SearchStream, against the same campaign-days as a contract NDJSON file.

For each format, a fresh workspace file, the whole ``ingest_paths`` call (detection, mapping in
DuckDB, merge by key, state tables, ingest log) is timed; the contract file goes through the
same call (it reaches ``Warehouse.ingest``). The issue's target: each export within 2x the
contract file. Every run's totals are checked equal to the contract's, to the cent.

Run: ``.venv/bin/python bench/exports.py [--rows 1000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.connectors import ingest_paths  # noqa: E402
from core.warehouse import Warehouse  # noqa: E402

DAYS = 730


def write_files(rows: int, out: Path, seed: int = 0) -> dict[str, Path]:
    rng = np.random.default_rng(seed)
    start = date(2024, 11, 1)
    dates = [(start + timedelta(days=d)).isoformat() for d in range(DAYS)]
    spend = rng.gamma(2.0, 40.0, size=rows).round(2)
    imp = rng.poisson(3000, size=rows)
    clk = rng.binomial(imp, 0.03)
    leads = rng.poisson(3, size=rows)
    conv = rng.binomial(leads, 0.2)
    rev = (conv * rng.gamma(3.0, 50.0, size=rows)).round(2)
    files = {k: out / f"{k}.json" for k in ("contract", "meta", "google")}
    with open(out / "contract.ndjson", "w") as c, open(files["meta"], "w") as m, open(files["google"], "w") as g:
        m.write("[")
        g.write("[")
        meta_page, goog_batch = [], []
        for i in range(rows):
            item, d = divmod(i, DAYS)
            plat = "instagram" if item % 3 == 0 else "facebook"
            aid = f"2385{item:013d}"
            c.write(json.dumps({"date": dates[d], "platform": plat, "campaign_id": aid, "campaign_name": f"Ad set {item}",
                                "objective": "leads", "ad_type": "unknown", "bidding_strategy": "lowest_cost",
                                "audience": {"age_min": 25, "age_max": 54, "gender": "all", "interests": [],
                                             "location": "US"}, "daily_budget": 100, "spend": float(spend[i]),
                                "impressions": int(imp[i]), "clicks": int(clk[i]), "leads": int(leads[i]),
                                "conversions": int(conv[i]), "revenue": float(rev[i])}) + "\n")
            row = {"account_id": "1234567890", "adset_id": aid, "adset_name": f"Ad set {item}",
                   "objective": "OUTCOME_LEADS", "publisher_platform": plat, "spend": f"{spend[i]:.2f}",
                   "impressions": str(imp[i]), "clicks": str(clk[i] + 3), "inline_link_clicks": str(clk[i]),
                   "date_start": dates[d], "date_stop": dates[d]}
            acts = [{"action_type": "lead", "value": str(leads[i])}] if leads[i] else []
            if conv[i]:
                acts += [{"action_type": "omni_purchase", "value": str(conv[i])},
                         {"action_type": "purchase", "value": str(conv[i])}]
                row["action_values"] = [{"action_type": "omni_purchase", "value": f"{rev[i]:.2f}"}]
            if acts:
                row["actions"] = acts
            meta_page.append(row)
            goog_batch.append({"campaign": {"resourceName": f"customers/1/campaigns/{item}", "id": str(item),
                                            "name": f"Campaign {item}", "advertisingChannelType": "SEARCH",
                                            "biddingStrategyType": "TARGET_CPA"},
                               "campaignBudget": {"amountMicros": "100000000"},
                               "metrics": {"costMicros": str(int(round(spend[i] * 100)) * 10000),
                                           "impressions": str(imp[i]), "clicks": str(clk[i])},
                               "segments": {"date": dates[d]}})
            if len(meta_page) == 500 or i == rows - 1:
                m.write(("," if i >= 500 else "") + json.dumps({"data": meta_page, "paging": {"cursors": {}}}))
                meta_page = []
            if len(goog_batch) == 10000 or i == rows - 1:
                g.write(("," if i >= 10000 else "") + json.dumps({
                    "results": goog_batch, "requestId": "r", "fieldMask": "campaign.id,campaign.name,"
                    "campaign.advertisingChannelType,campaign.biddingStrategyType,campaignBudget.amountMicros,"
                    "metrics.costMicros,metrics.impressions,metrics.clicks,segments.date"}))
                goog_batch = []
        m.write("]")
        g.write("]")
    files["contract"] = out / "contract.ndjson"
    return files


def time_one(path: Path, tmp: Path, tag: str) -> tuple[float, dict]:
    db = tmp / f"{tag}-{time.monotonic_ns()}.duckdb"
    wh = Warehouse.open(db)
    t0 = time.perf_counter()
    ingest_paths(wh, [path])
    took = time.perf_counter() - t0
    tot = wh.db.df("SELECT round(sum(spend), 2) AS spend, sum(impressions) AS imp, sum(clicks) AS clk FROM campaigns"
                   ).iloc[0].to_dict()
    wh.close()
    for p in tmp.glob(f"{db.name}*"):
        p.unlink()
    return took, tot


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t0 = time.perf_counter()
        files = write_files(args.rows, tmp)
        print(f"generated {args.rows:,} rows per format in {time.perf_counter() - t0:.1f} s: " + ", ".join(
            f"{k} {p.stat().st_size / 1e6:.0f} MB" for k, p in files.items()))
        times: dict[str, list[float]] = {k: [] for k in files}
        totals = {}
        for _ in range(args.repeat):
            for k, p in files.items():
                took, tot = time_one(p, tmp, k)
                times[k].append(took)
                totals[k] = tot
        base = statistics.median(times["contract"])
        for k in files:
            med = statistics.median(times[k])
            print(f"{k:9s} median {med:6.2f} s  ({', '.join(f'{t:.2f}' for t in times[k])})  ratio {med / base:.2f}"
                  f"  totals {totals[k]}")
        same = totals["contract"]["spend"] == totals["meta"]["spend"] == totals["google"]["spend"]
        print("spend totals equal to the cent:", same)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
