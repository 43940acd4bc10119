"""ROI benchmark (not a test): out-of-time accuracy vs the per-platform baseline on sample advertisers.

For the shipped sample workspace (``core.sample_data`` seed 0) and ``--seeds`` more generated
advertisers, builds campaign-months, runs the expanding-window validation of
``core.roi.cross_validate`` (4 blocks of later months), and prints R2 of ROI (spend-weighted),
MAPE of revenue and interval coverage for the linear model, the gradient-boosted model and the
per-platform mean baseline, then how the what-if's expected revenue compares with the
recommendation engine's response curves at each line item's current spend.

Run: ``.venv/bin/python bench/roi.py [--seeds 2]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from core import roi as R  # noqa: E402
from core import sample_data  # noqa: E402
from core.warehouse import Warehouse  # noqa: E402


def _campaigns(seed: int) -> pd.DataFrame:
    wh = Warehouse.in_memory()
    if seed == 0:
        wh.ingest(sample_data.SAMPLE_FILE)
    else:
        ws = sample_data.generate(seed=seed, n_posts=0, n_comments=0, n_customers=0)
        wh.ingest_records("campaigns", ws.records()["campaigns"])
    out = wh.campaigns()
    wh.close()
    return out


def _agreement(campaigns: pd.DataFrame, months: pd.DataFrame) -> dict[str, float]:
    gbm = R.ROIModel(kind="gbm").fit(months)
    agree = R.curve_agreement(gbm, campaigns)
    ratios, ours, theirs = agree["ratio"], agree["roi_revenue"].sum(), agree["curve_revenue"].sum()
    r = np.abs(np.array(ratios) - 1)
    return {"items": len(ratios), "median |ratio-1|": float(np.median(r)), "share within 35%": float((r < 0.35).mean()),
            "total ratio": ours / theirs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=2, help="generated advertisers besides the shipped sample")
    args = ap.parse_args()
    pd.set_option("display.width", 160)
    rows, agree = [], []
    for seed in range(args.seeds + 1):
        campaigns = _campaigns(seed)
        months = R.campaign_months(campaigns)
        t0 = time.perf_counter()
        cv = R.cross_validate(months)
        secs = time.perf_counter() - t0
        s = cv.scores.assign(seed=seed, months=len(months), cv_s=secs)
        rows.append(s)
        agree.append({"seed": seed, **_agreement(campaigns, months)})
    table = pd.concat(rows, ignore_index=True)[["seed", "months", "model", "r2", "mape", "coverage", "cv_s"]]
    print("== expanding-window CV on later months (R2 of ROI spend-weighted; MAPE of revenue; 80% intervals) ==")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    wide = table.pivot(index="seed", columns="model", values="r2")
    print("\nbest model beats the platform mean on R2 for every seed:",
          bool((wide[list(R.KINDS)].max(axis=1) > wide["platform mean"]).all()))
    print("\n== what-if revenue vs the response curves (GBM, each line item at its current spend) ==")
    print(pd.DataFrame(agree).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
