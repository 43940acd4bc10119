"""`python -m core recommend`: the plan for a brief (shared/contract/CLI.md)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from core.errors import NotEnoughDataError
from core.objectives import resolve_objective
from core.recommendations.model import ResponseModel
from core.recommendations.plan import recommend

def run_recommend(args: argparse.Namespace, ctx: Any) -> dict[str, Any]:
    """``python -m core recommend``: the plan for a brief (shared/contract/CLI.md)."""
    t0 = time.perf_counter()
    wh = ctx.warehouse()
    campaigns = wh.campaigns()
    if campaigns.empty:
        raise NotEnoughDataError("There are no campaigns in the data: give --data FILE with campaign records.")
    interests = sorted({i for t in campaigns["interests"] for i in t})
    obj = resolve_objective(args.objective, budget=args.budget, period=args.period, platforms=args.platforms,
                            goal=args.goal, known_platforms=sorted(campaigns["platform"].unique()),
                            known_interests=interests)
    model = ResponseModel(country=ctx.settings.country, random_state=0).fit(campaigns)
    plan = recommend(model, obj)
    payload = plan.to_payload()
    payload["model"] = {"name": "pooled saturating response curves (quasi-Poisson, empirical Bayes)",
                        "line_items": len(model.keys_), "rows": int(model.n_rows_),
                        "fit_seconds": round(time.perf_counter() - t0, 2)}
    return payload
