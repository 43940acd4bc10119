"""Sweep of the extrapolation discount and the trust caps on held-out advertisers (not a test).

The model is fitted once per advertiser (bench/heldout.py). For each setting
``extrapolation,trust,pool_trust`` the plans for a leads goal and a sales goal are remade, then
scored on the truth. Each setting prints the captured share of the best gain (mean and worst)
and the range of the plan's forecast error. The discount only changes how the curves are
read past each line item's observed high, so refitting is not needed.

Run: ``.venv/bin/python bench/extrapolation_sweep.py --seeds 101 102 103 104 105 106 107 108 --settings 0.5,3,2.5 0.7,3,2.5``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout  # noqa: E402

from core.objectives import Objective  # noqa: E402
from core.recommendations import ResponseModel, recommend  # noqa: E402


def set_discount(model: ResponseModel, value: float) -> None:
    """The model's extrapolation discount, and its audience-pool model's with it."""
    model.extrapolation = value
    if getattr(model, "pool_model_", None) is not None:
        model.pool_model_.extrapolation = value


def score(model: ResponseModel, truth: heldout.Truth, goal: str, trust: float, pool_trust: float,
          best: dict) -> tuple[float, float]:
    """(captured share of the best gain, plan forecast / truth - 1) of one plan."""
    items = model.items_.set_index("key").loc[truth.keys].reset_index()
    budget = float(items["current_daily_spend"].sum())
    plan = recommend(model, Objective(goal=goal, budget=budget, period="day"), trust=trust, pool_trust=pool_trust)
    pos = {k: i for i, k in enumerate(truth.keys)}
    x = np.zeros(len(truth.keys))
    for k, v in zip(plan.items["key"], plan.items["daily_budget"]):
        x[pos[k]] += v
    share = items["recent_share"].to_numpy(float)
    xb = share / share.sum() * budget
    got, base = float(truth.daily(x, goal).sum()), float(truth.daily(xb, goal).sum())
    if goal not in best:
        best[goal] = float(truth.daily(heldout.best_allocation(truth, goal, budget, start=[xb]), goal).sum())
    top = max(best[goal], got)
    return (got - base) / (top - base), plan.expected[goal] / got - 1.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104, 105, 106, 107, 108])
    ap.add_argument("--settings", nargs="+", default=["0.5,3,2.5", "0.7,3,2.5", "1.0,3,2.5"],
                    help="extrapolation,trust,pool_trust")
    args = ap.parse_args(argv)
    settings = [tuple(float(v) for v in s.split(",")) for s in args.settings]
    fitted = {}
    for seed in args.seeds:
        campaigns, truth = heldout.make(seed)
        fitted[seed] = (ResponseModel(random_state=0).fit(campaigns), truth, {})
    for discount, trust, pool_trust in settings:
        rows = []
        for seed, (model, truth, best) in fitted.items():
            set_discount(model, discount)
            for goal in ("leads", "conversions"):
                captured, error = score(model, truth, goal, trust, pool_trust, best)
                rows.append({"seed": seed, "goal": goal, "captured": captured, "forecast_error": error})
        d = pd.DataFrame(rows)
        summary = d.groupby("goal").agg(captured=("captured", "mean"), worst=("captured", "min"),
                                        forecast_lo=("forecast_error", "min"), forecast_hi=("forecast_error", "max"))
        print(f"extrapolation {discount}, trust {trust}, pool_trust {pool_trust}; seeds {args.seeds}")
        print(summary.round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
