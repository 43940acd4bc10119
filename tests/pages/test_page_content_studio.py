"""Content studio page: template mode offline, the streamed LLM path against a local fake server,
service errors that keep the inputs, the live SEO editor, history and experiment export."""

from __future__ import annotations

import json

import pytest

from core import content_studio as cs
from core.warehouse import Warehouse
from tests.pages.conftest import error_texts, open_page

K = "content_studio."
BRIEF = "Promote our dental clinic in Austin to busy parents, 20% off the first visit. Book online."


@pytest.fixture
def llm(openai_server, db_path, monkeypatch):
    server = openai_server
    server.reset()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-page-test")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_MODEL", "fake-model")
    monkeypatch.setenv("OPENAI_TIMEOUT", "5")
    return server


def _generate(at, brief=BRIEF, keywords="dental clinic", platform=None):
    if platform:
        at.selectbox(key=K + "platform").select(platform).run()
    at.text_area(key=K + "brief").input(brief)
    at.text_input(key=K + "keywords").input(keywords)
    at.button(key=K + "generate").click().run()
    return at


def _frame(at, *columns):
    """The first dataframe on the page holding these columns (AppTest does not expose a dataframe's key)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def _history(db_path):
    wh = Warehouse.open(db_path)
    try:
        return cs.load_history(wh)
    finally:
        wh.close()


def test_without_a_key_the_page_says_so_and_generates_labelled_templates(db_path):
    at = open_page("content_studio")
    assert not at.exception and not error_texts(at)
    note = " ".join(i.value for i in at.info)
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        assert var in note
    assert "Images need a configured AI service" in note
    assert "No generations yet" in note  # empty history: a friendly note, not an error
    assert at.toggle(key=K + "templates").value is True
    _generate(at)
    assert not at.exception and not error_texts(at)
    assert any("not written by AI" in w.value for w in at.warning)
    scores = [m for m in at.metric if m.label == "SEO score"]
    assert len(scores) == 3 and all(m.value != "-" for m in scores)
    hist = _history(db_path)
    assert len(hist) == 1 and hist.loc[0, "mode"] == "template" and hist.loc[0, "brief"] == BRIEF
    # a responsive search ad (the default platform): 3-15 headlines and the offer with its place
    heads = [m.value for m in at.markdown if m.value.startswith("**Headlines**")]
    assert len(heads) == 3 and all(3 <= int(h.split("(")[1].split(",")[0]) <= 15 for h in heads)
    assert any("20% off the first visit in Austin" in m.value for m in at.markdown)


def test_llm_generation_streams_from_the_local_server_and_is_scored(llm, db_path):
    at = open_page("content_studio")
    assert not at.exception and not any("OPENAI_API_KEY" in i.value for i in at.info)  # no 'not configured' note
    _generate(at)
    assert not at.exception and not error_texts(at)
    (req,) = llm.chat_requests()
    assert req["body"]["stream"] is True and req["headers"]["authorization"] == "Bearer sk-page-test"
    assert any("Written by AI (fake-model)" in c.value for c in at.caption)
    texts = " ".join(m.value for m in at.markdown)
    assert "Book Your Dental Checkup Today" in texts
    assert "A Brighter Smile Starts With" in texts and "shortened from 48" in " ".join(c.value for c in at.caption)
    assert len([m for m in at.metric if m.label == "SEO score"]) == 3
    hist = _history(db_path)
    assert list(hist["mode"]) == ["llm"] and hist.loc[0, "model"] == "fake-model"


def test_a_rejected_key_shows_a_clear_error_and_keeps_the_inputs(llm, db_path):
    llm.mode = "401"
    at = open_page("content_studio")
    _generate(at, keywords="dentist austin")
    assert not at.exception
    (err,) = error_texts(at)
    assert "rejected the API key" in err and "OPENAI_API_KEY" in err and "sk-page-test" not in err
    assert at.text_area(key=K + "brief").value == BRIEF
    assert at.text_input(key=K + "keywords").value == "dentist austin"
    assert len(_history(db_path)) == 0
    llm.mode = "ok"  # the same inputs work once the service is fixed
    at.button(key=K + "generate").click().run()
    assert not error_texts(at) and len(_history(db_path)) == 1


def test_rate_limit_with_retry_after_then_success(llm, db_path):
    llm.mode, llm.fail_times, llm.retry_after = "429", 1, 1
    at = open_page("content_studio")
    _generate(at)
    assert not at.exception and not error_texts(at)
    first, second = llm.chat_requests()
    assert second["time"] - first["time"] >= 0.95


def test_variants_into_an_experiment_and_image(llm, db_path):
    at = open_page("content_studio")
    _generate(at)
    gen = at.session_state[K + "result"]
    at.checkbox(key=f"{K}pick.{gen.generation_id}.0").check()
    at.checkbox(key=f"{K}pick.{gen.generation_id}.2").check()
    at.text_input(key=K + "experiment").input("Dental RSA").run()
    assert not at.exception and not error_texts(at)
    assert at.button(key=K + "create_experiment")
    at.button(key=K + "create_experiment").click().run()
    assert not at.exception and not error_texts(at)
    assert any("created with 2 arms" in s.value for s in at.success)
    at.text_area(key=K + "image_prompt").input("A bright dental clinic waiting room")
    at.button(key=K + "image_go").click().run()
    assert not at.exception and not error_texts(at)
    assert len([r for r in llm.requests if r["path"].endswith("/images/generations")]) == 1
    assert at.session_state[K + "image"].path.exists()


def test_seo_editor_scores_live_and_variant_goes_to_the_editor(db_path):
    at = open_page("content_studio")
    at.text_input(key=K + "seo_keyword").input("dental care")
    at.text_area(key=K + "seo_text").input("# Dental care guide\n\nDental care is simple. Brush twice a day.").run()
    assert not at.exception and not error_texts(at)
    score = next(m for m in at.metric if m.label == "Score")
    assert score.value.endswith("/100")
    first = score.value
    at.text_area(key=K + "seo_text").input("The report was written by the committee. Mistakes were made.").run()
    assert next(m for m in at.metric if m.label == "Score").value != first  # re-scored on edit
    checks = _frame(at, "label", "suggestion")
    assert "Passive voice" in list(checks["label"])
    _generate(at)
    at.button(key=K + "edit.0").click().run()
    assert "|" in at.text_area(key=K + "seo_text").value  # the Google ad's "headline | description"
    assert at.text_input(key=K + "seo_keyword").value == "dental clinic"


def test_history_lists_generations_with_csv(db_path):
    at = open_page("content_studio")
    _generate(at)
    _generate(at, platform="blog")
    assert not at.exception and not error_texts(at)
    hist = _frame(at, "created_at", "best_score")
    assert len(hist) == 2 and list(hist["platform"]) == ["blog", "google_search"]
    shown = _frame(at, "headline", "flags")
    assert len(shown) == 3 and {"headline", "description", "body", "hashtags"} <= set(shown.columns)
    out = json.loads(_history(db_path).loc[0, "output"])
    assert out[0]["headline"] == shown.loc[0, "headline"]


def test_inputs_survive_a_visit_to_another_page_and_the_objective_is_offered(db_path):
    from core.objectives import Objective

    at = open_page("content_studio")
    assert at.text_area(key=K + "brief").value == ""
    at.session_state["recommendations.parsed"] = Objective(text="More leads for our yoga studio, first class free")
    at.run()
    assert at.text_area(key=K + "brief").value == "More leads for our yoga studio, first class free"
    _generate(at, keywords="dentist")  # a form: its inputs are sent on submit
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/content_studio.py").run()
    assert not at.exception
    assert at.text_area(key=K + "brief").value == BRIEF and at.text_input(key=K + "keywords").value == "dentist"
    assert len([m for m in at.metric if m.label == "SEO score"]) == 3  # the last result is still shown


def test_segments_are_offered_as_audiences(db_path):
    import pandas as pd

    wh = Warehouse.open(db_path)
    wh.save_state("segments_assignments", pd.DataFrame({"customer_id": ["a", "b"], "segment": [0, 1],
                                                        "name": ["Loyal big spenders", "New bargain hunters"]}))
    wh.close()
    at = open_page("content_studio")
    assert at.selectbox(key=K + "segment").options == ["Loyal big spenders", "New bargain hunters"]
    at.selectbox(key=K + "segment").select("New bargain hunters")
    _generate(at)
    assert not at.exception and not error_texts(at)
    assert at.session_state[K + "result"].request.audience == "New bargain hunters"


def test_credentials_in_the_base_url_are_not_shown(llm, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url.replace("http://", "http://bob:s3cret-pass@") + "?key=k3y")
    at = open_page("content_studio")
    assert not at.exception
    shown = " ".join(str(e.value) for e in [*at.caption, *at.markdown, *at.info])
    assert "127.0.0.1" in shown and r"\*\*\*@" in shown  # *** once the Markdown is drawn
    assert "s3cret-pass" not in shown and "k3y" not in shown
