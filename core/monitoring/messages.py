"""What an alert says: one short function per kind, from the numbers of one campaign-day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def money(x: float) -> str:
    return f"${x:,.0f}" if abs(x) >= 10 else f"${x:,.2f}"


def about(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else (f"{x:.1f}" if x < 1.95 else f"{x:.0f}")


@dataclass(frozen=True)
class AlertDay:
    """The numbers of one alerting campaign-day that its message needs."""

    metric: str
    other: str | None
    spend: float
    budget: float
    budget_known: bool
    observed: float
    expected: float
    impressions: float = 0.0
    zero_run: int = 0
    zero_expected: float = 0.0
    other_value: float = 0.0
    other_expected: float = 0.0
    run: int = 1  # days in a row of the incident (under-delivery)

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else np.nan


def _by_ratio(r: float) -> str:
    return "high" if r <= 0.25 else ("medium" if r <= 0.5 else "low")


def tracking(a: AlertDay) -> tuple[str, str, float]:
    also = f"; {a.other} also 0" if a.other_value == 0 and a.other_expected >= 0.5 else (
        f"; {a.other} still {a.other_value:.0f}" if a.other_value > 0 else "")
    days = f" ({ordinal(a.zero_run)} day at 0)" if a.zero_run > 1 else ""
    msg = (f"{a.metric.capitalize()} 0 vs about {about(a.expected)} expected at {money(a.spend)} spend{days}"
           f"{also}: check tracking")
    return msg, "high" if a.zero_expected >= 10 else "medium", a.expected


def drop(a: AlertDay) -> tuple[str, str, float]:
    unit = "lead" if a.metric == "leads" else "conversion"
    cost_now = f"{money(a.spend / a.observed)}" if a.observed > 0 else "no result"
    msg = (f"{a.metric.capitalize()} {a.observed:.0f} vs about {about(a.expected)} expected at {money(a.spend)} "
           f"spend: cost per {unit} {cost_now} vs about {money(a.spend / a.expected) if a.expected > 0 else '?'}")
    return msg, _by_ratio(a.ratio), a.expected


def click_collapse(a: AlertDay) -> tuple[str, str, float]:
    imp, obs, exp = a.impressions, a.observed, a.expected
    msg = (f"Clicks {obs:,.0f} vs about {about(exp)} expected from {imp:,.0f} impressions: "
           f"click-through {obs / imp:.2%} vs about {exp / imp:.2%}" if imp > 0 else
           f"Clicks {obs:,.0f} vs about {about(exp)} expected")
    return msg, _by_ratio(a.ratio), exp


def overspend(a: AlertDay) -> tuple[str, str, float]:
    spend, budget = a.spend, a.budget
    if not a.budget_known:
        msg = (f"Spend {money(spend)} vs about {money(a.expected)} usual (this day's budget is unknown; "
               f"{spend / a.expected:.1f}x its own usual spend): check budget caps and pacing")
        return msg, "high" if spend >= 4 * a.expected else "medium", a.expected
    if budget > 0:
        msg = (f"Spend {money(spend)} vs a daily budget of {money(budget)} ({spend / budget:.1f}x): "
               f"check budget caps and pacing")
        return msg, "high" if spend >= 2 * budget else ("medium" if spend >= 1.5 * budget else "low"), budget
    return f"Spend {money(spend)} on a day with no budget set: check the campaign is meant to run", "high", budget


def underdelivery(a: AlertDay) -> tuple[str, str, float]:
    days = f" ({ordinal(a.run)} day in a row)" if a.run > 1 else ""
    on = f"on a {money(a.budget)} budget" if a.budget_known else "from its own recent spend (budget unknown)"
    msg = (f"Spend {money(a.spend)} vs about {money(a.expected)} expected {on}{days}: "
           f"check approvals, bids and targeting")
    exp = a.expected
    return msg, "high" if a.spend <= 0.1 * exp else ("medium" if a.spend <= 0.3 * exp else "low"), exp


MESSAGES = {"tracking_stopped": tracking, "cpl_jump": drop, "cpa_jump": drop, "ctr_collapse": click_collapse,
            "overspend": overspend, "underdelivery": underdelivery}
