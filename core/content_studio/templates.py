"""Template mode: offline copy assembled from templates filled with the brief's facts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from core.content_studio.platforms import PLATFORMS, ContentRequest, Variant, clean_hashtags

TEMPLATE_MODEL = "templates-v1"


@dataclass(frozen=True)
class BriefFacts:
    """What the template mode fills in, read from the brief by rules."""

    product: str
    offer: str
    cta: str
    keywords: tuple[str, ...]
    audience: str
    location: str = ""  # "Austin" from "... in Austin": the offer's place, kept in the copy


_OFFER_PATTERNS = (
    r"\b\d{1,3}\s?%\s?off(?:\s+(?:the|your|our|all|every)?\s*[a-z]+(?:\s+[a-z]+)?)?",
    r"[$\u00a3\u20ac]\s?\d[\d,.]*\s+off(?:\s+(?:the|your)?\s*[a-z]+(?:\s+[a-z]+)?)?",
    r"\b(?:buy one,? get one(?: free)?|bogo)\b",
    # "free implant consultations", "free 3D scan": up to two words before what is free
    r"\bfree\s+(?:[a-z0-9\-]+\s+){0,2}(?:shipping|delivery|trials?|consultations?|quotes?|estimates?|demos?|"
    r"check-?ups?|exams?|cleanings?|scans?|visits?|class(?:es)?|lessons?|sessions?|samples?|assessments?|"
    r"evaluations?|installation|returns|whitening)\b",
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
_MONTHS = ("january february march april may june july august september october november december monday tuesday "
           "wednesday thursday friday saturday sunday spring summer autumn fall winter").split()
# "in Austin", "near Downtown Dallas": a place the brief names, capitalised as written.
_LOCATION = re.compile(r"\b(?:in|near|around)\s+((?:[A-Z][a-zA-Z\-]+)(?:\s[A-Z][a-zA-Z\-]+)?)")
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
    location = brief_location(text) or _place_in_product(text, product)
    product = _without_place(product, location) or product
    kws = tuple(keywords) or (product,) if product != DEFAULT_PRODUCT else tuple(keywords)
    return BriefFacts(product=product, offer=offer, cta=cta, keywords=kws, audience=(audience or "").strip(),
                      location=location)


def brief_location(text: str) -> str:
    """The first place a brief names ("in Austin"), or "" (months and weekdays are not places).

    >>> brief_location("Free implant consultations for our clinic in Austin this May")
    'Austin'
    """
    for m in _LOCATION.finditer(text or ""):
        if m.group(1).split()[0].lower() not in _MONTHS:
            return m.group(1)
    return ""


def _place_in_product(text: str, product: str) -> str:
    """A capitalised name inside the product as the brief wrote it ("our Austin clinic" -> "Austin")."""
    m = re.search(re.escape(product), text, re.IGNORECASE) if product else None
    if m is None or m.start() == 0 or text[max(0, m.start() - 2):m.start()].strip() in (".", "!", "?"):
        return ""
    names = [w for w in m.group(0).split() if w[:1].isupper() and w.lower() not in _MONTHS]
    return " ".join(names[:2]) if names and len(names) < len(m.group(0).split()) else ""


def _without_place(product: str, location: str) -> str:
    """ "austin clinic" -> "clinic": the place goes next to the offer, not into the product's name."""
    if not location:
        return product
    rest = re.sub(rf"\b{re.escape(location.lower())}\b", " ", product)
    return re.sub(r"\s+", " ", rest).strip(" -'")


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


def _article(noun: str) -> str:
    """ "a clinic", "an accounting tool" (by the first letter, which is right for most product names)."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _title(s: str) -> str:
    small = {"a", "an", "the", "and", "or", "for", "of", "to", "in", "on", "at", "with"}
    parts = s.split()
    return " ".join(w if (i and w.lower() in small) else _cap(w) for i, w in enumerate(parts))


_TONE_OPENERS = {
    "friendly": ("Looking for {a_product} you can trust?", "Meet your new favourite {product}.",
                 "{A_product} that fits your life."),
    "professional": ("{Product}, done right.", "Trusted {product} for {audience}.", "{Product} you can rely on."),
    "playful": ("Psst... {product} alert!", "Your {product} glow-up starts here.", "Who said {product} can't be fun?"),
    "urgent": ("Don't miss out on {product}.", "Last chance: {product}.", "Act now: {product}."),
    "luxury": ("{Product}, elevated.", "Discover exceptional {product}.", "The art of {product}."),
    "empathetic": ("We know finding {product} is hard.", "{Product} that puts you first.",
                   "You deserve {product} that cares."),
}
# The offer (with its place) leads: "Free Implant Consultations in Austin", then the product and the action.
_HEADLINES = ("{Offer} {In_place}", "{Offer}", "{Product}: {Offer}", "{Cta}: {Offer}", "{Product} {In_place}",
              "Try {Product} Today", "{Product} - {Cta}", "Top-Rated {Product}", "{Kw} Made Easy", "{Product}")
# A responsive search ad's headlines (3-15 of at most 30 characters) and descriptions (2-4, at most 90).
_RSA_HEADLINES = ("{Offer}", "{Offer} {In_place}", "{Product} {In_place}", "{Cta}: {Offer}", "{Product}: {Offer}",
                  "{Kw} {In_place}", "Trusted {Product}", "Top-Rated {Product}", "{Cta_t}",
                  "{Product} - {Cta}", "{Kw} Made Easy", "{Product} for {Audience_short}")
_RSA_DESCRIPTIONS = ("{Offer_c} {in_place}. {Cta}.", "Your {product} {in_place}. {Offer_s}{Cta}.",
                     "{Opener} {Offer_s}{Cta}.", "Quality {product} {in_place}, fair prices. {Cta}.")
_BLOG_TITLES = ("{Kw}: A Simple Guide for {Audience}", "How to Choose the Right {Product}",
                "{Kw}: What to Know Before You Start", "{Kw} Explained", "{Product}")
_DESCRIPTIONS = ("{Offer_c} {in_place}. {Cta}.", "The {product} made for {audience}. {Offer_s}{Cta}.",
                 "{Opener} {Offer_s}{Cta}.",
                 "Discover {kw} made for your life. {Offer_s}{Cta}.", "Quality {product}, fair prices. {Cta}.")
_SHORT_DESCRIPTIONS = ("{Offer}", "{Offer_c} {in_place}", "{Cta}", "Made for {audience}", "Quality {product}", "{Kw}, simplified")
_BODIES = ("{Offer_c} {in_place}. {Opener} Designed for {audience}. {Cta}!",
           "{Opener} {Offer_s}Designed for {audience}. {Cta}!",
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
              "Audience": _title(f.audience) if f.audience else "Beginners",
              "Audience_short": _title(f.audience) if f.audience else "You",
              "Offer_c": _cap(f.offer), "in_place": f"in {f.location}" if f.location else "",
              "In_place": f"in {f.location}" if f.location else "", "Cta_t": _title(f.cta),
              "a_product": _article(f.product), "A_product": _cap(_article(f.product))}
    values["Opener"] = openers[i % len(openers)].format(**values)
    return re.sub(r"\s+", " ", template.format(**values)).replace(" .", ".").replace(" ,", ",").strip()


def _applies(template: str, f: BriefFacts) -> bool:
    """A template whose offer or place the brief does not give is left out (no "Book now:  in")."""
    needs_offer = "{Offer}" in template or "{Offer_c}" in template or (
        "{Offer_s}" in template and "{Opener}" not in template and "{Product}" not in template)
    needs_place = "{In_place}" in template or ("{in_place}" in template and "{Offer_c}" in template)
    return not (needs_offer and not f.offer) and not (needs_place and not f.location)


def _filled(templates: Sequence[str], f: BriefFacts, i: int, tone: str, limit: int | None) -> list[str]:
    """Every distinct filled template that applies and fits ``limit``, starting at the i-th (rotating)."""
    out: list[str] = []
    for t in templates:
        s = _fill(t, f, i, tone) if _applies(t, f) else ""
        if s and s not in out and (limit is None or len(s) <= limit):
            out.append(s)
    k = i % len(out) if out else 0
    return out[k:] + out[:k]


def rsa_assets(f: BriefFacts, i: int, tone: str) -> tuple[list[str], list[str]]:
    """A responsive search ad's headlines (3-15, each <= 30) and descriptions (2-4, each <= 90)."""
    heads = _filled(_RSA_HEADLINES, f, i, tone, 30)
    descs = _filled(_RSA_DESCRIPTIONS, f, i, tone, 90)
    for extra in ("Book Online Today", "Call Us Today", f.cta[:30], "Learn More"):  # never fewer than three
        if len(heads) >= 3:
            break
        if extra not in heads:
            heads.append(extra)
    for extra in (f"{f.cta}.", "Learn more about what we offer."):
        if len(descs) >= 2:
            break
        if extra not in descs:
            descs.append(extra)
    return heads[:15], descs[:4]


def _pick(templates: Sequence[str], f: BriefFacts, i: int, tone: str, limit: int | None) -> str:
    """The i-th distinct filled template that fits ``limit`` (rotating); the shortest one if none fits."""
    filled: list[str] = []
    for t in templates:
        if not _applies(t, f):
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
        if spec.assets:  # a responsive search ad: several headlines and descriptions
            heads, descs = rsa_assets(f, i, req.tone)
            out.append(Variant(heads[0], descs[0], "", [], headlines=heads, descriptions=descs))
            continue
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
        paras.append("However, every case is different. Therefore, talk to us about your goals and we will "
                     "suggest the right option for you.")
    close = f"{_cap(f.offer)}. " if f.offer else ""
    paras.append(f"## Ready to start?\n\n{close}{f.cta} and see how easy {kw} can be.")
    return "\n\n".join(paras)
