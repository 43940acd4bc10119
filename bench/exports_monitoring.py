"""Monitor on an imported workspace (not a test): the same advertisers, as the contract file and as
platform exports (Meta insights + ad sets, Google SearchStream, the rest as contract), same incidents.

For each seed, ``core.sample_data.generate(seed=s)`` gives a history; incidents are injected into
the last 60 days (``core.monitoring.inject_incidents``); the monitor then checks those days

* on the contract frame, as ``bench/monitoring.py`` does, and
* on the workspace made by ``ingest_paths`` from ``core.connectors.synthetic.write_exports`` of the
  same frame: Meta and Google line items lose their past budgets (an API gives only today's), Google
  its audiences, Meta its ad types; ids are the platforms' own.

Precision and incident recall are scored the same way (``core.monitoring.evaluate``).

Run: ``.venv/bin/python bench/exports_monitoring.py [--seeds 1 2 3 4 5]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import sample_data  # noqa: E402
from core.connectors import ingest_paths, synthetic  # noqa: E402
from core.monitoring import Monitor, evaluate, inject_incidents  # noqa: E402
from core.warehouse import Warehouse  # noqa: E402

WINDOW = 60


def export_id(campaign_id: str, platform: str) -> str:
    if platform in ("facebook", "instagram"):
        return synthetic.numeric_id(campaign_id, 13, "2385")
    if platform == "google":
        return synthetic.numeric_id(campaign_id, 11, "2")
    return campaign_id


def imported(dirty: pd.DataFrame, tmp: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The workspace the exports make: its campaigns and its shared budgets."""
    files = synthetic.write_exports(dirty, tmp, page_size=500)
    wh = Warehouse.in_memory()
    ingest_paths(wh, list(files.values()))
    frame, shared = wh.campaigns(), wh.shared_budgets()
    wh.close()
    return frame, shared


def score(frame: pd.DataFrame, truth: pd.DataFrame, since, shared: dict[str, str] | None = None) -> dict:
    alerts = Monitor().fit(frame, shared).predict(since)
    return evaluate(alerts, truth, since=since)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--per-kind", type=int, default=4)
    args = ap.parse_args(argv)
    sums = {k: {"alerts": 0, "false": 0, "incidents": 0, "hits": 0.0} for k in ("contract", "exports")}
    kinds: dict[str, dict[str, list[float]]] = {"contract": {}, "exports": {}}
    for seed in args.seeds:
        frame = sample_data.generate(seed=seed, n_posts=0, n_comments=0, n_customers=0).campaigns.copy()
        frame["date"] = pd.to_datetime(frame["date"])
        since = frame["date"].max() - pd.Timedelta(days=WINDOW - 1)
        dirty, truth = inject_incidents(frame, start=since, per_kind=args.per_kind, random_state=1000 + seed)
        ids = dict(zip(dirty["campaign_id"], dirty["platform"]))
        truth_x = truth.assign(campaign_id=[export_id(c, ids[c]) for c in truth["campaign_id"]])
        with tempfile.TemporaryDirectory() as d:
            frame_x, shared = imported(dirty, Path(d))
            runs = {"contract": score(dirty, truth, since), "exports": score(frame_x, truth_x, since, shared)}
        for k, ev in runs.items():
            s = sums[k]
            s["alerts"] += ev["alerts"]
            s["false"] += ev["false_alarms"]
            s["incidents"] += ev["incidents"]
            s["hits"] += ev["recall"] * ev["incidents"]
            for kind, per in ev["per_kind"].items():
                got = kinds[k].setdefault(kind, [0.0, 0])
                got[0] += (0.0 if pd.isna(per["recall"]) else per["recall"]) * per["incidents"]  # NaN: none of it
                got[1] += per["incidents"]
        print(f"seed {seed}: " + "; ".join(f"{k} precision {ev['precision']:.3f} recall {ev['recall']:.3f} "
                                          f"({ev['alerts']} alerts)" for k, ev in runs.items()), flush=True)
    for k, s in sums.items():
        print(f"{k:9s} precision {1 - s['false'] / max(s['alerts'], 1):.3f} ({s['alerts']} alerts, {s['false']} false)"
              f"  recall {s['hits'] / max(s['incidents'], 1):.3f} ({int(round(s['hits']))}/{s['incidents']})")
        print("          recall by kind: " + ", ".join(f"{kind} {h / max(n, 1):.2f} ({int(round(h))}/{n})"
                                                      for kind, (h, n) in sorted(kinds[k].items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
