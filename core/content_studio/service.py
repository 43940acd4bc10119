"""The content studio's calls to the AI service, through the one client of :mod:`core.llm`."""

from __future__ import annotations

from typing import Any

from core.config import Settings
from core.llm import (NO_SERVICE, BadKeyError, RetryPolicy, ServiceError, call_with_retries, chat, make_client,
                      redact, retry_after_s, where)

IMAGES_NEED_SERVICE = ("Images need a configured AI service: set OPENAI_API_KEY (and OPENAI_BASE_URL, "
                       "OPENAI_IMAGE_MODEL) to create images.")
# The shape build_messages asks for, as a JSON schema for servers with structured output.
VARIANTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"variants": {"type": "array", "items": {
        "type": "object",
        "properties": {"headline": {"type": "string"}, "description": {"type": "string"},
                       "body": {"type": "string"}, "hashtags": {"type": "array", "items": {"type": "string"}},
                       "headlines": {"type": "array", "items": {"type": "string"}},
                       "descriptions": {"type": "array", "items": {"type": "string"}}},
        "required": ["headline", "description", "body", "hashtags"]}}},
    "required": ["variants"],
}
_redact, _where = redact, where  # the names the generation module used before core.llm


def _create_chat(client: Any, settings: Settings, messages: list[dict[str, str]], *, stream: bool,
                 policy: RetryPolicy | None, waits: list[float]) -> Any:
    """One generation call: structured output (schema, then JSON mode, then plain) with our retries."""
    return chat(settings, messages, schema=VARIANTS_SCHEMA, client=client, policy=policy, waits=waits,
                stream=stream, what="the generation")


__all__ = ["NO_SERVICE", "IMAGES_NEED_SERVICE", "VARIANTS_SCHEMA", "ServiceError", "BadKeyError", "RetryPolicy",
           "call_with_retries", "make_client", "retry_after_s"]
