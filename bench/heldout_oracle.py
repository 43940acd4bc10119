"""Oracle check on the held-out advertisers (not a test): how much captured share each confounder costs.

The held-out generator (bench/heldout.py) makes budgets follow demand and gives every line item
a carry-over (adstock). Either could make the fitted curves wrong. This check fits the model on
histories with one confounder removed using the truth, then plans as usual:

* ``season``: every outcome divided by the day's true demand index. The model then faces no
  season at all, so it cannot read the season as an effect of spend.
* ``adstock``: the spend column replaced by the true adstocked spend that the outcome followed.

If an oracle does not raise the captured share, no estimate of that confounder can either. So
effort should go where the oracle moves the share.

Run: ``.venv/bin/python bench/heldout_oracle.py --seeds 101 102 103 104 105 106 107 108 --oracle none season adstock``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout  # noqa: E402
import recommend as bench  # noqa: E402

from core.recommendations import ResponseModel  # noqa: E402

ORACLES = ("none", "season", "adstock", "season+adstock")


def history(seed: int, oracle: str) -> tuple[pd.DataFrame, heldout.Truth]:
    """The advertiser's campaign-days with the named confounders taken out using the truth."""
    df, truth = heldout.make(seed)
    df = df.copy()
    day = pd.Index(truth.dates).get_indexer(pd.to_datetime(df["date"]))
    item = df["campaign_id"].str.rsplit("-", n=1).str[1].astype(int).to_numpy()
    if "season" in oracle:
        for m in ("leads", "conversions", "revenue"):
            df[m] = df[m] / truth.season[day]
    if "adstock" in oracle:
        df["spend"] = truth.adstocked[day, item]
    return df, truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104, 105, 106, 107, 108])
    ap.add_argument("--oracle", nargs="+", choices=ORACLES, default=list(ORACLES))
    args = ap.parse_args(argv)
    for oracle in args.oracle:
        rows = []
        for seed in args.seeds:
            df, truth = history(seed, oracle)
            bench._FITTED["heldout", seed] = (ResponseModel(random_state=0).fit(df), truth)
            for goal in ("leads", "conversions"):
                r = bench.run_heldout(seed, goal)
                rows.append({k: r[k] for k in ("seed", "goal", "captured", "forecast_error")})
        d = pd.DataFrame(rows)
        summary = d.groupby("goal").agg(captured=("captured", "mean"), worst=("captured", "min"),
                                        forecast_lo=("forecast_error", "min"), forecast_hi=("forecast_error", "max"))
        print(f"oracle {oracle}: seeds {args.seeds}")
        print(summary.round(3).to_string())
        bench._FITTED.clear()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
