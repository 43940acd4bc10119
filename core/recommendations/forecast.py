"""What a plan will deliver and how it sits at the optimum: its forecast as a range, the marginal cost per
platform, and re-planning the rest of a period."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from core.errors import BadInputError
from core.objectives import Objective
from core.recommendations.model import ResponseModel
from core.recommendations.plan import Plan, recommend


FORECAST_MODEL_ERROR = 0.035    # relative error of a plan's forecast beyond the curves' own uncertainty (tuned: seeds 101-104)
#: per outcome: a sales or revenue forecast is the leads curve times each item's qualification rate, whose own error
#: the curve draws do not carry. Measured (month's 80% range, plans for leads and for sales, bench/heldout.py seeds
#: 101-108, 201-204, 301-304 and bench/heldout2.py seeds 1-4): sales held 65% / 75% at 0.035, 74% / 93% at 0.08;
#: leads held 94% / 88% at 0.035 already
MODEL_ERROR = {"leads": FORECAST_MODEL_ERROR, "conversions": 0.08, "revenue": 0.08}


def forecast_range(model: ResponseModel, plan: Plan, *, metric: str | None = None, level: float = 0.8,
                   days: float = 365 / 12, model_error: float | None = None,
                   random_state: int = 0) -> dict[str, Any]:
    """The plan's outcome over ``days`` (a month by default) as a range: its mean and a ``level`` interval.

    The interval carries the curves' posterior uncertainty (with the discount of spend past the
    observed highs and the audience pools' curves drawn too: :meth:`ResponseModel.plan_draws`), the
    day-to-day noise of outcomes (quasi-Poisson, with each line item's dispersion) summed over the
    period, and a relative
    ``model_error`` for what the curves cannot know (their shape where the plan moves money):
    on held-out advertisers (bench/heldout.py) the plans' forecasts missed by about that much.
    None takes the outcome's default (:data:`MODEL_ERROR`).
    """
    metric = metric or plan.objective.goal
    if model_error is None:
        model_error = MODEL_ERROR.get(metric, FORECAST_MODEL_ERROR)
    items = plan.items
    if items.empty or metric not in model.fits_:
        return {"metric": metric, "mean": 0.0, "lo": 0.0, "hi": 0.0, "level": level, "days": days}
    keys, x = items["key"].tolist(), items["daily_budget"].to_numpy(float)
    fit = model.fits_[metric]
    draws = model.plan_draws(x, metric, keys=keys).sum(0) * days               # (n_draws,)
    mean_daily = model.predict_plan(x, metric, keys=keys)
    noise_var = float((mean_daily * fit.dispersion[model._rows(keys)]).sum() * days)
    rng = np.random.default_rng(random_state)
    shape = np.exp(rng.normal(-0.5 * model_error ** 2, model_error, (len(draws), 20)))
    sim = draws[:, None] * shape + rng.standard_normal((len(draws), 20)) * np.sqrt(noise_var)
    a = (1 - level) / 2
    lo, hi = np.quantile(sim, [a, 1 - a])
    return {"metric": metric, "mean": float(mean_daily.sum() * days), "lo": float(max(lo, 0.0)), "hi": float(hi),
            "level": level, "days": days}


def marginal_returns(model: ResponseModel, plan: Plan, *, tolerance: float = 0.05) -> pd.DataFrame:
    """Marginal cost of one more unit of the goal per funded platform, and the constraint that holds it.

    At the optimum every platform that could take more money has about the same marginal cost
    (within ``tolerance``); a platform whose line items cannot take more (trust cap, audience cap,
    platform cap or floor, item count) says which constraint holds it.
    """
    items, cons, goal = plan.items, plan.constraints, plan.objective.goal
    if items.empty:
        return pd.DataFrame(columns=["platform", "daily_budget", "marginal_cost", "vs_median", "within", "constraint"])
    cand = plan.candidates.set_index("key")
    cap = pd.Series(np.inf, index=cand.index)
    if cons is not None and cons.item_cap is not None:
        cap = pd.Series(np.asarray(cons.item_cap, float), index=cand.index)
    step = (cons.budget / 400 if cons is not None else 1.0) * 1.5
    pool_used = items.assign(pool=[model.pool_of_[model._rows([k])[0]] for k in items["key"]]
                             ).groupby("pool")["daily_budget"].sum() if hasattr(model, "pool_of_") else pd.Series()
    min_b = cons.min_item_budget if cons is not None else 0.0
    rows = []
    for p, part in items.groupby("platform"):
        spend = float(part["daily_budget"].sum())
        reasons, grow, last = [], [], []
        for _, r in part.iterrows():
            why = None
            if r["daily_budget"] >= cap.get(r["key"], np.inf) - step:
                why = "line item at its trust cap"
            elif cons is not None and cons.groups is not None:
                pool = model.pool_of_[model._rows([r["key"]])[0]]
                if pool_used.get(pool, 0.0) >= cons.group_max.get(pool, np.inf) - step:
                    why = "audience at its cap"
            if why is None and r["daily_budget"] <= min_b + step:
                why = "smallest useful line-item budget"
            if why:
                reasons.append(why)
            else:
                grow.append(float(r["marginal_cost"]))
                last.append(float(r["marginal_cost_last"]))
        pmax = cons.platform_max.get(p, np.inf) if cons is not None else np.inf
        pmin = cons.platform_min.get(p, 0.0) if cons is not None else 0.0
        constraint = None
        if spend >= pmax - step:
            constraint = "platform cap"
        elif pmin > 0 and spend <= pmin + step:
            constraint = "platform minimum"
        elif not grow:
            constraint = reasons[0] if reasons else None
        rows.append({"platform": p, "daily_budget": round(spend, 2),
                     "marginal_cost": round(min(grow), 2) if grow else round(float(part["marginal_cost"].min()), 2),
                     "marginal_cost_last": round(min(last), 2) if last else np.nan, "constraint": constraint})
    out = pd.DataFrame(rows)
    free = out["constraint"].isna()
    # a platform at a kink of its curves (its line items' observed high) has a cheaper last unit than next one
    kink = free & (out["marginal_cost_last"] < out["marginal_cost"] * (1 - tolerance))
    smooth = free & ~kink
    pool = out.loc[smooth if smooth.any() else free if free.any() else out.index, "marginal_cost"]
    level = float(np.median(pool))
    out["vs_median"] = (out["marginal_cost"] / level - 1.0).round(4) if level > 0 else np.nan
    # the common marginal cost: the next unit anywhere costs at least it, the last unit bought at most it
    brackets = (out["marginal_cost_last"] <= level * (1 + tolerance)) & (out["marginal_cost"] >= level * (1 - tolerance))
    out["within"] = (out["vs_median"].abs() <= tolerance) | (kink & brackets)
    out.loc[kink & brackets & ~(out["vs_median"].abs() <= tolerance), "constraint"] = \
        "at its line items' observed high (beyond it the curves are discounted)"
    out.attrs["goal"] = goal
    return out[["platform", "daily_budget", "marginal_cost", "marginal_cost_last", "vs_median", "within", "constraint"]]


def replan(model: ResponseModel, obj: Objective, *, spent: float, days_left: float, **kwargs: Any) -> Plan:
    """Re-plan the rest of a period under the same constraints: what is left of the budget over the days left.

    ``obj``'s budget is the whole period's (``obj.period``); ``spent`` is what the period has spent so far.
    """
    if days_left <= 0:
        raise BadInputError("The period is over: there are no days left to plan.", "Nothing left to plan")
    total = float(obj.budget or 0.0)
    left = max(total - float(spent), 0.0)
    if left <= 0:
        raise BadInputError(f"The period's budget (${total:,.0f}) is spent.", "Budget spent")
    return recommend(model, replace(obj, budget=left / days_left, period="day", questions=[]), **kwargs)
