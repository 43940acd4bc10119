"""One generation: templates or the service, limits enforced, each variant scored; streaming; the CLI verb."""

from __future__ import annotations

import argparse
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator

import pandas as pd

from core.config import Settings
from core.content_studio.platforms import PLATFORMS, ContentRequest, PlatformSpec, Variant, enforce_limits, \
    split_keywords, variant_text
from core.content_studio.prompt import build_messages, parse_variants
from core.content_studio.service import RetryPolicy, ServiceError, _create_chat, make_client
from core.llm import redact
from core.content_studio.templates import TEMPLATE_MODEL, template_variants
from core.errors import BadInputError

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
            raise ServiceError(f"The answer stream broke off: {redact(str(exc), self.settings)}") from None
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



def run_generate(args: argparse.Namespace, ctx: Any) -> dict[str, Any]:
    """``python -m core generate --brief TEXT --platform P [--tone T] [--keywords a,b] [--n N]``."""
    req = ContentRequest(brief=args.brief, platform=args.platform, tone=getattr(args, "tone", "friendly"),
                         keywords=split_keywords(getattr(args, "keywords", "")), n=getattr(args, "n", 3))
    return generate(req, ctx.settings).to_payload()
