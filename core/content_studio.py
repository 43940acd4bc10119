"""Content studio: on-brief ad copy, social posts and blog drafts, with platform limits.

Two modes, never confused:

- ``llm``: the Chat Completions API of an OpenAI-compatible service (OpenAI, vLLM,
  Ollama, llama.cpp...) through the official ``openai`` client, configured by
  ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` / ``OPENAI_MODEL``. The model is asked for
  JSON variants (``response_format={"type": "json_object"}``, dropped for servers that
  reject it); the answer is parsed robustly (JSON, fenced JSON, JSON inside prose).
  Retries are ours (the client runs with ``max_retries=0``): a rate limit waits what
  ``Retry-After`` says (capped), server errors back off exponentially, a bad key or a
  timeout fails at once with a clear message.
- ``template``: offline copy assembled from templates filled with the brief's product,
  offer, keywords and call to action (a light rule parser of the brief). It is labelled
  as templates everywhere it is shown.

Every variant is cut to the platform's hard limits (at a word boundary, with a flag
saying so) and flagged where it exceeds a recommended length. Images go through the
images API and are cached on disk by a hash of (model, size, prompt), so the same
prompt costs once.

Examples
--------
>>> from core.config import Settings
>>> gen = generate(ContentRequest(brief="Promote our dental clinic, 20% off the first visit. Book now.",
...                               platform="google_search", n=2), Settings())
>>> gen.mode, len(gen.variants), all(len(v.headline) <= 30 for v in gen.variants)
('template', 2, True)
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import hashlib
import json
import re
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pandas as pd

from core.config import Settings
from core.errors import BadInputError, ConfigError, WorkbenchError

TEMPLATE_MODEL = "templates-v1"
HISTORY_TABLE = "content_generations"
NO_SERVICE = ("No AI service is configured. Set OPENAI_API_KEY (and OPENAI_BASE_URL for a self-hosted "
              "OpenAI-compatible server such as vLLM, Ollama or llama.cpp; OPENAI_MODEL for the model name) "
              "in the environment or .streamlit/secrets.toml.")
IMAGES_NEED_SERVICE = ("Images need a configured AI service: set OPENAI_API_KEY (and OPENAI_BASE_URL, "
                       "OPENAI_IMAGE_MODEL) to create images.")
FIELDS = ("headline", "description", "body")


class ServiceError(WorkbenchError):
    """The AI service failed (rate limit, server error, timeout, unreadable answer)."""

    title = "The AI service failed"


class BadKeyError(BadInputError):
    """The AI service rejected the API key (the CLI exits 2)."""

    title = "The AI service rejected the key"


# ----------------------------------------------------------------------------- platforms


@dataclass(frozen=True)
class FieldLimit:
    """A field's limits in characters: ``max`` is enforced, ``recommended`` is flagged."""

    label: str
    max: int | None = None
    recommended: int | None = None


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    label: str
    fields: dict[str, FieldLimit]
    max_hashtags: int = 0
    recommended_hashtags: int | None = None
    formats: tuple[str, ...] = ()
    # the whole post (body + hashtags) must fit this, when set (Instagram captions)
    max_total: int | None = None
    guidance: str = ""

    @property
    def limits(self) -> dict[str, int]:
        """Hard limits per field, as printed by ``python -m core generate``."""
        out = {k: f.max for k, f in self.fields.items() if f.max is not None}
        if self.max_hashtags:
            out["hashtags"] = self.max_hashtags
        return out

    @property
    def recommended(self) -> dict[str, int]:
        return {k: f.recommended for k, f in self.fields.items() if f.recommended is not None}


PLATFORMS: dict[str, PlatformSpec] = {
    "google_search": PlatformSpec(
        "google_search", "Google responsive search ad",
        {"headline": FieldLimit("Headline", 30), "description": FieldLimit("Description", 90)},
        formats=("responsive search ad",),
        guidance="Google responsive search ad: each headline at most 30 characters, each description at most "
                 "90 characters (count every character, spaces included). body must be an empty string and "
                 "hashtags an empty list."),
    "facebook": PlatformSpec(
        "facebook", "Meta (Facebook) ad or post",
        {"headline": FieldLimit("Headline", 255, 40), "description": FieldLimit("Description", 255, 30),
         "body": FieldLimit("Primary text", 2200, 125)},
        max_hashtags=10, recommended_hashtags=3, formats=("feed ad", "organic post", "story ad"),
        guidance="Meta ad: primary text (body) ideally at most 125 characters so it is not cut, headline "
                 "ideally at most 40 characters, description (link description) ideally at most 30."),
    "instagram": PlatformSpec(
        "instagram", "Instagram caption",
        {"headline": FieldLimit("First line", 125, 40), "description": FieldLimit("Alt text", 255, 125),
         "body": FieldLimit("Caption", 2200, 125)},
        max_hashtags=30, recommended_hashtags=5, formats=("feed post", "reel caption", "story"),
        max_total=2200,
        guidance="Instagram: the caption (body) may be up to 2,200 characters including hashtags, but only "
                 "about the first 125 show before 'more', so open with the hook (headline = the first line). "
                 "description = short image alt text. At most 30 hashtags (3-5 is best)."),
    "linkedin": PlatformSpec(
        "linkedin", "LinkedIn sponsored content or post",
        {"headline": FieldLimit("Headline", 200, 70), "description": FieldLimit("Description", 300, 100),
         "body": FieldLimit("Introductory text", 600, 150)},
        max_hashtags=5, recommended_hashtags=3, formats=("sponsored content", "organic post"),
        guidance="LinkedIn sponsored content: introductory text (body) ideally at most 150 characters, at most "
                 "600; headline ideally at most 70 characters; professional, specific, no hype."),
    "blog": PlatformSpec(
        "blog", "Blog post",
        {"headline": FieldLimit("Title", 60), "description": FieldLimit("Meta description", 160, 155),
         "body": FieldLimit("Post (markdown)")},
        formats=("blog post", "how-to guide", "listicle"),
        guidance="Blog post: headline = the SEO title (at most 60 characters, keyword near the start), "
                 "description = the meta description (at most 160 characters), body = the post in markdown "
                 "with ## subheadings every 200-300 words, short paragraphs and a closing call to action. "
                 "hashtags an empty list."),
}
TONES = ("friendly", "professional", "playful", "urgent", "luxury", "empathetic")
LENGTHS = {"short": (0.5, 300), "medium": (1.0, 600), "long": (1.6, 1000)}  # (social factor, blog words)


@dataclass(frozen=True)
class ContentRequest:
    """What to write. ``keywords`` lead the SEO score; ``audience`` may be a segment's name."""

    brief: str
    platform: str
    format: str = ""
    tone: str = "friendly"
    audience: str = ""
    keywords: tuple[str, ...] = ()
    length: str = "medium"
    n: int = 3

    def validated(self) -> "ContentRequest":
        brief = (self.brief or "").strip()
        if not brief:
            raise BadInputError("Write a brief first: what you promote, for whom, the offer and the action wanted.")
        if len(brief) > 4000:
            raise BadInputError("The brief is longer than 4,000 characters: keep it to the essentials.")
        if self.platform not in PLATFORMS:
            raise BadInputError(f"Unknown platform '{self.platform}'. Use one of: {', '.join(PLATFORMS)}.")
        if not 1 <= int(self.n) <= 10:
            raise BadInputError("Ask for between 1 and 10 variants.")
        if self.length not in LENGTHS:
            raise BadInputError(f"Length must be one of {', '.join(LENGTHS)}.")
        kws = tuple(k.strip() for k in self.keywords if k and k.strip())
        spec = PLATFORMS[self.platform]
        fmt = self.format or spec.formats[0]
        return replace(self, brief=brief, keywords=kws, n=int(self.n), format=fmt,
                       tone=(self.tone or "friendly").strip().lower())


def split_keywords(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"a, b;c"`` -> ``("a", "b", "c")`` (order kept, duplicates dropped)."""
    if not text:
        return ()
    items = re.split(r"[,;\n]", text) if isinstance(text, str) else list(text)
    seen: dict[str, str] = {}
    for k in items:
        k = re.sub(r"\s+", " ", str(k)).strip()
        if k and k.lower() not in seen:
            seen[k.lower()] = k
    return tuple(seen.values())


# ----------------------------------------------------------------------------- variants and limits


@dataclass
class Variant:
    headline: str = ""
    description: str = ""
    body: str = ""
    hashtags: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    score: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def truncate_words(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary (no dangling punctuation)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else text[:limit]
    return cut.rstrip(" ,;:-\u2013\u2014&/").rstrip() or text[:limit]


def clean_hashtags(tags: Any) -> list[str]:
    """Hashtags without ``#``, spaces or punctuation; duplicates dropped (case-insensitive)."""
    if isinstance(tags, str):
        tags = re.split(r"[\s,]+", tags)
    out: list[str] = []
    seen: set[str] = set()
    for t in tags or []:
        t = re.sub(r"[^\w]", "", str(t).replace("#", ""), flags=re.UNICODE)
        if t and t.lower() not in seen:
            seen.add(t.lower())
            out.append(t)
    return out


def variant_text(v: Variant, platform: str) -> str:
    """The text of a variant as it would run (what an A/B arm and the SEO score see)."""
    tags = " ".join(f"#{h}" for h in v.hashtags)
    if platform == "google_search":
        return f"{v.headline} | {v.description}"
    if platform == "blog":
        return f"# {v.headline}\n\n{v.body}".strip()
    parts = [v.headline if platform in ("facebook", "linkedin") else "", v.body or v.description, tags]
    return "\n\n".join(p for p in parts if p).strip()


def enforce_limits(v: Variant, platform: str) -> Variant:
    """Cut every field to the platform's hard limit (word boundary) and flag what was changed or is long."""
    spec = PLATFORMS[platform]
    out = Variant(**{k: getattr(v, k) for k in FIELDS}, hashtags=clean_hashtags(v.hashtags), flags=[])
    for name in FIELDS:
        lim = spec.fields.get(name)
        value = (getattr(out, name) or "").strip()
        if name != "body":
            value = re.sub(r"\s+", " ", value)
        if lim is None:  # a field the platform does not have (a Google ad's body) is left out
            setattr(out, name, "")
            continue
        if lim.max is not None and len(value) > lim.max:
            cut = truncate_words(value, lim.max)
            out.flags.append(f"{lim.label} shortened from {len(value)} to {len(cut)} characters (limit {lim.max})")
            value = cut
        elif lim.recommended is not None and len(value) > lim.recommended:
            out.flags.append(f"{lim.label} is {len(value)} characters; {lim.recommended} or fewer is recommended")
        setattr(out, name, value)
    if len(out.hashtags) > spec.max_hashtags:
        if spec.max_hashtags:
            out.flags.append(f"{len(out.hashtags)} hashtags cut to the limit of {spec.max_hashtags}")
        out.hashtags = out.hashtags[:spec.max_hashtags]
    elif spec.recommended_hashtags and len(out.hashtags) > spec.recommended_hashtags:
        out.flags.append(f"{len(out.hashtags)} hashtags; {spec.recommended_hashtags} or fewer usually work better")
    if spec.max_total is not None:
        tags = " ".join(f"#{h}" for h in out.hashtags)
        room = spec.max_total - (len(tags) + 2 if tags else 0)
        if len(out.body) > room:
            cut = truncate_words(out.body, room) if "\n" not in out.body else out.body[:room].rstrip()
            out.flags.append(f"Caption shortened to fit {spec.max_total} characters with its hashtags")
            out.body = cut
    out.flags = list(dict.fromkeys([*v.flags, *out.flags]))
    return out


# ----------------------------------------------------------------------------- brief facts and templates


@dataclass(frozen=True)
class BriefFacts:
    """What the template mode fills in, read from the brief by rules."""

    product: str
    offer: str
    cta: str
    keywords: tuple[str, ...]
    audience: str


_OFFER_PATTERNS = (
    r"\b\d{1,3}\s?%\s?off(?:\s+(?:the|your|our|all|every)?\s*[a-z]+(?:\s+[a-z]+)?)?",
    r"[$\u00a3\u20ac]\s?\d[\d,.]*\s+off(?:\s+(?:the|your)?\s*[a-z]+(?:\s+[a-z]+)?)?",
    r"\b(?:buy one,? get one(?: free)?|bogo)\b",
    r"\bfree\s+(?:shipping|delivery|trial|consultation|quote|estimate|demo|first\s+[a-z]+|[a-z]+)(?:\s+(?:for|on)\s+[a-z0-9 ]{2,20}?)?(?=[,.;!?]|$|\s+(?:and|to|for|with)\b)",
    r"\b(?:first|1st)\s+(?:month|visit|class|session|lesson|week)s?\s+free\b",
    r"\bsave\s+(?:up\s+to\s+)?[$\u00a3\u20ac]?\d[\d,.]*%?",
)
_CTA_RULES = (
    (r"\bbook(?:ing|ings)?\b|\bappointment", "Book now"),
    (r"\bdemo\b", "Book a demo"),
    (r"\b(?:free )?trial\b", "Start your free trial"),
    (r"\bquote|estimate\b", "Get a free quote"),
    (r"\bsign(?:\s|-)?ups?\b|\bregist|\bjoin\b|\benrol", "Sign up today"),
    (r"\bdownload|\binstall", "Download now"),
    (r"\bcall\b|\bphone", "Call us today"),
    (r"\bshop|\bbuy\b|\border|\bpurchas|\bsales?\b|\bstore\b", "Shop now"),
    (r"\bvisit|\bfoot traffic|\bwalk-?ins?\b", "Visit us today"),
    (r"\bleads?\b|\benquir|\binquir|\bcontact", "Get in touch"),
)
_PRODUCT_PATTERNS = (
    r"\b(?:promote|promoting|launch|launching|sell|selling|advertise|advertising|market|marketing|for)\s+"
    r"(?:our|my|the|a|an|their)\s+(?:new\s+)?([a-z][a-z0-9&'\- ]{2,40}?)"
    r"(?=\s*(?:[,.;:!?()]|$|\s(?:to|in|for|with|that|who|which|and|on|at|near|by|this|next|about|around|\d)\b))",
    r"\b(?:our|my)\s+(?:new\s+)?([a-z][a-z0-9&'\- ]{2,40}?)(?=\s*(?:[,.;:!?()]|$|\s(?:to|in|for|with|that|is|and)\b))",
    # "We're a dental clinic in Austin ..."
    r"\b(?:we are|we're|i am|i'm)\s+(?:a|an)\s+([a-z][a-z0-9&'\- ]{2,40}?)(?=\s*(?:[,.;:!?()]|$|\s(?:in|for|with|that|and|near|at)\b))",
    # A brief that opens with the business: "Dental clinic in Austin, 20% off whitening"
    r"^(?!(?:we|i|our|my|you|they|it|this|please|need|want|looking|get|more)\b)(?:an?\s+|the\s+)?"
    r"([a-z][a-z0-9&'\- ]{2,40}?)(?=\s*(?:[,.;:!?()]|$|\s(?:in|for|near|at|with)\b))",
)
DEFAULT_PRODUCT = "service"
_BUDGET_WORDS = re.compile(r"\b(budget|spend|month|week|day|leads?|sales|campaign|ads?)\b", re.IGNORECASE)


def brief_facts(brief: str, keywords: Sequence[str] = (), audience: str = "", *, use_spacy: bool = False) -> BriefFacts:
    """Product, offer, call to action and keywords read from a brief by simple rules.

    Examples
    --------
    >>> f = brief_facts("We want to promote our dental clinic in Austin with 20% off the first visit. Book online.")
    >>> f.product, f.offer, f.cta
    ('dental clinic', '20% off the first visit', 'Book now')
    """
    text = re.sub(r"\s+", " ", brief or "").strip()
    low = text.lower()
    product = ""
    for pat in _PRODUCT_PATTERNS:
        for m in re.finditer(pat, low):
            cand = m.group(1).strip(" -'")
            if cand and not _BUDGET_WORDS.search(cand) and len(cand.split()) <= 5:
                product = cand
                break
        if product:
            break
    if not product and use_spacy:
        product = _spacy_product(text)
    if not product and keywords:
        product = keywords[0]
    product = product or DEFAULT_PRODUCT
    offer = ""
    for pat in _OFFER_PATTERNS:
        m = re.search(pat, low)
        if m:
            offer = m.group(0).strip(" ,.")
            break
    cta = next((c for pat, c in _CTA_RULES if re.search(pat, low)), "Learn more")
    kws = tuple(keywords) or (product,) if product != DEFAULT_PRODUCT else tuple(keywords)
    return BriefFacts(product=product, offer=offer, cta=cta, keywords=kws, audience=(audience or "").strip())


def _spacy_product(text: str) -> str:
    try:
        from core.seo import _nlp

        doc = _nlp()(text)
    except Exception:  # spaCy is optional here; rules already ran
        return ""
    for chunk in doc.noun_chunks:
        root = chunk.root
        if root.pos_ in ("NOUN", "PROPN") and not _BUDGET_WORDS.search(chunk.text) and root.lower_ not in ("we", "i"):
            return " ".join(t.text for t in chunk if t.dep_ not in ("det", "poss")).lower()
    return ""


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _title(s: str) -> str:
    small = {"a", "an", "the", "and", "or", "for", "of", "to", "in", "on", "at", "with"}
    parts = s.split()
    return " ".join(w if (i and w.lower() in small) else _cap(w) for i, w in enumerate(parts))


_TONE_OPENERS = {
    "friendly": ("Looking for the right {product}?", "Meet your new favourite {product}.",
                 "Say hello to better {product}."),
    "professional": ("{Product}, done right.", "Trusted {product} for {audience}.", "{Product} you can rely on."),
    "playful": ("Psst... {product} alert!", "Your {product} glow-up starts here.", "Who said {product} can't be fun?"),
    "urgent": ("Don't miss out on {product}.", "Last chance: {product}.", "Act now: {product}."),
    "luxury": ("{Product}, elevated.", "Discover exceptional {product}.", "The art of {product}."),
    "empathetic": ("We know finding {product} is hard.", "{Product} that puts you first.",
                   "You deserve {product} that cares."),
}
_HEADLINES = ("{Product}: {Offer}", "{Cta}: {Offer}", "Try {Product} Today", "{Product} - {Cta}",
              "Top-Rated {Product}", "{Kw} Made Easy", "{Product}", "{Offer}")
_BLOG_TITLES = ("{Kw}: A Simple Guide for {Audience}", "How to Choose the Right {Product}",
                "{Kw}: What to Know Before You Start", "{Kw} Explained", "{Product}")
_DESCRIPTIONS = ("The {product} made for {audience}. {Offer_s}{Cta}.", "{Opener} {Offer_s}{Cta}.",
                 "Discover {kw} made for your life. {Offer_s}{Cta}.", "Quality {product}, fair prices. {Cta}.")
_SHORT_DESCRIPTIONS = ("{Offer}", "{Cta}", "Made for {audience}", "Quality {product}", "{Kw}, simplified")
_BODIES = ("{Opener} {Offer_s}Designed for {audience}. {Cta}!",
           "{Opener} Here's why people choose our {product}: it's simple, reliable and built around {kw}. "
           "{Offer_s}{Cta}.",
           "{Offer_s}{Opener} {Cta} and see the difference for yourself.")


def _fill(template: str, f: BriefFacts, i: int, tone: str) -> str:
    kw = f.keywords[i % len(f.keywords)] if f.keywords else f.product
    openers = _TONE_OPENERS.get(tone, _TONE_OPENERS["friendly"])
    audience = f.audience or "you"
    values = {"product": f.product, "Product": _title(f.product), "offer": f.offer, "Offer": _title(f.offer),
              "Offer_s": f"{_cap(f.offer)}. " if f.offer else "", "cta": f.cta.lower(), "Cta": f.cta, "kw": kw,
              "Kw": _title(kw), "audience": audience,
              "Audience": _title(f.audience) if f.audience else "Beginners"}
    values["Opener"] = openers[i % len(openers)].format(**values)
    return re.sub(r"\s+", " ", template.format(**values)).replace(" .", ".").strip()


def _pick(templates: Sequence[str], f: BriefFacts, i: int, tone: str, limit: int | None) -> str:
    """The i-th distinct filled template that fits ``limit`` (rotating); the shortest one if none fits."""
    filled: list[str] = []
    for t in templates:
        if ("{Offer}" in t or "{Offer_s}" in t and "{Opener}" not in t and "{Product}" not in t) and not f.offer:
            continue
        s = _fill(t, f, i, tone)
        if s not in filled:
            filled.append(s)
    fits = [s for s in filled if limit is None or len(s) <= limit]
    if fits:
        return fits[i % len(fits)]
    return min(filled, key=len) if filled else _fill(templates[0], f, i, tone)


def template_variants(req: ContentRequest) -> list[Variant]:
    """Offline copy from templates (labelled as such by the caller); :func:`finish` enforces the limits."""
    req = req.validated()
    spec = PLATFORMS[req.platform]
    f = brief_facts(req.brief, req.keywords, req.audience)
    out: list[Variant] = []
    for i in range(req.n):
        hl = spec.fields.get("headline")
        de = spec.fields.get("description")
        titles = _BLOG_TITLES if req.platform == "blog" else _HEADLINES
        headline = _pick(titles, f, i, req.tone, hl.recommended or hl.max if hl else None)
        de_limit = (de.recommended or de.max) if de else None
        description = _pick(_SHORT_DESCRIPTIONS if de_limit and de_limit <= 40 else _DESCRIPTIONS, f, i, req.tone,
                            de_limit)
        body = ""
        if req.platform == "blog":
            body = _blog_body(f, i, req)
        elif "body" in spec.fields:
            body = _pick(_BODIES, f, i, req.tone, None)
            if req.length == "short":
                body = _pick(_BODIES, f, i, req.tone, spec.fields["body"].recommended)
        tags = []
        if spec.max_hashtags:
            k = spec.recommended_hashtags or 3
            tags = clean_hashtags([re.sub(r"\s+", "", _title(k_)) for k_ in (*f.keywords, f.product)])[:k]
        out.append(Variant(headline, description, body, tags))
    return out


def _blog_body(f: BriefFacts, i: int, req: ContentRequest) -> str:
    kw = f.keywords[0] if f.keywords else f.product
    audience = f.audience or "readers like you"
    sections = {"short": 2, "medium": 3, "long": 5}[req.length]
    heads = [f"Why {kw} matters", f"How to choose {f.product}", f"What to expect from {kw}",
             f"Common questions about {f.product}", f"Getting started with {kw}"]
    paras = [
        f"Many {audience} think about {kw}. In this guide we explain what to look for "
        f"and how our {f.product} can help.",
    ]
    for h in heads[:sections]:
        paras.append(f"## {_cap(h)}")
        paras.append(f"First, think about what you need. For example, {audience} often want clear prices, "
                     f"friendly service and quick results. Our {f.product} is built around exactly that.")
        paras.append(f"However, every case is different. Therefore, talk to us about your goals and we will "
                     f"suggest the right option for you.")
    close = f"{_cap(f.offer)}. " if f.offer else ""
    paras.append(f"## Ready to start?\n\n{close}{f.cta} and see how easy {kw} can be.")
    return "\n\n".join(paras)


# ----------------------------------------------------------------------------- prompt and parsing


def build_messages(req: ContentRequest) -> list[dict[str, str]]:
    """The chat messages asking for ``req.n`` JSON variants."""
    req = req.validated()
    spec = PLATFORMS[req.platform]
    factor, blog_words = LENGTHS[req.length]
    if req.platform == "blog":
        length = f"about {blog_words} words in the body"
    else:
        rec = spec.fields.get("body")
        base = rec.recommended if rec and rec.recommended else 90
        length = f"body around {int(base * factor)} characters"
    system = ("You are a senior performance-marketing copywriter. You write accurate, on-brief copy and never "
              "invent prices, offers or claims that are not in the brief. Reply with JSON only, no prose, in "
              'exactly this shape: {"variants": [{"headline": "...", "description": "...", "body": "...", '
              '"hashtags": ["..."]}]}. Count characters carefully: limits are hard.')
    lines = [
        f"Brief: {req.brief}",
        f"Platform and format: {spec.label}, {req.format}.",
        f"Rules: {spec.guidance}",
        f"Tone: {req.tone}.",
        f"Audience: {req.audience}." if req.audience else "",
        f"Keywords to work in naturally: {', '.join(req.keywords)}." if req.keywords else "",
        f"Length: {length}.",
        f"Write {req.n} distinct variants (different angles, not rephrasings).",
    ]
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n".join(l for l in lines if l)}]


_KEY_ALIASES = {"title": "headline", "headline_text": "headline", "hook": "headline",
                "meta_description": "description", "meta": "description", "subheadline": "description",
                "primary_text": "body", "text": "body", "caption": "body", "content": "body", "post": "body",
                "intro": "body", "introductory_text": "body", "tags": "hashtags"}


def extract_json(text: str) -> Any:
    """The first JSON object or array in ``text`` (bare, fenced, or inside prose)."""
    text = (text or "").strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL | re.IGNORECASE)
    if fence:
        try:
            return json.loads(fence.group(1).strip())
        except json.JSONDecodeError:
            pass
    decoder = json.JSONDecoder()
    for m in re.finditer(r"[{\[]", text):
        try:
            obj, _ = decoder.raw_decode(text[m.start():])
        except json.JSONDecodeError:
            continue
        if isinstance(obj, (dict, list)) and obj:
            return obj
    raise ServiceError("The AI service answered, but not with the JSON variants asked for. Try again, "
                       "or choose a model that follows instructions better (OPENAI_MODEL).")


def parse_variants(text: str) -> list[Variant]:
    """Variants from a model's answer: ``{"variants": [...]}``, a list, or one variant object."""
    obj = extract_json(text)
    if isinstance(obj, dict):
        items = next((v for k, v in obj.items() if k.lower() in ("variants", "ads", "posts", "options", "copies")
                      and isinstance(v, list)), None)
        items = items if items is not None else [obj]
    else:
        items = obj
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(Variant(body=item))
            continue
        if not isinstance(item, dict):
            continue
        d: dict[str, Any] = {}
        for k, v in item.items():
            key = _KEY_ALIASES.get(str(k).lower(), str(k).lower())
            if key in FIELDS and key not in d:
                d[key] = v if isinstance(v, str) else " ".join(map(str, v)) if isinstance(v, list) else str(v)
            elif key == "hashtags":
                d["hashtags"] = v
        if any(d.get(k) for k in FIELDS):
            out.append(Variant(**{k: d.get(k, "") for k in FIELDS}, hashtags=clean_hashtags(d.get("hashtags"))))
    if not out:
        raise ServiceError("The AI service's answer held no usable variants. Try again or rephrase the brief.")
    return out


# ----------------------------------------------------------------------------- service calls


@dataclass
class RetryPolicy:
    """Our retries (the client's own are off): Retry-After honoured up to ``max_wait_s``."""

    max_attempts: int = 3
    base_delay_s: float = 1.0
    max_wait_s: float = 20.0
    sleep: Callable[[float], None] = time.sleep


def retry_after_s(exc: Any) -> float | None:
    """Seconds a 429/503 answer asks us to wait (``retry-after-ms`` or ``Retry-After``: seconds or a date)."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    ra = headers.get("retry-after")
    if not ra:
        return None
    try:
        return max(0.0, float(ra))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(ra)
            return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None


def _redact(message: str, settings: Settings) -> str:
    message = str(message or "")
    if settings.openai_api_key:
        message = message.replace(settings.openai_api_key, "***")
    message = re.sub(r"\b(sk-[A-Za-z0-9_\-]{2})[A-Za-z0-9_\-*]{6,}", r"\1***", message)
    return message[:300]


def _where(settings: Settings) -> str:
    return settings.openai_base_url or "api.openai.com"


def call_with_retries(call: Callable[[], Any], settings: Settings, policy: RetryPolicy | None = None,
                      waits: list[float] | None = None, what: str = "the request") -> Any:
    """Run ``call`` mapping ``openai`` errors to :class:`WorkbenchError`; retry what can be retried.

    Rate limits wait ``Retry-After`` (refusing waits longer than ``policy.max_wait_s``);
    5xx and connection errors back off exponentially; 401/403 and timeouts fail at once.
    Each wait is appended to ``waits``.
    """
    import openai

    policy = policy or RetryPolicy()
    waits = waits if waits is not None else []
    for attempt in range(1, policy.max_attempts + 1):
        backoff = min(policy.max_wait_s, policy.base_delay_s * 2 ** (attempt - 1))
        try:
            return call()
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise BadKeyError(f"The AI service at {_where(settings)} rejected the API key "
                              f"(HTTP {exc.status_code}). Check OPENAI_API_KEY (and OPENAI_BASE_URL for your own "
                              "server).") from None
        except openai.RateLimitError as exc:
            wait = retry_after_s(exc)
            if wait is not None and wait > policy.max_wait_s:
                raise ServiceError(f"The AI service is rate limiting {what} and asks to wait {wait:.0f} s. "
                                   "Try again later; your inputs are kept.", "Rate limited") from None
            if attempt == policy.max_attempts:
                raise ServiceError(f"The AI service is still rate limiting {what} after {attempt} tries "
                                   f"(waited {sum(waits):.1f} s in all). Try again in a minute; your inputs are "
                                   "kept.", "Rate limited") from None
            wait = backoff if wait is None else wait
        except openai.APITimeoutError:
            raise ServiceError(f"The AI service at {_where(settings)} did not answer within "
                               f"{settings.openai_timeout_s:g} s. Try again, ask for fewer or shorter variants, or "
                               "raise OPENAI_TIMEOUT.", "The AI service timed out") from None
        except openai.APIConnectionError:
            if attempt == policy.max_attempts:
                raise ServiceError(f"Cannot reach the AI service at {_where(settings)}. Check OPENAI_BASE_URL "
                                   "and that the server is running.", "The AI service is unreachable") from None
            wait = backoff
        except openai.NotFoundError as exc:
            raise ServiceError(f"The AI service has no such model or endpoint ({_redact(exc.message, settings)}). "
                               "Check OPENAI_MODEL / OPENAI_IMAGE_MODEL and OPENAI_BASE_URL.") from None
        except openai.APIStatusError as exc:
            if exc.status_code < 500 and exc.status_code not in (408, 409):
                raise ServiceError(f"The AI service refused {what} (HTTP {exc.status_code}): "
                                   f"{_redact(exc.message, settings)}") from None
            if attempt == policy.max_attempts:
                raise ServiceError(f"The AI service had a server error (HTTP {exc.status_code}) "
                                   f"{attempt} times in a row. Try again later; your inputs are kept.") from None
            wait = retry_after_s(exc)
            wait = backoff if wait is None or wait > policy.max_wait_s else wait
        except openai.APIError as exc:  # e.g. a broken stream
            raise ServiceError(f"The AI service failed: {_redact(str(exc), settings)}") from None
        waits.append(wait)
        policy.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def make_client(settings: Settings):
    """The official client for the configured service; our retries, not its own."""
    if not settings.llm_enabled:
        raise ConfigError(NO_SERVICE)
    import openai

    return openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                         timeout=settings.openai_timeout_s, max_retries=0)


def _create_chat(client: Any, settings: Settings, messages: list[dict[str, str]], *, stream: bool,
                 policy: RetryPolicy | None, waits: list[float]) -> Any:
    """One chat call, asking for JSON mode first and retrying without it if the server rejects it."""
    import openai

    def call(json_mode: bool) -> Any:
        kw: dict[str, Any] = {"model": settings.openai_model, "messages": messages, "temperature": 0.8}
        if json_mode:
            kw["response_format"] = {"type": "json_object"}
        if stream:
            kw["stream"] = True
        return client.chat.completions.create(**kw)

    try:
        return call_with_retries(lambda: _raw(call, True), settings, policy, waits, "the generation")
    except _JsonModeRejected:
        return call_with_retries(lambda: call(False), settings, policy, waits, "the generation")


class _JsonModeRejected(Exception):
    pass


def _raw(call: Callable[[bool], Any], json_mode: bool) -> Any:
    import openai

    try:
        return call(json_mode)
    except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
        if json_mode:
            raise _JsonModeRejected() from exc
        raise


# ----------------------------------------------------------------------------- generation


@dataclass
class Generation:
    """One generation: the request, its variants and how they were made."""

    request: ContentRequest
    mode: str
    model: str
    variants: list[Variant]
    generation_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created_at: pd.Timestamp = field(default_factory=lambda: pd.Timestamp.now(tz="UTC"))
    waits: list[float] = field(default_factory=list)
    raw: str = ""

    @property
    def spec(self) -> PlatformSpec:
        return PLATFORMS[self.request.platform]

    @property
    def label(self) -> str:
        return ("Written by AI (" + self.model + ")" if self.mode == "llm"
                else "Assembled from templates (offline; not written by AI)")

    @property
    def best_score(self) -> float:
        scores = [v.score for v in self.variants if v.score is not None]
        return float(max(scores)) if scores else float("nan")

    def to_payload(self) -> dict[str, Any]:
        """The ``python -m core generate`` JSON (contract keys first)."""
        return {"mode": self.mode, "model": self.model, "variants": [v.to_dict() for v in self.variants],
                "limits": self.spec.limits, "recommended": self.spec.recommended,
                "platform": self.request.platform, "label": self.label, "generation_id": self.generation_id,
                "created_at": self.created_at.isoformat()}


def finish(req: ContentRequest, variants: list[Variant], *, mode: str, model: str, raw: str = "",
           waits: list[float] | None = None, score: bool = True) -> Generation:
    """Limits enforced, count matched to ``req.n``, each variant scored."""
    vs = [enforce_limits(v, req.platform) for v in variants][:req.n]
    if vs and len(vs) < req.n:
        vs[-1].flags.append(f"the service returned {len(vs)} of the {req.n} variants asked for")
    if score:
        for v in vs:
            v.score = score_variant(v, req)
    return Generation(req, mode, model, vs, waits=list(waits or []), raw=raw)


def score_variant(v: Variant, req: ContentRequest) -> int | None:
    """SEO/readability score of a variant (blog: the article checks; otherwise the short-copy checks)."""
    from core import seo

    text = variant_text(v, req.platform)
    if not seo.words(text):
        return None
    keyword = req.keywords[0] if req.keywords else None
    if req.platform == "blog":
        return seo.score_text(v.body or text, keyword=keyword, title=v.headline, meta=v.description).score
    return seo.score_text(text, keyword=keyword, profile="short").score


def generate(req: ContentRequest, settings: Settings, *, mode: str | None = None,
             policy: RetryPolicy | None = None, score: bool = True) -> Generation:
    """Variants for a request: through the configured service, or from templates without one.

    ``mode="template"`` forces templates; ``mode="llm"`` without a key raises :class:`ConfigError`.
    """
    req = req.validated()
    mode = mode or ("llm" if settings.llm_enabled else "template")
    if mode == "template":
        return finish(req, template_variants(req), mode="template", model=TEMPLATE_MODEL, score=score)
    if mode != "llm":
        raise BadInputError(f"Unknown mode '{mode}': use 'llm' or 'template'.")
    client = make_client(settings)
    waits: list[float] = []
    resp = _create_chat(client, settings, build_messages(req), stream=False, policy=policy, waits=waits)
    text = resp.choices[0].message.content or "" if resp.choices else ""
    return finish(req, parse_variants(text), mode="llm", model=getattr(resp, "model", None) or settings.openai_model,
                  raw=text, waits=waits, score=score)


class GenerationStream:
    """Iterate for the text deltas as they arrive (``st.write_stream``), then call :meth:`result`.

    The connection is opened (with retries) on the first iteration; a failure after text
    started to arrive is not retried.
    """

    def __init__(self, req: ContentRequest, settings: Settings, *, policy: RetryPolicy | None = None,
                 score: bool = True) -> None:
        self.request = req.validated()
        self.settings = settings
        self.policy = policy
        self.score = score
        self.waits: list[float] = []
        self.model = settings.openai_model
        self.chunks: list[str] = []
        self._done = False

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def __iter__(self) -> Iterator[str]:
        import openai

        client = make_client(self.settings)
        stream = _create_chat(client, self.settings, build_messages(self.request), stream=True,
                              policy=self.policy, waits=self.waits)
        try:
            for chunk in stream:
                self.model = getattr(chunk, "model", None) or self.model
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta.content or ""
                if delta:
                    self.chunks.append(delta)
                    yield delta
        except openai.APITimeoutError:
            raise ServiceError(f"The AI service stopped sending within {self.settings.openai_timeout_s:g} s. "
                               "Try again; your inputs are kept.", "The AI service timed out") from None
        except openai.APIError as exc:
            raise ServiceError(f"The answer stream broke off: {_redact(str(exc), self.settings)}") from None
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        self._done = True

    def result(self) -> Generation:
        if not self._done:
            for _ in self:
                pass
        return finish(self.request, parse_variants(self.text), mode="llm", model=self.model, raw=self.text,
                      waits=self.waits, score=self.score)


# ----------------------------------------------------------------------------- images


@dataclass(frozen=True)
class ImageResult:
    path: Path
    prompt: str
    model: str
    cached: bool

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


def image_cache_dir(settings: Settings) -> Path:
    return settings.models_base.parent / "data" / "images"


def image_key(prompt: str, model: str, size: str) -> str:
    norm = re.sub(r"\s+", " ", prompt or "").strip()
    return hashlib.sha256(f"{model}\n{size}\n{norm}".encode()).hexdigest()[:32]


def generate_image(prompt: str, settings: Settings, *, size: str = "1024x1024", cache_dir: Path | None = None,
                   policy: RetryPolicy | None = None) -> ImageResult:
    """An image for ``prompt`` through the images API, cached on disk: the same prompt costs once."""
    prompt = re.sub(r"\s+", " ", prompt or "").strip()
    if not prompt:
        raise BadInputError("Describe the image first.")
    model = settings.openai_image_model
    cache = Path(cache_dir) if cache_dir is not None else image_cache_dir(settings)
    key = image_key(prompt, model, size)
    for ext in ("png", "jpg", "webp"):
        hit = cache / f"{key}.{ext}"
        if hit.exists() and hit.stat().st_size > 0:
            return ImageResult(hit, prompt, model, True)
    if not settings.llm_enabled:
        raise ConfigError(IMAGES_NEED_SERVICE)
    client = make_client(settings)
    kw: dict[str, Any] = {"model": model, "prompt": prompt, "size": size, "n": 1}
    if model.startswith("dall-e"):
        kw["response_format"] = "b64_json"
    resp = call_with_retries(lambda: client.images.generate(**kw), settings, policy, what="the image")
    item = resp.data[0] if resp.data else None
    if item is not None and getattr(item, "b64_json", None):
        data = base64.b64decode(item.b64_json)
    elif item is not None and getattr(item, "url", None):
        data = _download(item.url, settings)
    else:
        raise ServiceError("The images API answered without an image.")
    ext = "png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "jpg" if data[:3] == b"\xff\xd8\xff" else \
        "webp" if data[8:12] == b"WEBP" else None
    if ext is None:
        raise ServiceError("The images API returned data that is not a PNG, JPEG or WebP image.")
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{key}.{ext}"
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    (cache / f"{key}.json").write_text(json.dumps({"prompt": prompt, "model": model, "size": size,
                                                   "created_at": datetime.now(timezone.utc).isoformat()}))
    return ImageResult(path, prompt, model, False)


def _download(url: str, settings: Settings) -> bytes:
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise ServiceError("The images API returned an image link that is not http(s).")
    try:
        with urllib.request.urlopen(url, timeout=settings.openai_timeout_s) as r:  # noqa: S310 (checked scheme)
            return r.read(20_000_000)
    except OSError as exc:
        raise ServiceError(f"Could not download the generated image: {exc}") from None


# ----------------------------------------------------------------------------- history and experiments


def history_row(gen: Generation) -> pd.DataFrame:
    """One history record (inputs, output, model, time, score) as a one-row frame."""
    r = gen.request
    return pd.DataFrame([{
        "generation_id": gen.generation_id,
        "created_at": gen.created_at.tz_convert("UTC").tz_localize(None),
        "mode": gen.mode, "model": gen.model, "platform": r.platform, "format": r.format, "tone": r.tone,
        "audience": r.audience, "keywords": ", ".join(r.keywords), "length": r.length, "brief": r.brief,
        "n_variants": int(len(gen.variants)), "best_score": float(gen.best_score),
        "inputs": json.dumps(asdict(r)), "output": json.dumps([v.to_dict() for v in gen.variants]),
    }])


def save_generation(wh: Any, gen: Generation) -> None:
    wh.save_state(HISTORY_TABLE, history_row(gen), keys=["generation_id"])


def load_history(wh: Any) -> pd.DataFrame:
    """Every stored generation, newest first (empty frame when none yet)."""
    df = wh.load_state(HISTORY_TABLE)
    if len(df):
        df = df.sort_values("created_at", ascending=False, kind="stable").reset_index(drop=True)
    return df


def history_variants(row: pd.Series | dict[str, Any]) -> list[Variant]:
    """The variants stored in a history record."""
    return [Variant(**{k: v for k, v in d.items() if k in Variant.__dataclass_fields__})
            for d in json.loads(row["output"])]


def segment_names(wh: Any) -> list[str]:
    """Names of the customer segments saved by the Segments page (empty when none yet)."""
    df = wh.load_state("segments_assignments")
    if not len(df) or "name" not in df:
        return []
    return sorted({str(n) for n in df["name"].dropna() if str(n).strip()})


def experiment_payload(name: str, platform: str, variants: Sequence[Variant],
                       arm_names: Sequence[str] | None = None) -> dict[str, Any]:
    """Chosen variants as ``{"experiment", "arms": [{"name", "platform", "text"}]}`` for the bandits page."""
    name = (name or "").strip()
    if not name:
        raise BadInputError("Give the experiment a name.")
    if len(variants) < 2:
        raise BadInputError("Choose at least two variants: an experiment compares arms.")
    names = list(arm_names or [])
    arms = []
    for i, v in enumerate(variants):
        label = names[i] if i < len(names) and names[i] else f"Variant {chr(65 + i) if i < 26 else i + 1}"
        arms.append({"name": label, "platform": "google" if platform == "google_search" else platform,
                     "text": variant_text(v, platform)})
    if len({a["name"] for a in arms}) != len(arms):
        raise BadInputError("Arm names must be unique.")
    return {"experiment": name, "arms": arms}


def create_experiment(wh: Any, payload: dict[str, Any]) -> str | None:
    """Create the experiment on the A/B bandits page when that capability is installed; its id, else None."""
    try:
        from core import bandits
    except ImportError:
        return None
    create = getattr(bandits, "create_experiment", None)
    if create is None:
        return None
    return create(wh, payload["experiment"], payload["arms"])


# ----------------------------------------------------------------------------- CLI


def run_generate(args: argparse.Namespace, ctx: Any) -> dict[str, Any]:
    """``python -m core generate --brief TEXT --platform P [--tone T] [--keywords a,b] [--n N]``."""
    req = ContentRequest(brief=args.brief, platform=args.platform, tone=getattr(args, "tone", "friendly"),
                         keywords=split_keywords(getattr(args, "keywords", "")), n=getattr(args, "n", 3))
    return generate(req, ctx.settings).to_payload()
