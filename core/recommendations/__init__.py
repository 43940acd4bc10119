"""What works, and a budgeted plan: response curves per line item, pooled, then allocated.

Maths first (pure functions), the estimator on top, then the optimiser and the plan:

* :func:`saturation` -- expected daily outcome of a line item at a daily spend,
  ``r * b * (1 - exp(-spend / b))``: ``r`` is the outcome per dollar of the first dollars,
  ``b`` the spend at which returns have fallen to ``1/e`` of that.
* :class:`ResponseModel` -- for each line-item kind (platform, ad type, bidding strategy,
  audience) and each outcome (leads, conversions, revenue) a posterior over ``(r, b)`` on a
  grid, from a quasi-Poisson likelihood of daily outcomes given daily spend, adjusted by
  multiplicative weekday and month factors estimated on the total. Kinds borrow strength
  from kinds that share a platform, ad type, bidding strategy or audience: an additive
  model of ``log r`` and ``log b`` on those values, fitted by precision-weighted ridge
  regression, is each kind's prior (empirical Bayes), with the between-kind spread
  estimated from the data. The posterior mean curve is a mixture of saturating curves
  (exponential, Hill, and an S-shaped Hill whose first dollars bring little).
* :func:`allocate` -- greedy marginal-return allocation in small increments (optimal for
  concave curves), then a local search moving budget between pairs (for S-shaped curves and
  audiences shared by several line items), under the budget, platform shares/amounts, a
  per-item trust cap, a minimum useful daily budget and a maximum number of line items.
* :func:`recommend` -- the plan, the last-90-days baseline at the same budget, and the
  uplift with an interval from posterior draws. :func:`backtest` fits on all but the
  last months and scores the predictions of the held-out weeks.

Where things are: ``curves`` (pure maths), ``items`` (line-item kinds and the daily panel),
``model`` (:class:`ResponseModel`), ``allocate`` (the optimiser), ``plan`` (:func:`recommend`
and its steps, the budget sweep, curve frames), ``quality`` (sales per lead), ``forecast`` (the range,
marginal cost per platform, re-planning), ``workshop`` (the page's form, budget choices, what constraints
cost), ``scenarios`` (saved plans), ``backtest``, ``cli`` (``python -m core recommend``).
"""

from __future__ import annotations

from core.recommendations.allocate import Constraints, allocate
from core.recommendations.backtest import backtest
from core.recommendations.cli import run_recommend
from core.recommendations.curves import (FAMILIES, basis, marginal, mixture_curve, public_holidays, saturation,
                                         season_factors)
from core.recommendations.items import KIND_COLUMNS, METRICS, daily_panel, kind_key, line_items
from core.recommendations.model import ResponseModel
from core.recommendations.forecast import forecast_range, marginal_returns, replan
from core.recommendations.plan import (Plan, baseline_mix, baseline_summary, budget_sweep, candidates_for,
                                       curve_frame, goal_gain, plan_constraints, plan_totals, planned_items,
                                       recommend, score_items, uplift_of)
from core.recommendations.quality import lead_quality, qualification_rates

__all__ = [
    "FAMILIES", "KIND_COLUMNS", "METRICS", "Constraints", "Plan", "ResponseModel", "allocate", "backtest",
    "baseline_mix", "baseline_summary", "basis", "budget_sweep", "candidates_for", "curve_frame", "daily_panel", "forecast_range",
    "goal_gain", "kind_key", "lead_quality", "marginal_returns", "qualification_rates", "replan", "line_items", "marginal", "mixture_curve", "plan_constraints", "plan_totals",
    "planned_items", "public_holidays", "recommend", "run_recommend", "saturation", "score_items",
    "season_factors", "uplift_of",
]
