"""Explicit flags (the CLI's --budget/--platforms/--goal, the page's form) over a parsed brief."""

from __future__ import annotations

from typing import Any, Iterable

from core.errors import BadInputError
from core.objectives.objective import Objective
from core.objectives.parse import parse_brief
from core.objectives.vocabulary import GOALS, PERIOD_DAYS, PERIODS, PLATFORM_ALIASES



def resolve_objective(text: str, *, budget: float | None = None, period: str | None = None,
                      platforms: Iterable[str] | str | None = None, goal: str | None = None,
                      known_platforms: Iterable[str] = (), known_interests: Iterable[str] = (),
                      use_spacy: bool = True) -> Objective:
    """Parse a brief, let explicit flags win, and raise when a question remains.

    Raises
    ------
    BadInputError
        With the question to put to the client (no budget, contradictory platforms...).
    """
    obj = parse_brief(text, known_platforms=known_platforms, known_interests=known_interests, use_spacy=use_spacy)
    changes: dict[str, Any] = {}
    if budget is not None:
        if budget <= 0:
            raise BadInputError("--budget must be above zero.", "Bad budget")
        changes["budget"] = float(budget)
        if period is None and obj.period is None:
            obj.period = "month"
            obj.source["period"] = "default"
    if period is not None:
        if period not in PERIOD_DAYS:
            raise BadInputError(f"--period must be one of {', '.join(PERIODS)}.", "Bad period")
        changes["period"] = period
    if platforms is not None:
        names = [p.strip().lower() for p in (platforms.split(",") if isinstance(platforms, str) else platforms)]
        names = sorted({n for p in names if p for n in PLATFORM_ALIASES.get(p, (p,))})
        if not names:
            raise BadInputError("--platforms names no platform.", "Bad platforms")
        changes["platforms"] = names
        changes["excluded_platforms"] = [p for p in obj.excluded_platforms if p not in names]
        # minimums on platforms outside the explicit list no longer apply
        changes["platform_min"] = {p: v for p, v in obj.platform_min.items() if p in names}
        changes["platform_min_share"] = {p: v for p, v in obj.platform_min_share.items() if p in names}
    if goal is not None:
        if goal not in GOALS:
            raise BadInputError(f"--goal must be one of {', '.join(GOALS)}.", "Bad goal")
        changes["goal"] = goal
    if changes:
        obj = obj.edited(**changes)
        for k in ("excluded_platforms", "platform_min", "platform_min_share"):
            if k in changes and obj.source.get(k) == "flag" and not getattr(obj, k):
                obj.source.pop(k, None)
    require_complete(obj)
    return obj


def require_complete(obj: Objective) -> Objective:
    """Raise :class:`BadInputError` carrying the first question when the objective is not plannable."""
    if obj.budget is None and not obj.questions:
        obj.questions.append("What budget should the plan spend, and per day, week, month or quarter?")
    if obj.questions:
        more = f" (and {len(obj.questions) - 1} more question(s))" if len(obj.questions) > 1 else ""
        raise BadInputError(obj.questions[0] + more, "A question before planning")
    return obj

