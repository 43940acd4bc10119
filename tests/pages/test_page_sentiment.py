"""Sentiment page: scores on open, tabs render, a correction is stored, retraining makes a new head."""

from __future__ import annotations

from core import sentiment as sent
from core.warehouse import Warehouse
from tests.pages.conftest import error_texts, open_page

COMMENTS = [
    {"comment_id": "c1", "post_id": "p1", "platform": "instagram", "created_at": "2025-03-03T09:00:00Z",
     "text": "Absolutely love this place, the staff were wonderful!"},
    {"comment_id": "c2", "post_id": "p1", "platform": "instagram", "created_at": "2025-03-03T11:00:00Z",
     "text": "Waited 40 minutes past my appointment time. Not coming back."},
    {"comment_id": "c3", "post_id": "p2", "platform": "facebook", "created_at": "2025-03-03T11:00:00Z",
     "text": "What are your opening hours on Saturday?"},
    {"comment_id": "c4", "post_id": "p2", "platform": "facebook", "created_at": "2025-03-04T10:00:00Z",
     "text": "Terrible service, rude receptionist and a huge bill."},
    {"comment_id": "c5", "post_id": "p2", "platform": "facebook", "created_at": "2025-03-04T11:00:00Z",
     "text": "Rude staff again, terrible experience."},
]


def _load(db_path, example_file):
    wh = Warehouse.open(db_path)
    wh.ingest(example_file)
    wh.ingest_records("comments", COMMENTS)
    wh.close()


def test_page_scores_and_renders_every_tab(db_path, example_file):
    _load(db_path, example_file)
    at = open_page("sentiment", timeout=180)
    assert not at.exception and not error_texts(at)
    labels = {m.label: m.value for m in at.metric}
    assert labels["Comments"] == "5"  # the example's two comments fall on 5 March UTC, after the range
    assert len(at.get("plotly_chart")) >= 5
    assert len(at.tabs) == 5
    from pages import _shared  # the app's own connection (one process owns the file)

    scores = _shared.warehouse().load_state(sent.SCORES_TABLE)
    assert len(scores) == 7 and scores["score"].between(-1, 1).all()  # every comment, in range or not
    # the most negative comments needing a reply are the complaints, each with a drafted, editable answer
    reply = at.dataframe[2].value
    assert set(reply["comment_id"]) >= {"c4", "c5"} and "c1" not in set(reply["comment_id"])
    assert reply["draft"].str.len().gt(40).all() and reply["source"].str.startswith("template").all()
    area = at.text_area(key="sentiment.reply.c4")
    assert area.value == reply.set_index("comment_id").loc["c4", "draft"]
    area.set_value("Sorry Sam, please DM us.").run()
    assert any(c.value == "Sorry Sam, please DM us." for c in at.code)


def test_comments_outside_the_sidebar_range_still_show(db_path, example_file):
    wh = Warehouse.open(db_path)
    wh.ingest(example_file)
    wh.ingest_records("comments", [{**COMMENTS[0], "comment_id": "old", "created_at": "2024-01-01T10:00:00Z"}])
    wh.close()
    at = open_page("sentiment", timeout=180)
    assert not at.exception and not error_texts(at)
    # none of the three comments lies in the campaigns' date range (3-4 March 2025, UTC)
    assert any("showing every comment" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["Comments"] == "3"


def test_correct_a_label_and_retrain(db_path, example_file):
    _load(db_path, example_file)
    at = open_page("sentiment", timeout=180)
    at.selectbox(key="sentiment.comment").set_value("c1")
    at.radio(key="sentiment.label").set_value("negative")
    at.button(key="sentiment.save").click()
    at.run()
    assert not at.exception and not error_texts(at)
    corrections = [d.value for d in at.dataframe if "corrected_at" in d.value.columns]
    assert corrections and corrections[0]["comment_id"].tolist() == ["c1"]
    at.button(key="sentiment.retrain").click()
    at.run()
    assert not at.exception and not error_texts(at)
    # The retrain runs in the background: the page answers at once, then reports the outcome.
    from pages import _shared

    job = _shared.job("sentiment.retrain")
    assert job is not None and job.wait(240)
    at.run()
    assert not at.exception and not error_texts(at)
    models = db_path.parent / "models" / sent.STEM
    saved = [p for p in models.iterdir() if p.is_dir()]
    assert len(saved) == 1  # the challenger is saved, promoted or not
    notes = [m.value for m in [*at.success, *at.warning] if "Retrained" in m.value]
    assert notes and saved[0].name in notes[0] and "held-out accuracy" in notes[0]
    if "promoted" in notes[0] and "stays" not in notes[0]:
        assert (models / "CURRENT").read_text().strip() == saved[0].name != sent.current_model_id(None)


def test_empty_workspace_gets_a_friendly_note(db_path):
    at = open_page("sentiment")
    assert not at.exception and not error_texts(at)
    assert any("No comments" in i.value for i in at.info)


def test_a_saved_head_that_does_not_match_is_a_titled_error(db_path, example_file):
    import json

    _load(db_path, example_file)
    models = db_path.parent / "models"
    head = sent.load_model(None)
    saved = sent.save_model(sent.SentimentModel(head=head.head, passport={}, use_vader=head.use_vader), models)
    meta = models / sent.STEM / saved["id"] / "meta.json"
    passport = json.loads(meta.read_text())
    meta.write_text(json.dumps({**passport, "version": passport["version"] + 1}))  # saved by another code version
    at = open_page("sentiment", timeout=120)
    assert not at.exception
    assert any("Saved model does not match" in e and "format version" in e for e in error_texts(at))
