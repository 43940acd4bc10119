"""Drafted answers for the comments that need a reply: the AI service when configured, else templates.

A template draft is chosen by the comment's topic (appointments, waiting, prices, insurance,
staff, treatment, children, the clinic), found by keywords, and is labelled as a template so
nobody mistakes it for a personal answer. With an OpenAI-compatible service configured,
:func:`draft_replies` asks it (through :mod:`core.llm`, one client and one retry policy) for
a short, polite answer per comment; a failed call falls back to the template and says why.
The analyst edits and copies the draft; nothing is posted.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

#: Keywords that put a comment in a topic; the first topic that matches wins.
TOPICS: tuple[tuple[str, str], ...] = (
    ("insurance", r"insur|\bclaim|in network|\bppo\b|delta dental|cigna|aetna|metlife|guardian|blue cross|concordia"),
    ("prices", r"\bbill|charge|price|cost|expensive|overpriced|estimate|\$\d|payment|refund"),
    ("clinic", r"parking|dirty|waiting room|blasting|noise"),
    ("waiting", r"\bwait|\blate\b|on time|lobby|delay|before anyone|sat in the chair"),
    ("appointments", r"appointment|book|resched|cancel|slot|call(ed)? (me )?back|availability|opening|emergency"),
    ("children", r"\bkids?\b|\bson\b|daughter|child|little one|twins|year old"),
    ("staff", r"rude|staff|receptionist|front desk|dr\.|doctor|dentist|hygienist|nurse|judged|kind experience"),
    ("treatment", r"pain|filling|crown|implant|root canal|whitening|invisalign|tooth|teeth|extraction|hurt"),
    ("clinic", r"clean|office|location|\btv\b"),
)

#: One template per topic: an apology, and an invitation to continue in private.
TEMPLATES: dict[str, str] = {
    "insurance": "We're sorry about the trouble with your insurance. Please send us a private message with your "
                 "name and visit date, and our billing team will check the claim with your insurer and call you back.",
    "prices": "We're sorry your bill was not what you expected. Please send us a private message with your name and "
              "visit date: our billing team will go through every line with you and correct anything that is wrong.",
    "waiting": "We're sorry you had to wait so long; that is not the visit we want you to have. Please send us a "
               "private message with the clinic and time of your appointment so we can look into what went wrong.",
    "appointments": "We're sorry we made booking so hard. Please send us a private message with a good time to "
                    "reach you, and our front desk will call you to find an appointment that works.",
    "staff": "We're sorry about how you were treated; everyone deserves a kind, unhurried visit. Please send us a "
             "private message so our clinic manager can talk with you personally.",
    "children": "We're so sorry your child had a hard time. Please send us a private message: our team would like "
                "to hear what happened and make the next visit a gentler one.",
    "treatment": "We're sorry you're still having trouble after your treatment. Please call the clinic or send us a "
                 "private message today so your dentist can see you as soon as possible.",
    "clinic": "Thank you for telling us, and we're sorry about your visit. We're passing this on to the clinic "
              "manager; please send us a private message if you'd like us to follow up with you.",
    "other": "We're sorry to hear about your experience. Please send us a private message with your name and visit "
             "date so we can look into it and make it right.",
}

TEMPLATE_SOURCE = "template (no AI service configured)"
REPLY_SCHEMA = {"type": "object", "properties": {"reply": {"type": "string"}}, "required": ["reply"],
                "additionalProperties": False}


def topic_of(text: Any) -> str:
    """The comment's topic by keywords (``other`` when none matches).

    >>> topic_of("Got a surprise bill of $250"), topic_of("Waited 40 minutes in the lobby"), topic_of("meh")
    ('prices', 'waiting', 'other')
    """
    t = str(text or "").lower()
    return next((topic for topic, pattern in TOPICS if re.search(pattern, t)), "other")


def template_reply(text: Any) -> str:
    """The template draft for a comment's topic."""
    return TEMPLATES[topic_of(text)]


def _prompt(text: str, business: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": f"You answer customer comments on social media for {business}. Write one "
                                      "short, warm, specific reply (2-3 sentences, no hashtags), apologise where "
                                      "the customer is unhappy, never promise refunds or discuss health details "
                                      "in public, and invite them to a private message. Answer as JSON "
                                      '{"reply": "..."}.'},
        {"role": "user", "content": text},
    ]


def _reply_text(message: Any) -> str:
    content = str(getattr(message, "content", "") or "").strip()
    match = re.search(r"\{.*\}", content, flags=re.S)
    if match:
        try:
            value = json.loads(match.group(0)).get("reply")
            if isinstance(value, str) and value.strip():
                return value.strip()
        except (ValueError, AttributeError):
            pass
    return content


def draft_replies(comments: pd.DataFrame, settings: Any = None, *, business: str = "our clinic",
                  client: Any = None) -> pd.DataFrame:
    """A draft answer per comment (``comment_id, topic, draft, source``).

    With ``settings.llm_enabled`` each draft comes from the AI service (``source`` names the
    model); when a call fails the template is used and ``source`` says so. Without a
    service every draft is the topic's template, labelled as such.
    """
    rows = []
    use_llm = bool(getattr(settings, "llm_enabled", False))
    for r in comments.itertuples(index=False):
        text = str(r.text)
        topic = topic_of(text)
        draft, source = TEMPLATES[topic], TEMPLATE_SOURCE
        if use_llm:
            draft, source = _llm_draft(text, settings, business, client, fallback=draft)
        rows.append({"comment_id": r.comment_id, "topic": topic, "draft": draft, "source": source})
    return pd.DataFrame(rows, columns=["comment_id", "topic", "draft", "source"])


def _llm_draft(text: str, settings: Any, business: str, client: Any, *, fallback: str) -> tuple[str, str]:
    from core import llm
    from core.errors import WorkbenchError

    try:
        reply = llm.chat(settings, _prompt(text, business), schema=REPLY_SCHEMA, client=client, temperature=0.4,
                         what="drafting a reply")
        draft = _reply_text(reply.choices[0].message)
    except WorkbenchError as exc:
        return fallback, f"template ({exc.title.lower()})"
    return (draft, f"AI service ({settings.openai_model})") if draft else (fallback, "template (empty AI answer)")
