"""Platforms and their limits, the request, variants and the cutting of fields to fit."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Sequence

from core.errors import BadInputError

FIELDS = ("headline", "description", "body")


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
    # Several assets per ad (a responsive search ad): field -> (fewest, most), e.g. headline: (3, 15).
    assets: dict[str, tuple[int, int]] = field(default_factory=dict)

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
        formats=("responsive search ad",), assets={"headline": (3, 15), "description": (2, 4)},
        guidance="Google responsive search ad: each variant is one ad with 3 to 15 headlines (each at most 30 "
                 "characters) in headlines and 2 to 4 descriptions (each at most 90 characters) in descriptions; "
                 "headline and description repeat the first of each (count every character, spaces included). "
                 "body must be an empty string and hashtags an empty list."),
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
    # a responsive search ad's assets (Google): every headline and description, the first ones above
    headlines: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)

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


def variant_text(v: Variant, platform: str, *, assets: bool = True) -> str:
    """The text of a variant as it would run (what the SEO score sees).

    A responsive search ad reads as all its headlines and descriptions; ``assets=False``
    keeps the first of each (an A/B arm's label).
    """
    tags = " ".join(f"#{h}" for h in v.hashtags)
    if platform == "google_search":
        if not assets:
            return f"{v.headline} | {v.description}"
        return " | ".join([*(v.headlines or [v.headline]), *(v.descriptions or [v.description])])
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
    _enforce_hashtags(out, spec)
    if spec.max_total is not None:
        tags = " ".join(f"#{h}" for h in out.hashtags)
        room = spec.max_total - (len(tags) + 2 if tags else 0)
        if len(out.body) > room:
            cut = truncate_words(out.body, room) if "\n" not in out.body else out.body[:room].rstrip()
            out.flags.append(f"Caption shortened to fit {spec.max_total} characters with its hashtags")
            out.body = cut
    if spec.assets:
        _enforce_assets(v, out, spec)
    out.flags = list(dict.fromkeys([*v.flags, *out.flags]))
    return out


def _enforce_hashtags(out: Variant, spec: PlatformSpec) -> None:
    if len(out.hashtags) > spec.max_hashtags:
        if spec.max_hashtags:
            out.flags.append(f"{len(out.hashtags)} hashtags cut to the limit of {spec.max_hashtags}")
        out.hashtags = out.hashtags[:spec.max_hashtags]
    elif spec.recommended_hashtags and len(out.hashtags) > spec.recommended_hashtags:
        out.flags.append(f"{len(out.hashtags)} hashtags; {spec.recommended_hashtags} or fewer usually work better")


def _enforce_assets(v: Variant, out: Variant, spec: PlatformSpec) -> None:
    """Every headline and description cut to its limit, counted against the ad's (fewest, most)."""
    for name, (fewest, most) in spec.assets.items():
        lim = spec.fields[name]
        given = [re.sub(r"\s+", " ", str(a)).strip() for a in [getattr(v, name), *getattr(v, name + "s")]]
        items = list(dict.fromkeys(truncate_words(a, lim.max) if lim.max else a for a in given if a))
        if len(items) > most:
            out.flags.append(f"{len(items)} {name}s cut to the {most} an ad can hold")
            items = items[:most]
        elif len(items) < fewest:
            out.flags.append(f"{len(items)} {name}(s): a {spec.label} needs {fewest} to {most}")
        setattr(out, name + "s", items)
        if items:
            setattr(out, name, items[0])
