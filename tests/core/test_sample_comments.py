"""The sample clinic's comments: seeded, distinct, labelled, about what dental patients write."""

from __future__ import annotations

import re

from core.sample_comments import FILLERS, TEMPLATES, clinic_comment_pool


def test_pool_is_reproducible_distinct_and_labelled():
    a, b = clinic_comment_pool(seed=0, size=1500), clinic_comment_pool(seed=0, size=1500)
    assert a.equals(b) and len(a) == 1500 and a["text"].is_unique
    assert not a.equals(clinic_comment_pool(seed=1, size=1500))
    shares = a["label"].value_counts(normalize=True)
    assert set(shares.index) == {"positive", "neutral", "negative"} and shares.min() > 0.15
    assert not a["text"].str.contains(r"\{|\}").any()         # every slot filled
    assert not a["text"].str.contains(r"\bmy my\b|\ba an\b", flags=re.I).any()


def test_comments_speak_of_the_clinic_topics():
    pool = clinic_comment_pool(seed=0, size=3000)
    assert set(pool["topic"]) >= {"appointments", "waiting", "prices", "insurance", "staff", "treatment"}
    text = " ".join(pool["text"]).lower()
    for word in ("appointment", "insurance", "bill", "waited", "dr.", "cleaning"):
        assert word in text
    assert not re.search(r"trump|bannon|isis|movie|film", text)
    negatives = pool.loc[pool["label"] == "negative", "text"].str.lower()
    assert negatives.str.contains("waited|bill|rude|pain|cancelled|claim").mean() > 0.4


def test_templates_use_only_known_fillers():
    for _topic, label, template in TEMPLATES:
        assert label in {"positive", "neutral", "negative"}
        assert set(re.findall(r"\{(\w+)\}", template)) <= set(FILLERS)
