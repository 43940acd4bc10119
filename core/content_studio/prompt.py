"""The prompt asking for JSON variants, and a robust reading of the answer."""

from __future__ import annotations

import json
import re
from typing import Any

from core.content_studio.platforms import FIELDS, LENGTHS, PLATFORMS, ContentRequest, Variant, clean_hashtags
from core.content_studio.service import ServiceError

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
              '"hashtags": ["..."]}]} (a Google responsive search ad also has "headlines": [...] and '
              '"descriptions": [...]). Count characters carefully: limits are hard.')
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
    out = [v for v in (_variant(item) for item in items) if v is not None]
    if not out:
        raise ServiceError("The AI service's answer held no usable variants. Try again or rephrase the brief.")
    return out


_LISTS = ("hashtags", "headlines", "descriptions")


def _variant(item: Any) -> Variant | None:
    """One variant from one item of the answer (a string is a body; unknown shapes are skipped)."""
    if isinstance(item, str):
        return Variant(body=item)
    if not isinstance(item, dict):
        return None
    d: dict[str, Any] = {}
    for k, v in item.items():
        key = _KEY_ALIASES.get(str(k).lower(), str(k).lower())
        if key in FIELDS and key not in d:
            d[key] = v if isinstance(v, str) else " ".join(map(str, v)) if isinstance(v, list) else str(v)
        elif key in _LISTS:
            d[key] = v
    lists = {k: [str(x) for x in d.get(k) or [] if str(x).strip()] for k in ("headlines", "descriptions")
             if isinstance(d.get(k), list)}
    d.setdefault("headline", (lists.get("headlines") or [""])[0])
    d.setdefault("description", (lists.get("descriptions") or [""])[0])
    if not any(d.get(k) for k in FIELDS):
        return None
    return Variant(**{k: d.get(k, "") for k in FIELDS}, hashtags=clean_hashtags(d.get("hashtags")), **lists)
