"""An objective read back in a marketer's words ("Did I understand you?"), one short sentence per point."""

from __future__ import annotations

from core.objectives.numbers import _fmt_money
from core.objectives.objective import Objective
from core.objectives.vocabulary import COUNTRIES, PERIOD_DAYS, US_STATES

_GOAL_WORDS = {"leads": "more leads (enquiries, sign-ups, bookings)", "conversions": "more sales",
               "revenue": "more revenue"}
_SOURCE_WORDS = {"text": "", "flag": " (as you set it)", "default": " (my default: the brief does not say)",
                 "history": " (from your last 90 days: the brief does not say)"}


def _platform_list(names: list[str]) -> str:
    shown = [n.capitalize() if n not in ("linkedin", "tiktok") else {"linkedin": "LinkedIn", "tiktok": "TikTok"}[n]
             for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


_STATE_NAMES = {code: name.replace(" state", "").title() for name, code in US_STATES.items()}
_COUNTRY_NAMES = {"US": "the US", "GB": "the UK", **{c: n.title() for n, c in COUNTRIES.items()
                                                 if c not in ("US", "GB") and len(n) > 3}}


def place_name(code: str) -> str:
    """``US-TX`` -> ``Texas``, ``GB`` -> ``the UK``; anything else as written."""
    if code.startswith("US-") and code[3:] in _STATE_NAMES:
        return _STATE_NAMES[code[3:]]
    return _COUNTRY_NAMES.get(code, code)


def _audience(obj: Objective) -> str | None:
    who = {"female": "women", "male": "men", "all": "men and women"}.get(obj.gender or "", "people")
    if obj.age_min is not None and obj.age_max is not None:
        who += f" aged {obj.age_min}+" if obj.age_max >= 100 else f" aged {obj.age_min}-{obj.age_max}"
    if obj.locations:
        who += " in " + ", ".join(place_name(c) for c in obj.locations)
    if obj.interests:
        who += " interested in " + ", ".join(obj.interests)
    return None if who == "people" else who[0].upper() + who[1:]


def describe_objective(obj: Objective) -> list[str]:
    """The objective as sentences a client would say back; what came from a default says so.

    >>> describe_objective(Objective(goal="leads", budget=6000.0, period="month", platforms=["google"],
    ...                              source={"budget": "text"}))[:2]
    ['You want more leads (enquiries, sign-ups, bookings).', 'You spend $6,000 a month (about $197 a day).']
    """
    src, cur = obj.source, obj.currency
    if obj.lead_quality:
        lines = ["You want leads that become paying customers: the plan optimises sales from leads."]
    else:
        lines = [f"You want {_GOAL_WORDS.get(obj.goal, obj.goal)}{_SOURCE_WORDS.get(src.get('goal', 'text'), '')}."]
    if obj.budget is None:
        lines.append("You have not said how much to spend.")
    else:
        per = obj.period or "month"
        daily = "" if per == "day" else f" (about {_fmt_money(obj.budget / PERIOD_DAYS[per], cur)} a day)"
        lines.append(f"You spend {_fmt_money(obj.budget, cur)} a {per}{daily}"
                     f"{_SOURCE_WORDS.get(src.get('budget', 'text'), '')}.")
    if obj.platforms:
        lines.append(f"Only on {_platform_list(obj.platforms)}.")
    else:
        lines.append("On any platform your history has.")
    if obj.excluded_platforms:
        lines.append(f"Nothing on {_platform_list(obj.excluded_platforms)}.")
    for p, v in sorted(obj.platform_min.items()):
        lines.append(f"At least {_fmt_money(v, cur)} a day on {_platform_list([p])}.")
    for p, v in sorted(obj.platform_max.items()):
        lines.append(f"At most {_fmt_money(v, cur)} a day on {_platform_list([p])}.")
    for p, v in sorted(obj.platform_min_share.items()):
        lines.append(f"At least {v:.0%} of the budget on {_platform_list([p])}.")
    for p, v in sorted(obj.platform_max_share.items()):
        lines.append(f"No more than {v:.0%} of the budget on {_platform_list([p])}.")
    who = _audience(obj)
    if who:
        lines.append(f"Reach: {who}.")
    if obj.target_cpl:
        lines.append(f"A lead should cost at most {_fmt_money(obj.target_cpl, cur)}.")
    if obj.target_cpa:
        lines.append(f"A sale should cost at most {_fmt_money(obj.target_cpa, cur)}.")
    if obj.max_line_items:
        lines.append(f"No more than {obj.max_line_items} campaigns at once.")
    return lines
