"""core.llm: one client and retry policy; structured output where the server has it; nothing secret shown."""

from __future__ import annotations

import json

import pytest

from core import llm
from core.config import Settings

KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def fake(openai_server):
    openai_server.reset()
    openai_server.content = json.dumps({"goal": "leads"})
    return openai_server


def settings_for(base_url: str, **kw) -> Settings:
    opts = {"openai_api_key": KEY, "openai_base_url": base_url, "openai_model": "fake-model",
            "openai_timeout_s": 5.0, **kw}
    return Settings(**opts)


def with_credentials(base_url: str) -> str:
    return base_url.replace("http://", "http://bob:s3cret-pass@") + "?api_key=hunter2"


@pytest.mark.parametrize("url, shown", [
    ("https://bob:s3cret@llm.internal:8443/v1", "https://***@llm.internal:8443/v1"),
    ("https://token@llm.internal/v1", "https://***@llm.internal/v1"),
    ("http://127.0.0.1:8000/v1?api_key=abc&model=x", "http://127.0.0.1:8000/v1?api_key=***&model=x"),
    ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    (None, ""),
])
def test_redact_url_removes_credentials(url, shown):
    assert llm.redact_url(url) == shown


def test_messages_never_show_the_key_or_the_base_url_credentials():
    s = settings_for("https://bob:s3cret@llm.internal/v1?token=t0k3n")
    msg = llm.redact(f"POST https://bob:s3cret@llm.internal/v1?token=t0k3n failed with key {KEY}; "
                     "also http://eve:pw@other.host/x", s)
    for secret in ("s3cret", "t0k3n", KEY, "eve:pw"):
        assert secret not in msg
    assert llm.where(s) == "https://***@llm.internal/v1?token=***"


def test_a_rejected_key_at_a_base_url_with_credentials_is_a_clean_error(fake):
    fake.mode = "401"
    s = settings_for(with_credentials(fake.base_url))
    with pytest.raises(llm.BadKeyError) as err:
        llm.chat(s, [{"role": "user", "content": "hi"}])
    assert "s3cret-pass" not in err.value.message and "hunter2" not in err.value.message
    assert "***@127.0.0.1" in err.value.message and err.value.__cause__ is None


def test_unreachable_service_with_credentials_is_redacted():
    s = settings_for("http://bob:s3cret-pass@127.0.0.1:9/v1")
    with pytest.raises(llm.ServiceError) as err:
        llm.chat(s, [{"role": "user", "content": "hi"}], policy=llm.RetryPolicy(max_attempts=1))
    assert err.value.title == "The AI service is unreachable" and "s3cret" not in err.value.message


def test_chat_asks_for_the_schema_first_and_steps_down_once_per_server(fake):
    schema = {"type": "object", "properties": {"goal": {"type": "string"}}, "required": ["goal"]}
    s = settings_for(fake.base_url)
    reply = llm.chat(s, [{"role": "user", "content": "hi"}], schema=schema, temperature=0)
    assert json.loads(reply.choices[0].message.content) == {"goal": "leads"}
    (r,) = fake.chat_requests()
    assert r["body"]["response_format"]["json_schema"]["schema"] == schema and r["body"]["temperature"] == 0

    fake.reset()
    fake.mode = "no_json_mode"
    fake.content = json.dumps({"goal": "leads"})
    other = settings_for(fake.base_url, openai_model="plain-model")
    llm.chat(other, [{"role": "user", "content": "hi"}], schema=schema)
    assert [("response_format" in r["body"]) for r in fake.chat_requests()] == [True, True, False]
    llm.chat(other, [{"role": "user", "content": "again"}], schema=schema)
    assert len(fake.chat_requests()) == 4 and "response_format" not in fake.chat_requests()[-1]["body"]


def test_rate_limit_waits_then_succeeds_through_the_one_policy(fake):
    fake.mode = "429"
    fake.retry_after = 1
    waits: list[float] = []
    sleeps: list[float] = []
    with pytest.raises(llm.ServiceError, match="still rate limiting"):
        llm.chat(settings_for(fake.base_url), [{"role": "user", "content": "hi"}], waits=waits,
                 policy=llm.RetryPolicy(max_attempts=2, sleep=sleeps.append))
    assert waits == sleeps == [1.0]


def test_brief_parsing_goes_through_the_same_client_with_structured_output(fake):
    from core.objectives import parse_brief_llm

    fake.content = json.dumps({"interests": ["dental"], "gender": "female"})
    obj = parse_brief_llm("More patients, $4,000 a month, Google only", settings_for(fake.base_url))
    assert obj.interests == ["dental"] and obj.budget == 4000
    (r,) = fake.chat_requests()
    assert r["body"]["response_format"]["type"] == "json_schema" and r["body"]["temperature"] == 0
