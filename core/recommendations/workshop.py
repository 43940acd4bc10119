"""The workshop around a plan: the form a brief fills, budget choices, a default budget, what constraints cost.

Plain functions the Recommendations page calls (and helper code may reuse): the page only
renders them.

* :func:`form_values` / :func:`limits_frame` -- the editable form a parsed brief fills;
  :func:`objective_from_form` -- the objective the form shows, edits marked as explicit.
* :func:`budget_choices` -- where the budgets disagree (two budgets in the brief, minimums
  above the budget), the options to pick from instead of a refusal.
* :func:`recent_monthly_spend` / :func:`offer_budget` -- a brief without a budget is offered
  the last 90 days' spend.
* :func:`constraint_costs` -- how much of the goal each of the client's constraints costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from core.errors import WorkbenchError
from core.objectives import PERIOD_DAYS, Objective
from core.objectives.describe import place_name
from core.objectives.numbers import _fmt_money
from core.recommendations.model import ResponseModel
from core.recommendations.plan import Plan, baseline_mix, baseline_summary, recommend

ANY_AGE = (13, 100)


# ------------------------------------------------------------------ the form


def form_values(obj: Objective, known_platforms: Sequence[str]) -> dict[str, Any]:
    """The form's field values for a parsed objective (what the page's widgets show)."""
    known = list(known_platforms)
    return {"goal": obj.goal, "budget": float(obj.budget or 0.0), "period": obj.period or "month",
            "max_items": int(obj.max_line_items or 0),
            "platforms": [p for p in obj.platforms if p in known],
            "excluded": [p for p in obj.excluded_platforms if p in known],
            "gender": obj.gender or "any",
            "ages": (obj.age_min or ANY_AGE[0], obj.age_max or ANY_AGE[1]),
            "locations": list(obj.locations), "interests": list(obj.interests)}


def limits_frame(obj: Objective, known_platforms: Sequence[str]) -> pd.DataFrame:
    """Per-platform limits as an editable table: max share of the budget (%) and minimum $ a day."""
    known = list(known_platforms)
    return pd.DataFrame({"platform": known,
                         "max share %": [obj.platform_max_share.get(p, 1.0) * 100 for p in known],
                         "min $/day": [round(obj.platform_min.get(p, 0.0), 2) for p in known]})


def objective_from_form(parsed: Objective, values: dict[str, Any], limits: pd.DataFrame | None = None) -> Objective:
    """The objective the form shows: the parse with every changed field set explicitly (source ``flag``)."""
    ages = tuple(values.get("ages") or ANY_AGE)
    changes: dict[str, Any] = dict(
        goal=values["goal"], budget=values.get("budget") or None, period=values["period"],
        max_line_items=int(values.get("max_items") or 0) or None,
        platforms=sorted(values.get("platforms") or []), excluded_platforms=sorted(values.get("excluded") or []),
        gender=None if values.get("gender") in (None, "any") else values["gender"],
        locations=list(values.get("locations") or []), interests=list(values.get("interests") or []),
        age_min=None if ages == ANY_AGE else int(ages[0]), age_max=None if ages == ANY_AGE else int(ages[1]))
    if limits is not None and len(limits):
        lim = limits.rename(columns={"max share %": "max_share", "min $/day": "min_daily"})
        changes["platform_max_share"] = {r.platform: float(r.max_share) / 100 for r in lim.itertuples()
                                         if pd.notna(r.max_share) and r.max_share < 100}
        changes["platform_min"] = {r.platform: float(r.min_daily) for r in lim.itertuples()
                                   if pd.notna(r.min_daily) and r.min_daily > 0}
    obj = parsed.edited(**{k: v for k, v in changes.items() if getattr(parsed, k) != v})
    # the form's budget field answers "which of the two budgets?" (the page offers them as a choice)
    obj.budget_options = []
    obj.questions = [q for q in obj.questions if "two different budgets" not in q]
    return obj


# ------------------------------------------------------------------ budgets


@dataclass
class Choice:
    """A disagreement the user settles by picking one option (never a refusal)."""

    question: str
    labels: list[str]
    changes: list[dict[str, Any]] = field(default_factory=list)     # the objective's changes for each option


def budget_choices(obj: Objective) -> list[Choice]:
    """Where the budgets disagree, say which, and the options; the first option is the default.

    Two budgets stated in the brief; per-platform minimums that add up to more than the budget.
    """
    out: list[Choice] = []
    cur = obj.currency
    if len(obj.budget_options) > 1:
        labels = [f"{_fmt_money(o['budget'], cur)} a {o['period']}" for o in obj.budget_options]
        out.append(Choice("The brief states two budgets (" + " and ".join(labels) + "): which should the plan spend?",
                          labels, [{"budget": float(o["budget"]), "period": o["period"]} for o in obj.budget_options]))
    daily = obj.daily_budget
    floor = sum(obj.platform_min.values()) + sum(obj.platform_min_share.values()) * (daily or 0.0)
    if daily and floor > daily + 1e-6 and sum(obj.platform_min_share.values()) <= 1.0:
        per = obj.period or "month"
        need = float(np.ceil(floor * PERIOD_DAYS[per]))
        scale = daily / floor
        shown = ", ".join(f"{p} {_fmt_money(v, cur)}" for p, v in sorted(obj.platform_min.items()))
        out.append(Choice(
            f"The minimums per platform ({shown} a day) add up to {_fmt_money(floor, cur)} a day, more than the "
            f"budget of {_fmt_money(daily, cur)} a day: raise the budget or lower the minimums?",
            [f"Raise the budget to {_fmt_money(need, cur)} a {per}", "Lower the minimums to fit the budget"],
            [{"budget": need, "period": per},
             {"platform_min": {p: np.floor(v * scale * 100) / 100 for p, v in obj.platform_min.items()},
              "platform_min_share": {p: np.floor(v * scale * 1e4) / 1e4 for p, v in obj.platform_min_share.items()}}]))
    return out


def apply_choices(obj: Objective, choices: Sequence[Choice], picked: Sequence[int]) -> Objective:
    """The objective with each choice's picked option applied (its question answered)."""
    for choice, i in zip(choices, picked):
        obj = obj.edited(**choice.changes[int(i)])
        if "budget" in choice.changes[int(i)]:
            obj.budget_options = []
    return obj


def recent_monthly_spend(campaigns: pd.DataFrame, days: int = 90) -> float:
    """Average spend a month over the last ``days`` days of the history (0 when there is none)."""
    if campaigns is None or campaigns.empty:
        return 0.0
    d = pd.to_datetime(campaigns["date"])
    recent = campaigns.loc[d > d.max() - pd.Timedelta(days=days), "spend"]
    return float(recent.sum()) / days * PERIOD_DAYS["month"]


def offer_budget(obj: Objective, monthly: float) -> Objective:
    """A brief without a budget gets the last 90 days' spend a month, marked as coming from the history."""
    if obj.budget is not None or monthly <= 0:
        return obj
    out = replace(obj, budget=round(monthly, -1) or round(monthly, 2), period="month")
    out.source = {**obj.source, "budget": "history", "period": "history"}
    out.questions = [q for q in obj.questions if not q.startswith("What budget")]
    out.notes = obj.notes + [f"The brief names no budget: offered your last 90 days' spend, "
                             f"{_fmt_money(out.budget, obj.currency)} a month. Change it in the form."]
    return out


# ------------------------------------------------------------------ what the constraints cost


def _relaxations(obj: Objective) -> list[tuple[str, dict[str, Any]]]:
    """(what the client asked, the objective's changes that lift it) for each constraint present."""
    out = []
    if obj.platforms:
        out.append((f"only {', '.join(obj.platforms)}", {"platforms": []}))
    if obj.excluded_platforms:
        out.append((f"no {', '.join(obj.excluded_platforms)}", {"excluded_platforms": []}))
    if obj.gender in ("female", "male") or obj.age_min is not None or obj.locations or obj.interests:
        who = [obj.gender or ""] + ([f"{obj.age_min}-{obj.age_max}"] if obj.age_min is not None else [])
        who += [place_name(c) for c in obj.locations] + list(obj.interests)
        out.append((f"audience {' '.join(w for w in who if w)}",
                    {"gender": None, "age_min": None, "age_max": None, "locations": [], "interests": []}))
    if obj.platform_min or obj.platform_min_share:
        out.append(("minimums per platform", {"platform_min": {}, "platform_min_share": {}}))
    if obj.platform_max or obj.platform_max_share:
        out.append(("caps per platform", {"platform_max": {}, "platform_max_share": {}}))
    if obj.max_line_items:
        out.append((f"at most {obj.max_line_items} line items", {"max_line_items": None}))
    return out


def todays_mix(model: ResponseModel, budget: float) -> dict[str, Any]:
    """Today's whole mix (every platform, the last 90 days' shares) at ``budget`` a day."""
    keys, xb, note = baseline_mix(model, model.items_["platform"].unique(), budget)
    return baseline_summary(model, keys, xb, note)


def constraint_costs(model: ResponseModel, obj: Objective, plan: Plan | None = None) -> pd.DataFrame:
    """How much of the goal each constraint costs: the plan re-made without it, one at a time.

    Returns one row per constraint: ``constraint``, the goal per day ``with`` it (the plan) and
    ``without`` it, ``cost`` (without - with, per day) and ``cost_share`` (of the plan's figure);
    a final row ``all constraints`` lifts them all, and ``todays_mix`` is today's whole mix.
    """
    plan = plan or recommend(model, obj)
    goal = obj.goal
    have = float(plan.expected[goal])
    rows = []
    relax = _relaxations(obj)
    for label, changes in relax + ([("all constraints", {k: v for _, c in relax for k, v in c.items()})]
                                   if len(relax) > 1 else []):
        try:
            other = recommend(model, replace(obj, **changes, questions=[]))
        except WorkbenchError:
            continue
        without = float(other.expected[goal])
        rows.append({"constraint": label, "goal": goal, "with": round(have, 2), "without": round(without, 2),
                     "cost": round(without - have, 2),
                     "cost_share": round((without - have) / have, 4) if have > 0 else None})
    out = pd.DataFrame(rows, columns=["constraint", "goal", "with", "without", "cost", "cost_share"])
    today = todays_mix(model, float(obj.daily_budget))
    out.attrs["todays_mix"] = float(today.get(goal, 0.0))
    out.attrs["plan"] = have
    return out


def constraint_verdict(costs: pd.DataFrame, unit: str) -> str | None:
    """One sentence when the constraints make the plan worse than today's whole mix, naming each cost."""
    have, today = costs.attrs.get("plan"), costs.attrs.get("todays_mix")
    if have is None or today is None or have >= today:
        return None
    parts = [f"{r.constraint} costs {r.cost:,.1f} {unit}/day ({r.cost_share:.0%})"
             for r in costs.itertuples() if r.constraint != "all constraints" and r.cost > 0.005]
    text = (f"With the client's constraints the plan expects {have:,.1f} {unit}/day, fewer than today's whole mix at "
            f"the same budget ({today:,.1f}).")
    return text + (" " + "; ".join(parts) + "." if parts else "")
