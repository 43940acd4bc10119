"""The typed objective a brief becomes, and the questions raised when its constraints cannot all hold."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from core.objectives.vocabulary import PERIOD_DAYS



@dataclass
class Objective:
    """A client's objective, typed. ``source`` says where each field came from.

    Amounts in ``platform_min`` / ``platform_max`` are per day; ``platform_max_share``
    and ``platform_min_share`` are fractions of the whole budget.
    """

    goal: str = "leads"
    budget: float | None = None
    period: str | None = None
    currency: str = "USD"
    platforms: list[str] = field(default_factory=list)
    excluded_platforms: list[str] = field(default_factory=list)
    age_min: int | None = None
    age_max: int | None = None
    gender: str | None = None
    locations: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    target_cpl: float | None = None
    target_cpa: float | None = None
    platform_max_share: dict[str, float] = field(default_factory=dict)
    platform_min_share: dict[str, float] = field(default_factory=dict)
    platform_min: dict[str, float] = field(default_factory=dict)
    platform_max: dict[str, float] = field(default_factory=dict)
    max_line_items: int | None = None
    budget_options: list[dict[str, Any]] = field(default_factory=list)
    lead_quality: bool = False        # "qualified leads", "leads that become paying customers": optimise sales   # budgets a brief states that disagree
    source: dict[str, str] = field(default_factory=dict)
    questions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def daily_budget(self) -> float | None:
        """The budget per day (a month is 365/12 days, a quarter 365/4, a week 7)."""
        if self.budget is None:
            return None
        return float(self.budget) / PERIOD_DAYS[self.period or "month"]

    @property
    def complete(self) -> bool:
        return not self.questions and self.budget is not None

    def to_dict(self) -> dict[str, Any]:
        """Every field plus ``daily_budget``, JSON-ready."""
        out = asdict(self)
        out["daily_budget"] = None if self.daily_budget is None else round(self.daily_budget, 2)
        return out

    def contract_dict(self) -> dict[str, Any]:
        """The ``objective`` block of the CLI contract (plus the extra parsed fields)."""
        out = {"goal": self.goal, "budget": self.budget, "period": self.period,
               "daily_budget": None if self.daily_budget is None else round(self.daily_budget, 2),
               "platforms": list(self.platforms), "source": dict(self.source)}
        extra = self.to_dict()
        for k in ("goal", "budget", "period", "daily_budget", "platforms", "source", "text", "questions"):
            extra.pop(k, None)
        out.update(extra)
        return out

    def edited(self, **changes: Any) -> "Objective":
        """A copy with fields set explicitly (source ``flag``), questions they answer cleared."""
        obj = replace(self, **changes)
        obj.source = dict(self.source)
        for k in changes:
            obj.source[k] = "flag"
        obj.questions = [q for q in self.questions if not _answers(q, changes)]
        obj.questions.extend(_consistency_questions(obj))
        obj.questions = list(dict.fromkeys(obj.questions))
        return obj


def _answers(question: str, changes: dict[str, Any]) -> bool:
    q = question.lower()
    if ("budget" in changes or "period" in changes) and ("budget" in q or "per day" in q):
        return True
    if ("platforms" in changes or "excluded_platforms" in changes or "platform_min" in changes) \
            and "platform" in q:
        return True
    if "goal" in changes and "goal" in q:
        return True
    return False



def _consistency_questions(obj: Objective) -> list[str]:
    """Questions for constraints that cannot all hold."""
    qs = []
    allowed = set(obj.platforms)
    for p in sorted(set(obj.platform_min) | set(obj.platform_min_share)):
        if p in obj.excluded_platforms or (allowed and p not in allowed):
            qs.append(f"The brief puts a minimum on {p} but does not allow {p}; which platforms may the plan use?")
    if obj.excluded_platforms and allowed and allowed <= set(obj.excluded_platforms):
        qs.append("Every platform asked for is also excluded; which platforms may the plan use?")
    if sum(obj.platform_min_share.values()) > 1.0 + 1e-9:
        qs.append("The minimum shares per platform add up to more than the whole budget; which should give way?")
    daily = obj.daily_budget
    if daily is not None and sum(obj.platform_min.values()) > daily + 1e-6:
        qs.append("The minimum amounts per platform add up to more than the budget; should the budget be higher "
                  "or the minimums lower?")
    for p, lo in obj.platform_min_share.items():
        if obj.platform_max_share.get(p, 1.0) < lo:
            qs.append(f"The brief asks for at least {lo:.0%} and at most {obj.platform_max_share[p]:.0%} on {p}; "
                      "which limit holds?")
    if obj.age_min is not None and obj.age_max is not None and obj.age_min > obj.age_max:
        qs.append("The age range runs backwards; which ages should the plan target?")
    return qs

