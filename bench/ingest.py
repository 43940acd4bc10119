"""Ingest benchmark (not a test): our full ingest vs a bare DuckDB read of the same file.

Generates N campaign-day records (default 1,000,000) as a JSON array and as NDJSON,
then, in this one process, times:

* bare: ``CREATE TABLE t AS SELECT * FROM read_json(file)`` into a fresh database file;
* ours: ``Warehouse.ingest(file)`` (sniffing, validation of every field, merge by key,
  ingest log) into a fresh workspace file;

and prints both times and their ratio, then times each overview query on the loaded rows.

``--whole-process`` instead times what a user waits for, start-up imports included, each
side a fresh process, the three run in turn ``--repeat`` times (5 by default there), on the
NDJSON file:

* bare load: ``python -c "import duckdb; duckdb.connect('t.duckdb').execute(\"create table t
  as select * from read_ndjson('big.ndjson')\")"`` into a fresh database file: the same work
  as ours without the contract (the in-process bare side, as a process);
* bare count: ``python -c "import duckdb; duckdb.connect().sql(\"select count(*) from
  read_ndjson('big.ndjson')\").fetchall()"``: a scan that converts and stores no value;
* ours: ``python -m core ingest big.ndjson --db tmp.duckdb`` into a fresh workspace file;

and reports each side's median and our ratio to each (issue 12 asks for <= 1.5).

Run: ``.venv/bin/python bench/ingest.py [--rows 1000000] [--repeat 3] [--whole-process]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import overview  # noqa: E402
from core.warehouse import Filters, Warehouse  # noqa: E402

PLATFORMS = ["google", "facebook", "instagram", "linkedin", "bing"]
AD_TYPES = ["search", "display", "video", "lead_form", "image", "carousel"]
BIDS = ["manual_cpc", "target_cpa", "lowest_cost", "maximize_conversions"]


def make_records(rows: int, seed: int = 0) -> list[dict]:
    """Campaign-days: rows / 730 line items over two years (numbers partly as strings)."""
    rng = np.random.default_rng(seed)
    days = 730
    start = date(2024, 11, 1)
    dates = [(start + timedelta(days=d)).isoformat() for d in range(days)]
    recs: list[dict] = []
    spend = rng.gamma(2.0, 40.0, size=rows).round(2)
    impressions = rng.poisson(3000, size=rows)
    clicks = rng.binomial(impressions, 0.03)
    leads = rng.poisson(3, size=rows)
    conversions = rng.binomial(leads, 0.2)
    for i in range(rows):
        item, d = divmod(i, days)
        rec = {
            "date": dates[d], "platform": PLATFORMS[item % 5].upper() if item % 7 == 0 else PLATFORMS[item % 5],
            "campaign_id": f"li-{item:05d}", "campaign_name": f"Line item {item}", "objective": "leads",
            "ad_type": AD_TYPES[item % 6], "bidding_strategy": BIDS[item % 4],
            "audience": {"age_min": 25, "age_max": 54, "gender": "all", "interests": ["home"], "location": "US"},
            "daily_budget": 100, "spend": float(spend[i]), "impressions": int(impressions[i]),
            "clicks": int(clicks[i]), "leads": int(leads[i]), "conversions": int(conversions[i]),
            "revenue": float(conversions[i]) * 250.0,
        }
        if i % 3 == 0:  # ad platforms' exports send numbers as strings
            rec["spend"] = f"{rec['spend']:.2f}"
            rec["clicks"] = str(rec["clicks"])
        recs.append(rec)
    return recs


def write_files(recs: list[dict], folder: Path) -> tuple[Path, Path]:
    array, ndjson = folder / "campaigns.json", folder / "campaigns.ndjson"
    with open(array, "w") as fh:
        fh.write("[\n")
        fh.write(",\n".join(json.dumps(r) for r in recs))
        fh.write("\n]\n")
    with open(ndjson, "w") as fh:
        fh.write("\n".join(json.dumps(r) for r in recs))
        fh.write("\n")
    return array, ndjson


def _fresh(db: Path) -> Path:
    """A database path with no file and no write-ahead log left from a previous run."""
    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)
    return db


def time_bare(path: Path, folder: Path) -> float:
    db = _fresh(folder / "bare.duckdb")
    con = duckdb.connect(str(db))
    t0 = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM read_json($p)", {"p": str(path)})
    con.execute("CHECKPOINT")
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def time_ours(path: Path, folder: Path) -> tuple[float, Path]:
    db = _fresh(folder / "ours.duckdb")
    wh = Warehouse.open(db)
    t0 = time.perf_counter()
    report = wh.ingest(path)
    wh.checkpoint()
    elapsed = time.perf_counter() - t0
    assert sum(report.loaded.values()) > 0 and not report.skipped
    wh.close()
    return elapsed, db


def time_queries(db: Path, repeat: int) -> dict[str, float]:
    wh = Warehouse.open(db)
    lo, hi = wh.date_range()
    full = Filters()
    last90 = Filters(start=hi - timedelta(days=89), end=hi)
    platform = Filters(start=lo, end=hi, platforms=("google", "facebook"))
    queries = {
        "kpis (90 days + previous period)": lambda: overview.kpis(wh, last90),
        "totals (all rows)": lambda: wh.totals(full),
        "daily trend by platform (all rows)": lambda: wh.trend(full, "day", "platform"),
        "weekly trend by platform (all rows)": lambda: wh.trend(full, "week", "platform"),
        "breakdown by platform": lambda: wh.breakdown(full, "platform"),
        "breakdown by ad_type": lambda: wh.breakdown(full, "ad_type"),
        "breakdown by bidding_strategy": lambda: wh.breakdown(full, "bidding_strategy"),
        "breakdown by campaign": lambda: wh.breakdown(full, "campaign"),
        "breakdown by campaign, 2 platforms": lambda: wh.breakdown(platform, "campaign"),
    }
    out = {}
    for name, fn in queries.items():
        fn()  # warm
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times)
    wh.close()
    return out


ROOT = Path(__file__).resolve().parent.parent
BARE_COUNT = "import duckdb; duckdb.connect().sql(\"select count(*) from read_ndjson('{path}')\").fetchall()"
BARE_LOAD = "import duckdb; duckdb.connect('{db}').execute(\"create table t as select * from read_ndjson('{path}')\")"


def _run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def whole_process(ndjson: Path, folder: Path, repeat: int) -> dict[str, float]:
    """Median seconds of each side (bare load, bare count, ours), each a fresh process, run in turn."""
    times: dict[str, list[float]] = {"bare load": [], "bare count": [], "ours": []}
    for _ in range(repeat):
        db = _fresh(folder / "bare.duckdb")
        times["bare load"].append(_run([sys.executable, "-c", BARE_LOAD.format(path=ndjson, db=db)]))
        times["bare count"].append(_run([sys.executable, "-c", BARE_COUNT.format(path=ndjson)]))
        db = _fresh(folder / "whole.duckdb")
        times["ours"].append(_run([sys.executable, "-m", "core", "ingest", str(ndjson), "--db", str(db)]))
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int)
    ap.add_argument("--whole-process", action="store_true", help="time fresh processes, imports included")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        t0 = time.perf_counter()
        array, ndjson = write_files(make_records(args.rows), folder)
        print(f"generated {args.rows:,} records in {time.perf_counter() - t0:.1f} s "
              f"(array {array.stat().st_size / 1e6:.0f} MB, ndjson {ndjson.stat().st_size / 1e6:.0f} MB)")
        if args.whole_process:
            repeat = args.repeat or 5
            m = whole_process(ndjson, folder, repeat)
            print(f"whole process, NDJSON (medians of {repeat}): python -m core ingest {m['ours']:.2f} s | "
                  f"bare load {m['bare load']:.2f} s, ratio {m['ours'] / m['bare load']:.2f} | "
                  f"bare count {m['bare count']:.2f} s, ratio {m['ours'] / m['bare count']:.2f}")
            return
        args.repeat = args.repeat or 3
        db = None
        for label, path in (("JSON array", array), ("NDJSON", ndjson)):
            bare = [time_bare(path, folder) for _ in range(args.repeat)]
            ours = []
            for _ in range(args.repeat):
                elapsed, db = time_ours(path, folder)
                ours.append(elapsed)
            b, o = statistics.median(bare), statistics.median(ours)
            print(f"{label:>10}: bare read_json {b:.2f} s | our ingest {o:.2f} s | ratio {o / b:.2f} "
                  f"(median of {args.repeat})")
        print("overview queries on", f"{args.rows:,}", "rows (median ms):")
        for name, sec in time_queries(db, args.repeat).items():
            print(f"  {sec * 1000:7.1f} ms  {name}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
