"""From a client's brief in plain English to a typed campaign objective.

The offline parser combines spaCy entities (``GPE`` for places, ``MONEY`` as a
cross-check of amounts) with rule patterns: amounts written any common way
("$6k", "6,000 USD", "six thousand dollars a month"), the budget's period,
platforms allowed or excluded, audience hints, a target cost per lead or per sale,
and constraints in business language ("no more than 40% on Facebook", "at least
$500 a month on Google", "keep LinkedIn off", "at most 8 line items").

Every field records where it came from (``text``, ``default`` or ``flag``). A brief
that leaves out the budget, or contradicts itself, is not guessed: the parse keeps
a list of ``questions`` and :func:`resolve_objective` raises
:class:`~core.errors.BadInputError` with the question unless explicit flags answer it.

Where things are: ``vocabulary`` (words and patterns), ``numbers`` (number words, money),
``text`` (clauses, platform mentions, periods), ``audience`` (ages, places), ``objective``
(the typed result and its consistency questions), ``parse`` (the readers and
:func:`parse_brief`), ``resolve`` (flags over a parse), ``llm`` (the optional LLM reading).

Examples
--------
>>> obj = parse_brief("More leads, about $6,000 a month, Google and Facebook only", use_spacy=False)
>>> obj.goal, obj.budget, obj.period, obj.platforms
('leads', 6000.0, 'month', ['facebook', 'google'])
>>> round(obj.daily_budget, 2)
197.26
"""

from __future__ import annotations

from core.objectives.describe import describe_objective
from core.objectives.llm import parse_brief_llm
from core.objectives.numbers import words_to_numbers
from core.objectives.objective import Objective
from core.objectives.parse import (ParseState, parse_brief, read_amounts, read_audience, read_budget, read_goal,
                                   read_limits, read_platforms, read_shares)
from core.objectives.resolve import require_complete, resolve_objective
from core.objectives.vocabulary import COUNTRIES, GOALS, PERIOD_DAYS, PERIODS, PLATFORM_ALIASES, US_CITIES, US_STATES

__all__ = [
    "COUNTRIES", "GOALS", "PERIODS", "PERIOD_DAYS", "PLATFORM_ALIASES", "US_CITIES", "US_STATES",
    "Objective", "ParseState", "describe_objective", "parse_brief", "parse_brief_llm", "read_amounts", "read_audience", "read_budget",
    "read_goal", "read_limits", "read_platforms", "read_shares", "require_complete", "resolve_objective",
    "words_to_numbers",
]
