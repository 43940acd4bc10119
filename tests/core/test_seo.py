"""SEO and readability checks on texts whose correct figures are known by hand."""

from __future__ import annotations

import json

import pytest
import textstat

from core import seo
from core.cli import main
from core.errors import BadInputError

SIMPLE = "The cat sat on the mat. It was a sunny day. The dog ran to the park and played with a red ball all afternoon."

ARTICLE = """# Dental care guide for busy families

Dental care is easy to forget. However, a few habits keep teeth healthy for life.

## Daily dental care

Brush twice a day with fluoride toothpaste. The brush should be replaced every three months. For example, set a reminder on your phone.

## When to see a dentist

Book a checkup twice a year. Problems are found early by the dentist, so treatment is cheaper and quicker than you think when you wait.
"""
META = "Simple dental care habits for busy families: brushing, flossing and checkups that keep your teeth healthy for life."


def check(report: seo.SeoReport, name: str) -> seo.Check:
    return next(c for c in report.checks if c.name == name)


# ------------------------------------------------------------------ exact figures


def test_flesch_agrees_with_textstat_and_the_formula():
    # 25 words, 3 sentences, 28 syllables: 206.835 - 1.015 * 25/3 - 84.6 * 28/25
    expected = 206.835 - 1.015 * 25 / 3 - 84.6 * 28 / 25
    assert (textstat.lexicon_count(SIMPLE), textstat.sentence_count(SIMPLE), textstat.syllable_count(SIMPLE)) == (25, 3, 28)
    assert seo.flesch_reading_ease(SIMPLE) == pytest.approx(expected, abs=1e-9)
    assert seo.score_text(SIMPLE, profile="short").flesch_reading_ease == round(textstat.flesch_reading_ease(SIMPLE), 2)


@pytest.mark.parametrize("text", [
    SIMPLE,
    "Notwithstanding considerable organisational complexity, comprehensive interdisciplinary collaboration "
    "facilitates substantially improved institutional effectiveness. Nevertheless, implementation remains "
    "problematic.",
    "Buy now. Save big. Free shipping on every order over fifty dollars this weekend only!",
])
def test_flesch_of_plain_text_is_textstats(text):
    report = seo.score_text(text, profile="short")
    assert report.flesch_reading_ease == round(textstat.flesch_reading_ease(text), 2)


def test_flesch_of_markdown_is_textstats_on_the_body_without_markup():
    report = seo.score_text(ARTICLE)
    body = seo.parse_structure(ARTICLE).body
    assert "#" not in body and "Dental care is easy" in body
    assert report.flesch_reading_ease == round(textstat.flesch_reading_ease(body), 2)


def test_keyword_density_counts_are_exact():
    text = "Dental care matters. Good dental care, daily. DENTAL CARE! dental-care and dentalcare do not count."
    # words: Dental care matters Good dental care daily DENTAL CARE dental-care and dentalcare do not count = 15
    assert len(seo.words(text)) == 15
    assert seo.keyword_count(text, "dental care") == 3
    assert seo.keyword_density(text, "dental care") == pytest.approx(3 / 15 * 100)
    assert seo.keyword_count("Dental\ncare and dental   care", "dental care") == 2  # any whitespace between words
    assert seo.keyword_count("Braces, braces; BRACES. embraces", "braces") == 3  # word boundaries
    assert seo.keyword_density("", "x") == 0.0


def test_keyword_density_of_the_article():
    report = seo.score_text(ARTICLE, keyword="dental care", meta=META)
    body = seo.parse_structure(ARTICLE).body
    n = len(seo.words(body))
    assert n == 63  # counted by hand: 15 + (7 + 8 + 8) + (6 + 19) words in the three paragraphs
    assert report.keyword_density == pytest.approx(round(1 / n * 100, 4))  # once in the body (headings excluded)
    assert check(report, "keyword_density").status == "good"


def test_a_passive_sentence_is_found_and_an_active_one_is_not():
    assert seo.passive_flags(["The cake was eaten by the children.", "The children ate the cake."]) == [True, False]
    assert seo.passive_flags(["Our clinic has been recommended by thousands of families."]) == [True]
    assert seo.passive_flags(["We recommend flossing daily.", "She has eaten lunch."]) == [False, False]
    found = seo.passive_sentences(ARTICLE)
    assert found == ["The brush should be replaced every three months.",
                     "Problems are found early by the dentist, so treatment is cheaper and quicker than you think "
                     "when you wait."]


def test_sentences_and_long_sentence_share():
    long = "Now " + " ".join(["word"] * 20) + "."
    text = f"Short one here. {long} Another short one. Fine."
    assert [len(seo.words(s)) for s in seo.sentences(text)] == [3, 21, 3, 1]
    report = seo.score_text(text, profile="short")
    c = check(report, "long_sentences")
    assert c.value == 25.0 and c.status == "good"
    c2 = check(seo.score_text(f"Short one here. {long} {long}", profile="short"), "long_sentences")
    assert c2.value == pytest.approx(66.7) and c2.status == "bad" and "split them" in c2.suggestion


def test_structure_of_markdown_and_html():
    s = seo.parse_structure(ARTICLE)
    assert s.title == "Dental care guide for busy families"
    assert s.headings == [(2, "Daily dental care"), (2, "When to see a dentist")]
    assert len(s.paragraphs) == 3 and s.section_words == [15, 23, 25]
    html = ("<html><head><title>Braces for adults</title></head><body><h1>Braces for adults</h1>"
            "<p>Braces work at any age.</p><h2>How braces work</h2><p>They move teeth slowly.</p></body></html>")
    h = seo.parse_structure(html)
    assert h.title == "Braces for adults" and h.headings == [(2, "How braces work")]
    assert h.paragraphs == ["Braces work at any age.", "They move teeth slowly."]
    r = seo.score_text(html, keyword="braces")
    assert check(r, "keyword_in_title").status == "good" and check(r, "keyword_in_headings").status == "good"


def test_transition_words():
    assert seo.transition_flags(["However, it works.", "For example, this.", "It works.", "Nowhere to go."]) == \
        [True, True, False, False]


# ------------------------------------------------------------------ checks, suggestions, score


def test_good_article_scores_well_and_each_failing_check_has_a_suggestion():
    report = seo.score_text(ARTICLE, keyword="dental care", meta=META)
    names = [c.name for c in report.checks]
    assert names == ["keyword_density", "keyword_in_first_paragraph", "keyword_in_title", "keyword_in_headings",
                     "title_length", "meta_description_length", "keyword_in_meta", "flesch_reading_ease",
                     "long_sentences", "passive_voice", "transition_words", "paragraph_length",
                     "subheading_distribution"]
    assert check(report, "passive_voice").status == "bad"  # 2 of 7 sentences
    assert check(report, "passive_voice").value == pytest.approx(28.6)
    for c in report.checks:
        assert (c.status == "good") == (c.suggestion == ""), c
    assert 70 <= report.score <= 95
    assert report.score == seo.overall_score(report.checks)


def test_weak_text_scores_badly_with_concrete_suggestions():
    wall = " ".join(["It is considered by many experts that the implementation of comprehensive organisational "
                     "methodologies was recommended by the committee in order to facilitate institutional "
                     "effectiveness across the departments."] * 20)
    report = seo.score_text(wall, keyword="dental care", title="Hi")
    by = {c.name: c for c in report.checks}
    assert by["keyword_density"].status == "bad" and "dental care" in by["keyword_density"].suggestion
    assert by["title_length"].status == "bad" and "(2 now)" in by["title_length"].suggestion
    assert by["meta_description_length"].status == "bad"
    assert by["paragraph_length"].status == "bad" and by["subheading_distribution"].status == "bad"
    assert by["flesch_reading_ease"].status == "bad"
    assert by["passive_voice"].status == "bad" and "It is considered" in by["passive_voice"].suggestion
    assert report.score < 25


def test_overall_score_weights():
    checks = [seo.Check("a", "A", 1, "", "good", weight=1), seo.Check("b", "B", 1, "", "ok", weight=1),
              seo.Check("c", "C", 1, "", "bad", weight=2)]
    assert seo.overall_score(checks) == 38  # (1 + 0.5 + 0) / 4 = 37.5 -> 38


def test_empty_text_and_bad_keyword_are_bad_input():
    with pytest.raises(BadInputError, match="empty"):
        seo.score_text("   ")
    with pytest.raises(BadInputError, match="no words"):
        seo.score_text("Some text.", keyword="!!!")


# ------------------------------------------------------------------ CLI


def test_cli_seo_prints_the_contract_json(tmp_path, capsys):
    f = tmp_path / "post.md"
    f.write_text(ARTICLE, encoding="utf-8")
    rc = main(["seo", "--text-file", str(f), "--keyword", "dental care", "--meta", META, "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert {"score", "checks", "flesch_reading_ease", "keyword_density"} <= set(out)
    assert 0 <= out["score"] <= 100 and isinstance(out["flesch_reading_ease"], float)
    assert out["keyword_density"] == pytest.approx(100 / 63, abs=1e-3)
    for c in out["checks"]:
        assert {"name", "value", "target", "status", "suggestion"} <= set(c)
        assert c["status"] in ("good", "ok", "bad")
    title = next(c for c in out["checks"] if c["name"] == "title_length")
    assert title["value"] == len("Dental care guide for busy families")


def test_cli_seo_missing_file_exits_2(tmp_path, capsys):
    rc = main(["seo", "--text-file", str(tmp_path / "nope.txt"), "--format", "json"])
    err = capsys.readouterr().err
    assert rc == 2 and "No such text file" in err and len(err.strip().splitlines()) == 1
