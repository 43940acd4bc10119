"""One client for the OpenAI-compatible service, with one retry policy, for every caller.

The content studio's copy and the recommendations' brief parsing both talk to the
service configured by ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` / ``OPENAI_MODEL``:

* :func:`make_client` -- the official ``openai`` client with its own retries off;
* :func:`call_with_retries` -- ours: a rate limit waits what ``Retry-After`` says
  (capped), server and connection errors back off exponentially, a bad key or a
  timeout fails at once; every ``openai`` error becomes a titled :class:`ServiceError`
  or :class:`BadKeyError` whose message never shows the key or credentials written
  inside ``OPENAI_BASE_URL``;
* :func:`chat` -- one chat completion asking for structured output: a JSON schema
  where the server supports it (``response_format={"type": "json_schema"}``), else
  JSON mode, else plain text; what a server rejected (HTTP 400/422) is remembered per
  server and model, so the next call starts at the level that works.
"""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

from core.config import Settings
from core.errors import BadInputError, ConfigError, WorkbenchError

NO_SERVICE = ("No AI service is configured. Set OPENAI_API_KEY (and OPENAI_BASE_URL for a self-hosted "
              "OpenAI-compatible server such as vLLM, Ollama or llama.cpp; OPENAI_MODEL for the model name) "
              "in the environment or .streamlit/secrets.toml.")
FORMATS = ("json_schema", "json_object", "text")
_SECRET_PARAM = re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access_token|auth|password|secret|sig)=)[^&#\s]+")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://)[^/\s@]+@")
_supported: dict[tuple[str, str], int] = {}  # (base URL, model) -> index into FORMATS that the server accepts


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


# ------------------------------------------------------------------ what may be shown


def redact_url(url: str | None) -> str:
    """A URL without the credentials written into it (``user:pass@``, ``?api_key=...``).

    >>> redact_url("https://bob:s3cret@llm.internal:8443/v1?api_key=abc&x=1")
    'https://***@llm.internal:8443/v1?api_key=***&x=1'
    """
    if not url:
        return ""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    return _SECRET_PARAM.sub(r"\1***", urlunsplit(parts._replace(netloc=netloc)))


def where(settings: Settings) -> str:
    """The configured service as it may be shown (credentials removed)."""
    return redact_url(settings.openai_base_url) or "api.openai.com"


def redact(message: str, settings: Settings) -> str:
    """A service message safe to show: no API key, no credentials from the base URL, at most 300 characters."""
    message = str(message or "")
    if settings.openai_api_key:
        message = message.replace(settings.openai_api_key, "***")
    base = settings.openai_base_url or ""
    if base:
        message = message.replace(base, redact_url(base))
        userinfo = urlsplit(base).netloc.rpartition("@")[0]
        if userinfo:
            message = message.replace(userinfo, "***")
    message = _USERINFO.sub(r"\1***@", message)
    message = _SECRET_PARAM.sub(r"\1***", message)
    message = re.sub(r"\b(sk-[A-Za-z0-9_\-]{2})[A-Za-z0-9_\-*]{6,}", r"\1***", message)
    return message[:300]


# ------------------------------------------------------------------ retries


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


@dataclass
class _Try:
    """One failed attempt: what the caller needs to decide (wait and retry, or give up)."""

    exc: Any
    attempt: int
    policy: RetryPolicy
    settings: Settings
    what: str
    waited: float

    @property
    def last(self) -> bool:
        return self.attempt == self.policy.max_attempts

    @property
    def backoff(self) -> float:
        return min(self.policy.max_wait_s, self.policy.base_delay_s * 2 ** (self.attempt - 1))


def _rate_limited(t: _Try) -> float:
    wait = retry_after_s(t.exc)
    if wait is not None and wait > t.policy.max_wait_s:
        raise ServiceError(f"The AI service is rate limiting {t.what} and asks to wait {wait:.0f} s. "
                           "Try again later; your inputs are kept.", "Rate limited")
    if t.last:
        raise ServiceError(f"The AI service is still rate limiting {t.what} after {t.attempt} tries "
                           f"(waited {t.waited:.1f} s in all). Try again in a minute; your inputs are kept.",
                           "Rate limited")
    return t.backoff if wait is None else wait


def _bad_key(t: _Try) -> float:
    raise BadKeyError(f"The AI service at {where(t.settings)} rejected the API key (HTTP {t.exc.status_code}). "
                      "Check OPENAI_API_KEY (and OPENAI_BASE_URL for your own server).")


def _timed_out(t: _Try) -> float:
    raise ServiceError(f"The AI service at {where(t.settings)} did not answer within "
                       f"{t.settings.openai_timeout_s:g} s. Try again, ask for fewer or shorter variants, or "
                       "raise OPENAI_TIMEOUT.", "The AI service timed out")


def _unreachable(t: _Try) -> float:
    if t.last:
        raise ServiceError(f"Cannot reach the AI service at {where(t.settings)}. Check OPENAI_BASE_URL "
                           "and that the server is running.", "The AI service is unreachable")
    return t.backoff


def _not_found(t: _Try) -> float:
    raise ServiceError(f"The AI service has no such model or endpoint ({redact(t.exc.message, t.settings)}). "
                       "Check OPENAI_MODEL / OPENAI_IMAGE_MODEL and OPENAI_BASE_URL.")


def _status(t: _Try) -> float:
    code = t.exc.status_code
    if code < 500 and code not in (408, 409):
        raise ServiceError(f"The AI service refused {t.what} (HTTP {code}): {redact(t.exc.message, t.settings)}")
    if t.last:
        raise ServiceError(f"The AI service had a server error (HTTP {code}) {t.attempt} times in a row. "
                           "Try again later; your inputs are kept.")
    wait = retry_after_s(t.exc)
    return t.backoff if wait is None or wait > t.policy.max_wait_s else wait


def _other(t: _Try) -> float:  # e.g. a broken stream
    raise ServiceError(f"The AI service failed: {redact(str(t.exc), t.settings)}")


def _decisions() -> list[tuple[type, Callable[[_Try], float]]]:
    """``openai`` error -> what to do, most specific first (the classes are imported lazily)."""
    import openai

    return [(openai.AuthenticationError, _bad_key), (openai.PermissionDeniedError, _bad_key),
            (openai.RateLimitError, _rate_limited), (openai.APITimeoutError, _timed_out),
            (openai.APIConnectionError, _unreachable), (openai.NotFoundError, _not_found),
            (openai.APIStatusError, _status), (openai.APIError, _other)]


def call_with_retries(call: Callable[[], Any], settings: Settings, policy: RetryPolicy | None = None,
                      waits: list[float] | None = None, what: str = "the request") -> Any:
    """Run ``call`` mapping ``openai`` errors to :class:`WorkbenchError`; retry what can be retried.

    Rate limits wait ``Retry-After`` (refusing waits longer than ``policy.max_wait_s``);
    5xx and connection errors back off exponentially; 401/403 and timeouts fail at once.
    Each wait is appended to ``waits``.
    """
    policy = policy or RetryPolicy()
    waits = waits if waits is not None else []
    decisions = _decisions()
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return call()
        except tuple(kind for kind, _ in decisions) as exc:
            decide = next(d for kind, d in decisions if isinstance(exc, kind))
            wait = _raise_clean(decide, _Try(exc, attempt, policy, settings, what, sum(waits)))
        waits.append(wait)
        policy.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _raise_clean(decide: Callable[[_Try], float], t: _Try) -> float:
    """The decision's wait, or its titled error raised without the ``openai`` traceback chained to it."""
    try:
        return decide(t)
    except WorkbenchError as err:
        raise err from None


# ------------------------------------------------------------------ the client and a chat call


def make_client(settings: Settings) -> Any:
    """The official client for the configured service; our retries, not its own."""
    if not settings.llm_enabled:
        raise ConfigError(NO_SERVICE)
    import openai

    return openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                         timeout=settings.openai_timeout_s, max_retries=0)


def response_format(level: str, schema: dict[str, Any] | None, name: str = "answer") -> dict[str, Any] | None:
    """The ``response_format`` of a structured-output level (None for plain text)."""
    if level == "json_schema" and schema is not None:
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}
    if level == "json_object":
        return {"type": "json_object"}
    return None


class _FormatRejected(Exception):
    pass


def chat(settings: Settings, messages: list[dict[str, str]], *, schema: dict[str, Any] | None = None,
         client: Any = None, policy: RetryPolicy | None = None, waits: list[float] | None = None,
         stream: bool = False, temperature: float = 0.8, what: str = "the request") -> Any:
    """One chat completion with the most structured output the server accepts, through our retries.

    A server that answers 400/422 to a ``response_format`` is asked again one level
    down (schema -> JSON mode -> plain); the level that worked is remembered.
    """
    import openai

    client = client or make_client(settings)
    key = (settings.openai_base_url or "", settings.openai_model)
    levels = [lv for lv in FORMATS if lv != "json_schema" or schema is not None]
    start = min(_supported.get(key, 0), len(FORMATS) - 1)
    for level in [lv for lv in levels if FORMATS.index(lv) >= start]:
        kw: dict[str, Any] = {"model": settings.openai_model, "messages": messages, "temperature": temperature}
        fmt = response_format(level, schema)
        if fmt is not None:
            kw["response_format"] = fmt
        if stream:
            kw["stream"] = True

        def call(kw: dict[str, Any] = kw, structured: bool = fmt is not None) -> Any:
            try:
                return client.chat.completions.create(**kw)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if structured:
                    raise _FormatRejected() from exc
                raise

        try:
            reply = call_with_retries(call, settings, policy, waits, what)
        except _FormatRejected:
            continue
        _supported[key] = FORMATS.index(level)
        return reply
    raise AssertionError("unreachable: plain text is never rejected as a format")  # pragma: no cover


__all__ = ["NO_SERVICE", "ServiceError", "BadKeyError", "RetryPolicy", "redact_url", "redact", "where",
           "retry_after_s", "call_with_retries", "make_client", "response_format", "chat"]
