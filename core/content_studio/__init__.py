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

One concern per file: ``platforms`` (limits, the request, variants), ``templates``
(offline copy), ``prompt`` (the JSON-variants prompt and reading the answer),
``service`` (the client, retries, errors), ``generation`` (one generation, streaming,
the CLI verb), ``images`` and ``history`` (the workspace record and A/B hand-off).

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

from core.content_studio.generation import (Generation, GenerationStream, finish, generate, run_generate,
                                            score_variant)
from core.content_studio.history import (HISTORY_TABLE, create_experiment, experiment_payload, history_row,
                                         history_variants, load_history, save_generation, segment_names)
from core.content_studio.images import ImageResult, download_image, generate_image, image_cache_dir, image_key
from core.content_studio.platforms import (FIELDS, LENGTHS, PLATFORMS, TONES, ContentRequest, FieldLimit, PlatformSpec,
                                           Variant, clean_hashtags, enforce_limits, split_keywords, truncate_words,
                                           variant_text)
from core.content_studio.prompt import build_messages, extract_json, parse_variants
from core.content_studio.service import (IMAGES_NEED_SERVICE, NO_SERVICE, VARIANTS_SCHEMA, BadKeyError, RetryPolicy, ServiceError,
                                         call_with_retries, make_client, retry_after_s)
from core.content_studio.templates import (DEFAULT_PRODUCT, TEMPLATE_MODEL, BriefFacts, brief_facts,
                                           template_variants)

__all__ = [
    "Generation", "finish", "score_variant", "generate", "GenerationStream", "run_generate", "HISTORY_TABLE",
    "history_row", "save_generation", "load_history", "history_variants", "segment_names", "experiment_payload",
    "create_experiment", "ImageResult", "download_image", "image_cache_dir", "image_key", "generate_image", "FIELDS", "FieldLimit",
    "PLATFORMS", "PlatformSpec", "TONES", "LENGTHS", "ContentRequest", "split_keywords", "Variant", "truncate_words",
    "clean_hashtags", "variant_text", "enforce_limits", "build_messages", "extract_json", "parse_variants",
    "NO_SERVICE", "IMAGES_NEED_SERVICE", "VARIANTS_SCHEMA", "ServiceError", "BadKeyError", "RetryPolicy", "retry_after_s",
    "call_with_retries", "make_client", "TEMPLATE_MODEL", "BriefFacts", "DEFAULT_PRODUCT", "brief_facts",
    "template_variants",
]
