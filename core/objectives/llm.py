"""The optional LLM reading of a brief, checked against the offline parse (the rules' reading wins)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

from core.objectives.objective import Objective, _consistency_questions
from core.objectives.parse import parse_brief
from core.objectives.vocabulary import GOALS, PERIOD_DAYS, PLATFORM_ALIASES


_LLM_FIELDS = ("goal", "budget", "period", "platforms", "excluded_platforms", "age_min", "age_max", "gender",
               "locations", "interests", "target_cpl", "target_cpa", "platform_max_share", "platform_min_share",
               "max_line_items")
_LLM_PROMPT = (
    "Read a marketing client's brief and answer with one JSON object with these keys (null when the brief does "
    "not say): goal (leads|conversions|revenue), budget (number), period (day|week|month|quarter|year), "
    "platforms (lower-case names allowed, [] when not restricted), excluded_platforms, age_min, age_max, "
    "gender (female|male|all), locations (ISO codes such as US or US-TX), interests, target_cpl, target_cpa, "
    "platform_max_share and platform_min_share (objects platform -> fraction 0-1), max_line_items. "
    "Never invent a budget. Answer with the JSON only.")


def parse_brief_llm(text: str, settings: Any, *, client: Any = None, known_platforms: Iterable[str] = (),
                    known_interests: Iterable[str] = ()) -> Objective:
    """Parse with an OpenAI-compatible chat model, checked against the offline parse.

    The offline parse stays the reference: the LLM may fill fields the rules left at their
    default, but where both read a value from the text the offline one is kept, and every
    question the rules raise (no budget, contradictions) stands. Any failure of the service
    falls back to the offline parse with a note.
    """
    import json

    base = parse_brief(text, known_platforms=known_platforms, known_interests=known_interests)
    try:
        from core import llm  # the one client and retry policy; structured output where the server has it

        reply = llm.chat(settings, [{"role": "system", "content": _LLM_PROMPT}, {"role": "user", "content": text}],
                         schema={"type": "object", "properties": {k: {} for k in _LLM_FIELDS}}, client=client,
                         temperature=0, what="reading the brief")
        content = reply.choices[0].message.content or ""
        data = json.loads(content[content.find("{"):content.rfind("}") + 1])
    except Exception as exc:  # the service is optional: any failure means the offline parse
        base.notes.append(f"the LLM parse failed ({type(exc).__name__}); used the offline parser")
        return base
    changes: dict[str, Any] = {}
    for key in _LLM_FIELDS:
        value = data.get(key)
        if value in (None, [], {}, ""):
            continue
        src_key = "age" if key in ("age_min", "age_max") else key
        if base.source.get(src_key) == "text":
            continue                                  # the rules read it from the text: keep theirs
        if key == "goal" and value not in GOALS or key == "period" and value not in PERIOD_DAYS:
            continue
        if key in ("platforms", "excluded_platforms"):
            value = sorted({n for p in value for n in PLATFORM_ALIASES.get(str(p).lower(), (str(p).lower(),))})
        if key == "budget":
            continue                                  # a budget the rules did not see is asked back, not taken
        changes[key] = value
    obj = replace(base, **changes)
    obj.source = dict(base.source)
    for key in changes:
        obj.source["age" if key in ("age_min", "age_max") else key] = "text"
    obj.notes = base.notes + ([f"the LLM read {', '.join(sorted(changes))}"] if changes else [])
    obj.questions = list(dict.fromkeys(base.questions + _consistency_questions(obj)))
    return obj
