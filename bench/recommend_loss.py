"""Where a plan loses the best gain on held-out advertisers (not a test): caps, extrapolation, curves.

For each seed (bench/heldout.py) and goal the plan is scored on the truth, with four references:

* ``best``: the best allocation on the true curves (no caps);
* ``best_caps``: the same under the plan's own caps (trust, audience): what the caps alone leave out;
* ``best_seen``: the same with no line item past its observed high (95th percentile of its daily
  spend) and no audience pool past its own: the gain reachable without extrapolating at all;
* the plan's forecast against the truth, split into the dollars inside and past each item's high.

Fitted models are cached under ``--cache`` (a pickle per seed and ``--tag``), so plan-side changes
can be compared without refitting; change the tag after changing the fit.

Run: ``.venv/bin/python bench/recommend_loss.py --seeds 101 102 103 104``
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import importlib  # noqa: E402

import heldout  # noqa: E402

from core.objectives import Objective  # noqa: E402
from core.recommendations import ResponseModel, recommend  # noqa: E402


def fitted(seed: int, cache: Path | None, tag: str, generator: str = "heldout", **params
           ) -> tuple[ResponseModel, heldout.Truth, pd.DataFrame]:
    campaigns, truth = importlib.import_module(generator).make(seed)
    name = f"{tag}_{seed}" if generator == "heldout" else f"{tag}_{generator}_{seed}"
    path = cache / f"{name}.pkl" if cache else None
    if path is not None and path.exists():
        return pickle.loads(path.read_bytes()), truth, campaigns
    model = ResponseModel(random_state=0, **params).fit(campaigns)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(model))
    return model, truth, campaigns


def vector(truth: heldout.Truth, keys, values) -> np.ndarray:
    pos = {k: i for i, k in enumerate(truth.keys)}
    x = np.zeros(len(truth.keys))
    for k, v in zip(keys, values):
        x[pos[k]] += v
    return x


def diagnose(seed: int, model: ResponseModel, truth: heldout.Truth, goal: str, **plan_kwargs) -> dict:
    items = model.items_.set_index("key").loc[truth.keys].reset_index()
    budget = float(items["current_daily_spend"].sum())
    plan = recommend(model, Objective(goal=goal, budget=budget, period="day"), **plan_kwargs)
    x = vector(truth, plan.items["key"], plan.items["daily_budget"])
    share = items["recent_share"].to_numpy(float)
    xb = share / share.sum() * budget
    t = lambda v: float(truth.daily(v, goal).sum())
    got, base = t(x), t(xb)
    best = max(t(heldout.best_allocation(truth, goal, budget, start=[x, xb])), got)
    cons, ck = plan.constraints, plan.candidates["key"].tolist()
    caps = vector(truth, ck, np.asarray(cons.item_cap, float))
    groups = np.array([cons.groups[ck.index(k)] for k in truth.keys]) if cons.groups is not None else None
    best_caps = t(heldout.best_allocation(truth, goal, budget, start=[], item_cap=caps, groups=groups,
                                          group_max=cons.group_max))
    reach = model.reach_[model._rows(truth.keys)]
    pools = model.pool_of_[model._rows(truth.keys)]
    seen = heldout.best_allocation(truth, goal, budget, start=[], item_cap=reach * 1.0001, groups=pools,
                                   group_max={g: v * 1.0001 for g, v in model.pool_max_.items()})
    best_seen = t(seen)
    gap = lambda v: (v - base) / (best - base) if best > base else float("nan")
    # forecast per item at the plan against the truth, inside / past the observed high
    keys = truth.keys
    fc = model.predict_plan(x, "leads", keys=keys)
    if goal == "conversions":
        from core.recommendations.quality import qualification_rates
        fc = fc * qualification_rates(model, keys)
    tr = truth.daily(x, goal)
    past = x > reach * 1.0001
    return {"seed": seed, "goal": goal, "captured": gap(got), "caps": gap(best_caps), "seen": gap(best_seen),
            "forecast_error": plan.expected[goal] / got - 1.0,
            "past_dollars": float(x[past].sum() / max(x.sum(), 1e-9)),
            "fc_in": float(fc[~past].sum() / max(tr[~past].sum(), 1e-9) - 1), "fc_past": float(
                fc[past].sum() / max(tr[past].sum(), 1e-9) - 1) if past.any() else float("nan"),
            "plan_total": got, "best": best, "base": base}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/recommend_loss"))
    ap.add_argument("--tag", default="default")
    ap.add_argument("--generator", default="heldout", choices=("heldout", "heldout2"))
    ap.add_argument("--families", nargs="+", default=None, help="curve families of the fit (tag the cache)")
    ap.add_argument("--param", nargs="+", default=[], help="ResponseModel parameters as name=value (tag the cache)")
    ap.add_argument("--trust", type=float, default=None, help="default: recommend()'s")
    ap.add_argument("--pool-trust", type=float, default=None, help="default: recommend()'s")
    ap.add_argument("--extrapolation", type=float, default=None, help="read the fitted curves at this discount")
    ap.add_argument("--pool-blend", type=float, default=None, help="read the audience pools at this blend")
    args = ap.parse_args(argv)
    rows = []
    for seed in args.seeds:
        params = {"families": tuple(args.families)} if args.families else {}
        for p in args.param:
            name, value = p.split("=")
            params[name] = {"True": True, "False": False}.get(value, value if not value[0].isdigit() else float(value))
        model, truth, _ = fitted(seed, args.cache, args.tag, args.generator, **params)
        if args.extrapolation is not None:
            model.extrapolation = args.extrapolation
            if model.pool_model_ is not None:
                model.pool_model_.extrapolation = args.extrapolation
        if args.pool_blend is not None:
            model.pool_blend = args.pool_blend
        for goal in ("leads", "conversions"):
            caps = {k: v for k, v in (("trust", args.trust), ("pool_trust", args.pool_trust)) if v is not None}
            rows.append(diagnose(seed, model, truth, goal, **caps))
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False, header=len(rows) == 1), flush=True)
    df = pd.DataFrame(rows)
    summary = df.groupby("goal").agg(captured=("captured", "mean"), worst=("captured", "min"), caps=("caps", "mean"),
                                     seen=("seen", "mean"), forecast_lo=("forecast_error", "min"),
                                     forecast_hi=("forecast_error", "max"), past_dollars=("past_dollars", "mean"),
                                     fc_in=("fc_in", "mean"), fc_past=("fc_past", "mean"))
    print(summary.round(3).to_string())
    print(f"within 10%: {(df['forecast_error'].abs() <= 0.10).sum()} of {len(df)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
