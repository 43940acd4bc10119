"""Monitoring benchmark (not a test): precision and incident recall on injected incidents.

For each seed, ``core.sample_data.generate(seed=s)`` gives an advertiser's history the
monitor has never seen. Incidents of every kind are injected into the last 60 days at
known campaign-days (``core.monitoring.inject_incidents``: leads and conversions
thinned at unchanged spend, click-through collapse, tracking stop, overspend,
under-delivery; 3-7 days each, on campaigns with enough volume for the kind), then the
monitor checks the last 60 days, each day judged only on the days before it.

Scoring (``core.monitoring.evaluate``): an alert is correct when its day lies inside an
injected incident of its campaign (any kind); a false alarm is an alert on a clean
campaign-day. An incident is recalled when an alert *of its own kind* falls inside it
(a leads drop accepts ``cpl_jump`` or ``cpa_jump``). The clean run (no injection)
counts false alarms per 1000 campaign-days on the same histories.

Run: ``.venv/bin/python bench/monitoring.py [--seeds 1 2 3 4 5] [--per-kind 4] [--sensitivity normal]``
(falls back to the tests' small synthetic generator, and says so, when
``core.sample_data`` is not available).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.monitoring import INJECTABLE, Monitor, evaluate, inject_incidents  # noqa: E402

WINDOW = 60


def _campaign_frame(generated) -> pd.DataFrame:
    """The campaigns table out of whatever ``generate`` returns (dict, object or frame)."""
    if isinstance(generated, pd.DataFrame):
        frame = generated
    elif isinstance(generated, dict):
        frame = generated["campaigns"]
    elif hasattr(generated, "campaigns"):
        frame = generated.campaigns
    else:
        frame = generated[0]
    frame = pd.DataFrame(frame).copy()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def load(seed: int, n_campaigns: int | None = None) -> tuple[pd.DataFrame, str]:
    try:
        from core import sample_data
    except ImportError:
        from tests.core._monitoring_synth import synthetic_campaigns

        return (synthetic_campaigns(n_campaigns or 40, 425, random_state=seed),
                "tests' synthetic generator (no core.sample_data)")
    kwargs = {"n_line_items": n_campaigns} if n_campaigns else {}
    return _campaign_frame(sample_data.generate(seed=seed, **kwargs)), "core.sample_data.generate"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--per-kind", type=int, default=4)
    ap.add_argument("--sensitivity", default="normal", choices=("low", "normal", "high"))
    ap.add_argument("--show-false-alarms", action="store_true")
    args = ap.parse_args(argv)

    rows, totals, timings, null_rates = [], [], [], []
    source = ""
    for seed in args.seeds:
        frame, source = load(seed)
        since = frame["date"].max() - pd.Timedelta(days=WINDOW - 1)
        n_camp = frame["campaign_id"].nunique()
        window_days = int((frame["date"] >= since).sum())
        # clean history: every alert is a false alarm
        clean_alerts = Monitor(sensitivity=args.sensitivity).fit(frame).predict(since)
        null_rates.append(1000 * len(clean_alerts) / max(window_days, 1))
        dirty, truth = inject_incidents(frame, start=since, per_kind=args.per_kind, random_state=1000 + seed)
        t0 = time.perf_counter()
        alerts = Monitor(sensitivity=args.sensitivity).fit(dirty).predict(since)
        timings.append((time.perf_counter() - t0, n_camp, frame["date"].nunique()))
        ev = evaluate(alerts, truth, since=since)
        totals.append(ev)
        for kind, k in ev["per_kind"].items():
            rows.append({"seed": seed, "kind": kind, **k})
        print(f"seed {seed}: {n_camp} campaigns, {frame['date'].nunique()} days, {len(truth)} incidents, "
              f"{ev['alerts']} alerts, {ev['false_alarms']} false, precision {ev['precision']:.3f}, "
              f"recall {ev['recall']:.3f}; clean run: {len(clean_alerts)} alerts", flush=True)
        if args.show_false_alarms:
            for _, a in alerts.iterrows():
                d = pd.Timestamp(a["date"])
                inside = ((truth["campaign_id"].astype(str) == a["campaign_id"]) & (truth["start"] <= d)
                          & (truth["end"] >= d)).any()
                if not inside:
                    print(f"    false alarm {a['campaign_id']} {a['date']} {a['kind']}: {a['message']}")

    per = pd.DataFrame(rows)
    agg = per.groupby("kind").agg(alerts=("alerts", "sum"), false_alarms=("false_alarms", "sum"),
                                  incidents=("incidents", "sum"))
    hits = per.assign(h=per["recall"].fillna(0) * per["incidents"]).groupby("kind")["h"].sum()
    hits_any = per.assign(h=per["recall_any_kind"].fillna(0) * per["incidents"]).groupby("kind")["h"].sum()
    agg["precision"] = 1 - agg["false_alarms"] / agg["alerts"].where(agg["alerts"] > 0)
    agg["recall"] = hits / agg["incidents"].where(agg["incidents"] > 0)
    agg["recall_any_kind"] = hits_any / agg["incidents"].where(agg["incidents"] > 0)
    delays = per.groupby("kind")["median_delay_days"].median()
    agg["median_delay_days"] = delays
    n_alerts = sum(t["alerts"] for t in totals)
    n_false = sum(t["false_alarms"] for t in totals)
    n_inc = sum(t["incidents"] for t in totals)
    n_hit = sum(t["recall"] * t["incidents"] for t in totals)
    n_any = sum(t["recall_any_kind"] * t["incidents"] for t in totals)
    print(f"\ndata: {source}; seeds {args.seeds}; sensitivity {args.sensitivity}; last {WINDOW} days checked")
    print(agg.reindex([k for k in list(INJECTABLE) + ["cpa_jump"] if k in agg.index]).round(3).to_string())
    print(f"\noverall: precision {1 - n_false / max(n_alerts, 1):.3f} ({n_alerts} alerts, {n_false} false), "
          f"incident recall {n_hit / max(n_inc, 1):.3f} ({int(round(n_hit))}/{n_inc}, kind-matched), "
          f"{n_any / max(n_inc, 1):.3f} with any kind")
    print(f"clean histories: {np.mean(null_rates):.2f} false alarms per 1000 campaign-days")
    secs = [t[0] for t in timings]
    print(f"timing: fit (reads the last {Monitor().history_days} days) + check {WINDOW} days: "
          f"median {np.median(secs):.2f} s, max {max(secs):.2f} s ({timings[0][1]} campaigns x {timings[0][2]} days given)")
    # the brief's yardstick: 40 campaigns, 60 days checked (plus the history before)
    frame, _ = load(args.seeds[0], n_campaigns=40)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        Monitor().fit(frame).predict(frame["date"].max() - pd.Timedelta(days=WINDOW - 1))
        times.append(time.perf_counter() - t0)
    print(f"timing: {frame['campaign_id'].nunique()} campaigns x {frame['date'].nunique()} days given, "
          f"last {WINDOW} checked: best of 3 {min(times):.2f} s, worst {max(times):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
