"""PyMC-Marketing's MMM and budget optimizer against ours, on the same held-out histories (not a test).

Runs in its own environment (never a dependency of the workbench)::

    python -m venv bench/.venv-pymc
    bench/.venv-pymc/bin/pip install pymc-marketing          # 0.19.2 here
    bench/.venv-pymc/bin/python bench/pymc_compare.py --seeds 201 202 203 204

For each held-out advertiser (bench/heldout.py) and goal (leads, sales) it fits
``pymc_marketing.mmm.MMM`` on weekly totals with geometric adstock and logistic saturation (the
library's standard MMM) and yearly Fourier seasonality, then lets ``optimize_budget`` split the
same budget the workbench plans (today's daily spend), each channel bounded by 0 and 3x its highest
weekly spend (the workbench's trust cap). Channels are platforms (``--channels platform``, how an
MMM is normally set up; each platform's money is then split over its line items in today's mix) or
line items (``--channels item``: 28 channels, far slower to sample). The allocation is scored on the
TRUE response, like ours: the share of the best possible gain it captures. The
workbench's own figures on the same seeds come from ``bench/recommend.py --generator heldout``.

Status on 2026-12-01 (pymc-marketing 0.19.2, pymc 5.28.5, 2 shared cores): the MMM fits (55-850 s per
advertiser, with divergences and r-hat above 1.01 at 200-300 draws), but ``optimize_budget`` ends after
one SLSQP iteration at its starting allocation (its equal split by default; today's mix when ``x0`` is
given, even with ``ftol=1e-12``), so the captured share it reports is that of its start, not of an
optimum. Fixing the optimizer's scaling is the next step before its figures mean anything.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import heldout  # noqa: E402

warnings.filterwarnings("ignore")


def weekly(campaigns: pd.DataFrame, keys: list[str], goal: str, channel: dict[str, str]
           ) -> tuple[pd.DataFrame, list[str]]:
    """Weekly spend per channel (one column each) and the goal's weekly total, whole weeks only."""
    from core.recommendations.items import _with_keys

    df = _with_keys(campaigns)
    df["week"] = df["date"].dt.to_period("W-SUN").dt.start_time
    df["channel"] = df["key"].map(channel)
    cols = sorted(set(channel.values()))
    out = df.pivot_table(index="week", columns="channel", values="spend", aggfunc="sum").reindex(columns=cols)
    out = out.fillna(0.0)
    out["y"] = df.groupby("week")[goal].sum()
    full = df.groupby("week")["date"].nunique() == 7
    out = out[full.reindex(out.index).fillna(False).to_numpy()].reset_index().rename(columns={"week": "date"})
    return out, cols


def run(seed: int, goal: str, *, channels: str, draws: int, tune: int, chains: int) -> dict[str, float]:
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    from core.recommendations import line_items

    campaigns, truth = heldout.make(seed)
    items = line_items(campaigns).set_index("key").loc[truth.keys]
    if channels == "platform":
        channel = {k: str(items.loc[k, "platform"]) for k in truth.keys}
    else:
        channel = {k: f"c{i:02d}" for i, k in enumerate(truth.keys)}
    data, cols = weekly(campaigns, truth.keys, goal, channel)
    t0 = time.perf_counter()
    mmm = MMM(date_column="date", channel_columns=cols, adstock=GeometricAdstock(l_max=3),
              saturation=LogisticSaturation(), yearly_seasonality=2)
    mmm.fit(data[["date", *cols]], data["y"], draws=draws, tune=tune, chains=chains, cores=1,
            random_seed=seed, progressbar=False, target_accept=0.9)
    fit_s = time.perf_counter() - t0
    # the same budget as the workbench: today's daily spend (the last 90 days), per week
    budget_day = float(items["current_daily_spend"].sum())
    bounds = {c: (0.0, float(3 * data[c].max())) for c in cols}
    # start from today's mix; the utility is in the model's scaled units, so SLSQP's default tolerance stops
    # it at the start (an equal split, checked): a tight ftol lets it move
    today = {c: 7 * float(sum(items.loc[k, "current_daily_spend"] for k in truth.keys if channel[k] == c))
             for c in cols}
    x0 = np.array([min(max(today[c], 1.0), bounds[c][1]) for c in cols])
    x0 *= budget_day * 7 / x0.sum()
    alloc, res = mmm.optimize_budget(budget=budget_day * 7, num_periods=4, budget_bounds=bounds, x0=x0,
                                     minimize_kwargs={"method": "SLSQP", "options": {"ftol": 1e-12, "maxiter": 500}})
    per_channel = {c: float(alloc.sel(channel=c)) / 7.0 for c in cols}
    total = sum(per_channel.values())
    per_channel = {c: v * budget_day / max(total, 1e-9) for c, v in per_channel.items()}
    # each channel's money over its line items in today's mix (the whole history's where today has none)
    share = items["recent_share"].to_numpy(float)
    x = np.zeros(len(truth.keys))
    for c, v in per_channel.items():
        sel = np.array([channel[k] == c for k in truth.keys])
        w = share[sel] if share[sel].sum() > 0 else items["spend"].to_numpy(float)[sel]
        x[sel] = v * w / max(w.sum(), 1e-12)
    x_base = share / share.sum() * budget_day
    got, base = float(truth.daily(x, goal).sum()), float(truth.daily(x_base, goal).sum())
    x_best = heldout.best_allocation(truth, goal, budget_day, start=[x, x_base])
    best = max(float(truth.daily(x_best, goal).sum()), got)
    return {"seed": seed, "goal": goal, "channels": channels, "budget": round(budget_day, 1), "baseline": base,
            "plan": got, "best": best, "captured": (got - base) / (best - base) if best > base else float("nan"),
            "fit_seconds": fit_s, "optimizer_iterations": int(getattr(res, "nit", -1))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[201, 202, 203, 204])
    ap.add_argument("--goals", nargs="+", default=["leads", "conversions"])
    ap.add_argument("--channels", choices=("platform", "item"), default="platform")
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--tune", type=int, default=300)
    ap.add_argument("--chains", type=int, default=2)
    args = ap.parse_args(argv)
    rows = []
    for s in args.seeds:
        for g in args.goals:
            rows.append(run(s, g, channels=args.channels, draws=args.draws, tune=args.tune, chains=args.chains))
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False, header=len(rows) == 1), flush=True)
    df = pd.DataFrame(rows)
    for g, part in df.groupby("goal"):
        print(f"PyMC-Marketing {g}: captured share of the best gain {part['captured'].mean():.2f} "
              f"(worst {part['captured'].min():.2f}); fit {part['fit_seconds'].mean():.0f} s per advertiser")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
