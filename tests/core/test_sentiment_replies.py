"""Drafted replies: a labelled template per topic offline, the AI service's answer when configured."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from core.config import Settings
from core.sample_comments import clinic_comment_pool
from core.sentiment import replies
from tests.fake_openai import FakeOpenAI


def test_templates_fit_the_clinic_complaints():
    pool = clinic_comment_pool(seed=0, size=3000)
    neg = pool[pool["label"] == "negative"].reset_index(drop=True)
    found = neg["text"].map(replies.topic_of)
    # the keyword topics agree with the generator's own topic for most complaints
    agree = (found == neg["topic"]) | ((neg["topic"] == "emergency") & (found == "appointments"))
    assert agree.mean() > 0.7
    assert (found != "other").mean() > 0.9
    drafts = replies.draft_replies(neg.head(12).assign(comment_id=[f"c{i}" for i in range(12)]), Settings())
    assert list(drafts.columns) == ["comment_id", "topic", "draft", "source"]
    assert (drafts["source"] == replies.TEMPLATE_SOURCE).all()
    assert all(d == replies.TEMPLATES[t] for d, t in zip(drafts["draft"], drafts["topic"]))
    assert "billing" in replies.template_reply("Got a surprise bill of $250 for a crown")


@pytest.fixture
def fake():
    server = FakeOpenAI(content=json.dumps({"reply": "So sorry about the wait, Sam. Please DM us your visit time."}))
    base = server.start()
    yield server, Settings.from_mapping({"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": base})
    server.stop()


def test_the_ai_service_drafts_when_configured_and_a_failure_falls_back_labelled(fake):
    server, settings = fake
    comments = pd.DataFrame({"comment_id": ["a", "b"], "text": ["Waited 40 minutes past my appointment time.",
                                                               "Rude receptionist."]})
    drafts = replies.draft_replies(comments, settings, business="Brightwater Dental")
    assert drafts["draft"].tolist() == ["So sorry about the wait, Sam. Please DM us your visit time."] * 2
    assert drafts["source"].str.startswith("AI service").all()
    body = server.requests[-1]["body"]
    assert "Brightwater Dental" in json.dumps(body) and "Rude receptionist." in json.dumps(body)
    server.mode = "401"
    failed = replies.draft_replies(comments.head(1), settings)
    assert failed["draft"].iloc[0] == replies.TEMPLATES["waiting"] and failed["source"].iloc[0].startswith("template (")
