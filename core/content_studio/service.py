"""Calls to the OpenAI-compatible service: one client, our retry policy, errors mapped to titled ones."""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from core.config import Settings
from core.errors import BadInputError, ConfigError, WorkbenchError

NO_SERVICE = ("No AI service is configured. Set OPENAI_API_KEY (and OPENAI_BASE_URL for a self-hosted "
              "OpenAI-compatible server such as vLLM, Ollama or llama.cpp; OPENAI_MODEL for the model name) "
              "in the environment or .streamlit/secrets.toml.")
IMAGES_NEED_SERVICE = ("Images need a configured AI service: set OPENAI_API_KEY (and OPENAI_BASE_URL, "
                       "OPENAI_IMAGE_MODEL) to create images.")


class ServiceError(WorkbenchError):
    """The AI service failed (rate limit, server error, timeout, unreadable answer)."""

    title = "The AI service failed"


class BadKeyError(BadInputError):
    """The AI service rejected the API key (the CLI exits 2)."""

    title = "The AI service rejected the key"



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
