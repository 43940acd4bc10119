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


# ------------------------------------------------------------------ one test per check (each can fail alone)


def _m(text: str, **kw) -> seo.TextMeasures:
    return seo.measure(text, **kw)


def test_check_keyword_density_bands_and_suggests_how_many_more():
    good = seo.check_keyword_density(_m("Dental care. " + "Brush teeth daily. " * 30, keyword="dental care"))
    assert good.status == "good" and good.value == pytest.approx(100 / 92, abs=0.01) and good.suggestion == ""
    low = seo.check_keyword_density(_m("Dental care. " + "Brush teeth daily. " * 83, keyword="dental care"))
    assert low.status == "ok" and 'about 1 more time(s): it appears 1x in 251 words' in low.suggestion
    none = seo.check_keyword_density(_m("Brush your teeth. " * 20, keyword="dental care"))
    assert none.status == "bad" and 'Use "dental care" about 1 more time(s)' in none.suggestion
    stuffed = seo.check_keyword_density(_m("Dental care, dental care, dental care.", keyword="dental care"))
    assert stuffed.status == "bad" and "synonyms" in stuffed.suggestion
    assert seo.check_keyword_density(_m("Dental care. " + "Brush teeth. " * 20, keyword="dental care"),
                                     (0.5, 5.0)).status == "good"


def test_check_keyword_in_first_paragraph():
    yes = seo.check_keyword_in_first_paragraph(_m("Dental care first.\n\nThen more.", keyword="dental care"))
    no = seo.check_keyword_in_first_paragraph(_m("Hello.\n\nDental care later.", keyword="dental care"))
    assert (yes.status, no.status) == ("good", "bad") and "opening paragraph" in no.suggestion


def test_check_keyword_in_title_with_and_without_a_title():
    assert seo.check_keyword_in_title(_m("Body.", keyword="teeth", title="Healthy teeth")).status == "good"
    missing = seo.check_keyword_in_title(_m("Body.", keyword="teeth"))
    assert missing.status == "bad" and missing.suggestion.startswith("Add a title")
    other = seo.check_keyword_in_title(_m("Body.", keyword="teeth", title="A guide"))
    assert other.status == "bad" and "near the start" in other.suggestion


def test_check_keyword_in_headings_counts_subheadings():
    c = seo.check_keyword_in_headings(_m("# T\n\nx\n\n## Dental care tips\n\ny\n\n## Other\n\nz", keyword="dental care"))
    assert (c.status, c.value) == ("good", "1/2")
    assert seo.check_keyword_in_headings(_m("Just text.", keyword="dental care")).status == "ok"


def test_check_title_length_bands():
    assert seo.check_title_length(_m("x", title="A" * 45)).status == "good"
    assert seo.check_title_length(_m("x", title="A" * 25)).status == "ok"
    long_ = seo.check_title_length(_m("x", title="A" * 80))
    assert long_.status == "bad" and "80 now" in long_.suggestion
    assert seo.check_title_length(_m("x")).status == "bad"


def test_check_meta_description_length_bands():
    assert seo.check_meta_description_length(_m("x", meta="m" * 140)).status == "good"
    short = seo.check_meta_description_length(_m("x", meta="m" * 90))
    assert short.status == "ok" and "Expand" in short.suggestion
    assert seo.check_meta_description_length(_m("x")).status == "bad"


def test_check_keyword_in_meta():
    assert seo.check_keyword_in_meta(_m("x", keyword="teeth", meta="White teeth fast")).status == "good"
    assert seo.check_keyword_in_meta(_m("x", keyword="teeth", meta="Nothing here")).status == "ok"


def test_check_flesch_reading_ease_bands():
    assert seo.check_flesch_reading_ease(_m(SIMPLE)).status == "good"
    hard = seo.check_flesch_reading_ease(_m("Notwithstanding considerable organisational complexity, comprehensive "
                                            "interdisciplinary collaboration facilitates institutional effectiveness."))
    assert hard.status == "bad" and "shorter sentences" in hard.suggestion


def test_check_long_sentences_share():
    long_sentence = " ".join(["word"] * 25) + "."
    c = seo.check_long_sentences(_m(long_sentence + " Short one. Short two."))
    assert c.value == pytest.approx(33.3) and c.status == "ok" and "longest 25" in c.suggestion
    assert seo.check_long_sentences(_m(SIMPLE)).status == "good"


def test_check_passive_voice_share_and_example():
    c = seo.check_passive_voice(_m("The ball was thrown by the boy. The dog ran. The cat sat."))
    assert c.status == "bad" and c.value == pytest.approx(33.3) and "The ball was thrown" in c.suggestion
    assert seo.check_passive_voice(_m(SIMPLE)).status == "good"


def test_check_transition_words_share():
    assert seo.check_transition_words(_m("However, it works. Therefore, we go. Also fine.")).status == "good"
    assert seo.check_transition_words(_m("It works. We go. All fine. Done.")).status == "bad"
    assert seo.check_transition_words(_m("Two sentences. Only.")).status == "good"  # too few to judge


def test_check_paragraph_length():
    assert seo.check_paragraph_length(_m("word " * 120)).status == "good"
    c = seo.check_paragraph_length(_m("word " * 210))
    assert c.status == "bad" and c.value == 210


def test_check_subheading_distribution():
    assert seo.check_subheading_distribution(_m("word " * 200)).status == "good"
    c = seo.check_subheading_distribution(_m(("word " * 100 + "\n\n") * 4))
    assert c.status == "bad" and c.value == 400


def test_checks_for_profiles():
    m = _m(ARTICLE, keyword="dental care", meta=META)
    assert [c.name for c in seo.checks_for(m)] == [
        "keyword_density", "keyword_in_first_paragraph", "keyword_in_title", "keyword_in_headings", "title_length",
        "meta_description_length", "keyword_in_meta", "flesch_reading_ease", "long_sentences", "passive_voice",
        "transition_words", "paragraph_length", "subheading_distribution"]
    assert [c.name for c in seo.checks_for(_m(SIMPLE), profile="short")] == [
        "flesch_reading_ease", "long_sentences", "passive_voice"]


# ------------------------------------------------------------------ keyphrase words in any order and any form (Yoast)


@pytest.mark.parametrize("heading, keyword, reflects", [
    ("Implants for dentists", "dentist implant", True),          # any order, plural forms
    ("Booking your implant consultation", "book implant consultations", True),
    ("Why dental care matters", "dental care", True),
    ("Caring for kids", "dental care", False),                   # one of two content words only
    ("Dental implants in Austin explained", "best dental implants austin texas", True),  # 3 of 4 > half
    ("Dental tips", "best dental implants austin texas", False),  # 1 of 4
    ("The best of the best", "the best", False),                  # only function words in the keyphrase
])
def test_a_subheading_reflects_the_keyphrase_in_any_order_and_form(heading, keyword, reflects):
    assert seo.reflects_keyphrase(heading, keyword) is reflects


def test_keyword_in_headings_counts_inflected_reordered_subheadings():
    text = ("# Dental implants guide\n\nDental implants replace teeth.\n\n## Implants for dentists\n\nText.\n\n"
            "## Pricing\n\nMore text.")
    c = seo.check_keyword_in_headings(seo.measure(text, keyword="dentist implant"))
    assert (c.status, c.value) == ("good", "1/2")
    assert seo.check_keyword_in_headings(seo.measure(text, keyword="dental crowns")).status == "bad"


def test_keyword_in_title_exact_is_good_reordered_or_inflected_is_ok():
    exact = seo.check_keyword_in_title(seo.measure("x", keyword="dental implants", title="Dental implants in Austin"))
    loose = seo.check_keyword_in_title(seo.measure("x", keyword="dental implants", title="Implant dentistry, dental"))
    assert (exact.status, loose.status) == ("good", "ok") and "exact phrase" in loose.suggestion


def test_keyword_in_first_paragraph_accepts_one_sentence_with_all_words_in_any_form():
    c = seo.check_keyword_in_first_paragraph(seo.measure("Our implants suit every dentist's patients. More.",
                                                        keyword="dentist implant"))
    assert c.status == "good"
    c = seo.check_keyword_in_first_paragraph(seo.measure("Our implants last. A dentist helps.", keyword="dentist implant"))
    assert c.status == "bad"  # the words are split over two sentences
