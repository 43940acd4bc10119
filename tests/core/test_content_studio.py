"""Content studio: the whole generation path against a local OpenAI-compatible server.

No test touches the internet: every service call goes to ``tests.fake_openai.FakeOpenAI``
on 127.0.0.1 (chat non-streaming and streaming, images; 401, 429 with Retry-After, 500,
timeout, prose answers, servers without JSON mode).
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from core import content_studio as cs
from core.cli import main
from core.config import Settings
from core.errors import BadInputError, ConfigError
from core.warehouse import Warehouse
from tests.fake_openai import DEFAULT_VARIANTS, FakeOpenAI

KEY = "sk-test-0123456789abcdef"
BRIEF = "We want to promote our dental clinic in Austin with 20% off the first visit. Book online."


@pytest.fixture
def fake(openai_server):
    openai_server.reset()
    openai_server.retry_after = 1
    openai_server.slow_s = 3.0
    openai_server.content = json.dumps({"variants": DEFAULT_VARIANTS})
    return openai_server


def make_settings(fake: FakeOpenAI | None, tmp_path, timeout: float = 5.0, **kw) -> Settings:
    return Settings(db_path=tmp_path / "w.duckdb", models_dir=tmp_path / "models",
                    openai_api_key=KEY if fake else None, openai_base_url=fake.base_url if fake else None,
                    openai_model="fake-model", openai_image_model="gpt-image-1", openai_timeout_s=timeout, **kw)


class Sleeps(list):
    """A RetryPolicy.sleep that records the waits instead of sleeping."""

    def __call__(self, s: float) -> None:
        self.append(s)


def req(platform: str = "google_search", n: int = 3, **kw) -> cs.ContentRequest:
    return cs.ContentRequest(brief=BRIEF, platform=platform, n=n, keywords=("dental clinic",), **kw)


# ------------------------------------------------------------------ chat completions


def test_non_streaming_generation_parses_enforces_limits_and_scores(fake, tmp_path):
    gen = cs.generate(req(), make_settings(fake, tmp_path))
    assert gen.mode == "llm" and gen.model == "fake-model" and len(gen.variants) == 3
    # variant 2's headline is 48 characters: cut at a word boundary to <= 30 and flagged
    assert all(len(v.headline) <= 30 and len(v.description) <= 90 for v in gen.variants)
    assert gen.variants[1].headline == "A Brighter Smile Starts With"
    assert any("shortened from 48" in f for f in gen.variants[1].flags)
    # one headline and one description each: an RSA needs 3-15 and 2-4, and the flags say so
    assert gen.variants[0].flags == ["1 headline(s): a Google responsive search ad needs 3 to 15",
                                     "1 description(s): a Google responsive search ad needs 2 to 4"]
    assert all(v.hashtags == [] and v.body == "" for v in gen.variants)  # Google search ads have neither
    assert all(isinstance(v.score, int) and 0 <= v.score <= 100 for v in gen.variants)
    (r,) = fake.chat_requests()
    assert r["headers"]["authorization"] == f"Bearer {KEY}"
    assert r["body"]["model"] == "fake-model"
    fmt = r["body"]["response_format"]  # structured output: the variants' JSON schema
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == cs.VARIANTS_SCHEMA
    assert not r["body"].get("stream")
    prompt = "\n".join(m["content"] for m in r["body"]["messages"])
    assert "at most 30 characters" in prompt and "dental clinic" in prompt and "Write 3 distinct variants" in prompt


def test_streaming_yields_deltas_that_rebuild_the_answer(fake, tmp_path):
    stream = cs.GenerationStream(req(platform="instagram", n=2), make_settings(fake, tmp_path))
    deltas = list(stream)
    assert len(deltas) > 20 and "".join(deltas) == fake.content
    gen = stream.result()
    assert gen.mode == "llm" and len(gen.variants) == 2
    assert gen.variants[1].hashtags == ["dentist", "health"]  # '#' stripped
    assert fake.chat_requests()[0]["body"]["stream"] is True
    assert len(fake.chat_requests()) == 1  # result() does not call again


def test_answer_wrapped_in_prose_and_fences_is_parsed(fake, tmp_path):
    fake.mode = "prose"
    gen = cs.generate(req(n=3), make_settings(fake, tmp_path))
    assert [v.description for v in gen.variants] == [d["description"] for d in DEFAULT_VARIANTS]


def test_server_without_json_mode_is_asked_one_level_down_and_remembered(fake, tmp_path):
    fake.mode = "no_json_mode"
    gen = cs.generate(req(n=1), make_settings(fake, tmp_path))
    assert len(gen.variants) == 1
    schema, json_mode, plain = fake.chat_requests()
    assert schema["body"]["response_format"]["type"] == "json_schema"
    assert json_mode["body"]["response_format"] == {"type": "json_object"}
    assert "response_format" not in plain["body"]
    cs.generate(req(n=1), make_settings(fake, tmp_path))  # the next call starts where the server is
    assert len(fake.chat_requests()) == 4 and "response_format" not in fake.chat_requests()[-1]["body"]


def test_unparseable_answer_is_a_clear_error(fake, tmp_path):
    fake.content = "I cannot help with that."
    with pytest.raises(cs.ServiceError, match="not with the JSON variants"):
        cs.generate(req(), make_settings(fake, tmp_path))


def test_limits_are_enforced_on_whatever_the_model_returns(fake, tmp_path):
    fake.content = json.dumps({"variants": [{"caption": "word " * 600, "hashtags": [f"tag{i}" for i in range(40)],
                                             "title": "Hook"}]})
    (v,) = cs.generate(req(platform="instagram", n=1), make_settings(fake, tmp_path)).variants
    assert len(v.hashtags) == 30 and v.headline == "Hook"
    caption = v.body + "\n\n" + " ".join(f"#{h}" for h in v.hashtags)
    assert len(caption) <= 2200 and not v.body.endswith(" ")
    assert any("40 hashtags cut" in f for f in v.flags) and any("Caption" in f for f in v.flags)


# ------------------------------------------------------------------ failures


def test_rejected_key_fails_at_once_with_a_safe_message(fake, tmp_path):
    fake.mode = "401"
    with pytest.raises(cs.BadKeyError) as err:
        cs.generate(req(), make_settings(fake, tmp_path))
    msg = str(err.value)
    assert "OPENAI_API_KEY" in msg and KEY not in msg and "401" in msg
    assert isinstance(err.value, BadInputError)
    assert len(fake.chat_requests()) == 1  # no retry on a bad key


def test_rate_limit_waits_what_retry_after_says(fake, tmp_path):
    fake.mode, fake.fail_times, fake.retry_after = "429", 1, 1
    gen = cs.generate(req(), make_settings(fake, tmp_path))  # real sleep: Retry-After: 1
    first, second = fake.chat_requests()
    gap = second["time"] - first["time"]
    assert 0.95 <= gap < 2.5, gap
    assert gen.waits == [1.0] and len(gen.variants) == 3


def test_persistent_rate_limit_gives_up_after_the_attempts(fake, tmp_path):
    fake.mode = "429"
    sleeps = Sleeps()
    with pytest.raises(cs.ServiceError, match="still rate limiting") as err:
        cs.generate(req(), make_settings(fake, tmp_path), policy=cs.RetryPolicy(max_attempts=3, sleep=sleeps))
    assert sleeps == [1.0, 1.0] and len(fake.chat_requests()) == 3
    assert err.value.title == "Rate limited"


def test_retry_after_beyond_the_cap_is_not_waited(fake, tmp_path):
    fake.mode, fake.retry_after = "429", 120
    sleeps = Sleeps()
    with pytest.raises(cs.ServiceError, match="asks to wait 120 s"):
        cs.generate(req(), make_settings(fake, tmp_path), policy=cs.RetryPolicy(max_wait_s=20, sleep=sleeps))
    assert sleeps == [] and len(fake.chat_requests()) == 1


def test_server_error_backs_off_then_succeeds(fake, tmp_path):
    fake.mode, fake.fail_times = "500", 2
    sleeps = Sleeps()
    gen = cs.generate(req(), make_settings(fake, tmp_path), policy=cs.RetryPolicy(base_delay_s=0.5, sleep=sleeps))
    assert sleeps == [0.5, 1.0] and len(gen.variants) == 3 and len(fake.chat_requests()) == 3


def test_persistent_server_error_is_reported(fake, tmp_path):
    fake.mode = "500"
    with pytest.raises(cs.ServiceError, match="server error .HTTP 500. 3 times"):
        cs.generate(req(), make_settings(fake, tmp_path), policy=cs.RetryPolicy(sleep=Sleeps()))


@pytest.mark.timed
def test_timeout_is_reported_without_retrying(fake, tmp_path):
    fake.mode, fake.slow_s = "slow", 3.0
    t0 = time.monotonic()
    with pytest.raises(cs.ServiceError, match="did not answer within 0.5 s") as err:
        cs.generate(req(), make_settings(fake, tmp_path, timeout=0.5))
    assert time.monotonic() - t0 < 2.0
    assert err.value.title == "The AI service timed out" and len(fake.chat_requests()) == 1


def test_streaming_retries_a_rate_limit_before_the_first_delta(fake, tmp_path):
    fake.mode, fake.fail_times = "429", 1
    sleeps = Sleeps()
    stream = cs.GenerationStream(req(n=2), make_settings(fake, tmp_path), policy=cs.RetryPolicy(sleep=sleeps))
    assert "".join(stream) == fake.content and sleeps == [1.0]
    assert len(stream.result().variants) == 2


@pytest.mark.timed
def test_streaming_timeout(fake, tmp_path):
    fake.mode = "slow"
    t0 = time.monotonic()
    with pytest.raises(cs.ServiceError, match="did not answer within 0.5 s"):
        list(cs.GenerationStream(req(), make_settings(fake, tmp_path, timeout=0.5)))
    assert time.monotonic() - t0 < 2.0 and len(fake.chat_requests()) == 1


def test_streaming_bad_key(fake, tmp_path):
    fake.mode = "401"
    with pytest.raises(cs.BadKeyError):
        list(cs.GenerationStream(req(), make_settings(fake, tmp_path)))


def test_unreachable_server(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(models_dir=tmp_path / "m", openai_api_key=KEY, openai_base_url=f"http://127.0.0.1:{port}/v1",
                        openai_timeout_s=2)
    sleeps = Sleeps()
    with pytest.raises(cs.ServiceError, match="Cannot reach the AI service at http://127.0.0.1"):
        cs.generate(req(), settings, policy=cs.RetryPolicy(sleep=sleeps))
    assert sleeps == [1.0, 2.0]


def test_retry_after_header_forms():
    class Exc:
        def __init__(self, headers):
            self.response = type("R", (), {"headers": headers})()

    assert cs.retry_after_s(Exc({"retry-after": "3"})) == 3.0
    assert cs.retry_after_s(Exc({"retry-after-ms": "1500", "retry-after": "9"})) == 1.5
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= cs.retry_after_s(Exc({"retry-after": future})) <= 31
    assert cs.retry_after_s(Exc({})) is None


# ------------------------------------------------------------------ images


def test_images_are_generated_once_per_prompt_and_cached_on_disk(fake, tmp_path):
    settings = make_settings(fake, tmp_path)
    first = cs.generate_image("A smiling family at a bright dental clinic", settings)
    assert not first.cached and first.data == fake.png and first.path.suffix == ".png"
    assert first.path.parent == tmp_path / "data" / "images"
    again = cs.generate_image("A smiling  family at a bright dental clinic ", settings)  # same prompt, spacing aside
    assert again.cached and again.path == first.path
    other = cs.generate_image("A dentist's chair", settings)
    assert not other.cached and other.path != first.path
    calls = [r for r in fake.requests if r["path"].endswith("/images/generations")]
    assert len(calls) == 2 and calls[0]["body"]["model"] == "gpt-image-1"


def test_images_need_a_service_and_map_errors(fake, tmp_path):
    with pytest.raises(ConfigError, match="Images need a configured AI service"):
        cs.generate_image("anything", make_settings(None, tmp_path))
    fake.mode = "401"
    with pytest.raises(cs.BadKeyError):
        cs.generate_image("anything", make_settings(fake, tmp_path))


# ------------------------------------------------------------------ template mode


@pytest.mark.parametrize("platform", list(cs.PLATFORMS))
def test_template_mode_without_a_key_is_labelled_and_within_limits(platform, tmp_path):
    gen = cs.generate(req(platform=platform, n=4, audience="busy parents"), make_settings(None, tmp_path))
    assert gen.mode == "template" and gen.model == cs.TEMPLATE_MODEL
    assert "not written by AI" in gen.label
    spec = cs.PLATFORMS[platform]
    for v in gen.variants:
        for name, lim in spec.fields.items():
            if lim.max is not None:
                assert len(getattr(v, name)) <= lim.max
        assert len(v.hashtags) <= spec.max_hashtags
        assert v.headline
    text = " ".join(cs.variant_text(v, platform) for v in gen.variants)
    assert "20% off" in text.lower() or platform == "google_search" and "20%" in text
    if platform == "google_search":
        assert len({v.headline for v in gen.variants}) >= 3  # variants differ


def test_forcing_llm_without_a_key_names_the_variables(tmp_path):
    with pytest.raises(ConfigError, match="OPENAI_API_KEY.*OPENAI_BASE_URL.*OPENAI_MODEL"):
        cs.generate(req(), make_settings(None, tmp_path), mode="llm")


@pytest.mark.parametrize("brief, product, offer, cta", [
    (BRIEF, "dental clinic", "20% off the first visit", "Book now"),
    ("More leads for our yoga studio, about $3,000 a month, first class free", "yoga studio", "first class free",
     "Get in touch"),
    ("Launch our new running shoes to women 25-44; free shipping; shop the collection", "running shoes",
     "free shipping", "Shop now"),
    ("B2B demo requests for the accounting software", "accounting software", "", "Book a demo"),
    ("Sell more of our handmade candles. Save $10 on orders over $50.", "handmade candles", "save $10",
     "Shop now"),
])
def test_brief_facts(brief, product, offer, cta):
    f = cs.brief_facts(brief)
    assert (f.product, f.offer, f.cta) == (product, offer, cta)


def test_truncate_words_cuts_at_a_word_boundary():
    assert cs.truncate_words("A Brighter Smile Starts With One Easy Visit", 30) == "A Brighter Smile Starts With"
    assert cs.truncate_words("Short one", 30) == "Short one"
    assert cs.truncate_words("Fresh, fast, friendly - always", 21) == "Fresh, fast, friendly"
    assert cs.truncate_words("Supercalifragilistic", 5) == "Super"


def test_parse_variants_accepts_common_shapes():
    fenced = '```json\n[{"title": "T", "meta_description": "M", "content": "B", "tags": "#a #b"}]\n```'
    (v,) = cs.parse_variants(fenced)
    assert (v.headline, v.description, v.body, v.hashtags) == ("T", "M", "B", ["a", "b"])
    assert len(cs.parse_variants('{"ads": [{"headline": "x"}, {"headline": "y"}]}')) == 2
    assert cs.parse_variants('Here: {"headline": "solo", "description": "d"} done')[0].headline == "solo"


def test_request_validation():
    with pytest.raises(BadInputError, match="brief"):
        cs.ContentRequest(brief="  ", platform="blog").validated()
    with pytest.raises(BadInputError, match="Unknown platform"):
        cs.ContentRequest(brief="x", platform="tiktok").validated()
    with pytest.raises(BadInputError, match="between 1 and 10"):
        cs.ContentRequest(brief="x", platform="blog", n=0).validated()
    assert cs.split_keywords("dental care, Dental Care; braces\n") == ("dental care", "braces")


# ------------------------------------------------------------------ history and experiments


def test_history_round_trip_and_csv(tmp_path):
    wh = Warehouse.in_memory()
    try:
        s = make_settings(None, tmp_path)
        g1 = cs.generate(req(n=2), s)
        g2 = cs.generate(req(platform="blog", n=1), s)
        cs.save_generation(wh, g1)
        cs.save_generation(wh, g2)
        cs.save_generation(wh, g2)  # idempotent per generation
        hist = cs.load_history(wh)
        assert list(hist["generation_id"]) == [g2.generation_id, g1.generation_id]
        assert {"created_at", "mode", "model", "platform", "brief", "best_score", "inputs", "output"} <= set(hist)
        assert hist.loc[1, "best_score"] == max(v.score for v in g1.variants)
        assert [v.headline for v in cs.history_variants(hist.iloc[1])] == [v.headline for v in g1.variants]
        assert json.loads(hist.loc[0, "inputs"])["platform"] == "blog"
        assert "generation_id" in hist.to_csv(index=False).splitlines()[0]
    finally:
        wh.close()


def test_experiment_payload_imports_into_the_bandits_page(tmp_path):
    gen = cs.generate(req(n=3), make_settings(None, tmp_path))
    payload = cs.experiment_payload("Dental RSA test", "google_search", gen.variants[:2])
    assert payload["experiment"] == "Dental RSA test"
    assert [a["name"] for a in payload["arms"]] == ["Variant A", "Variant B"]
    assert all(set(a) == {"name", "platform", "text"} and a["platform"] == "google" for a in payload["arms"])
    assert payload["arms"][0]["text"] == f"{gen.variants[0].headline} | {gen.variants[0].description}"
    with pytest.raises(BadInputError, match="at least two"):
        cs.experiment_payload("x", "google_search", gen.variants[:1])
    bandits = pytest.importorskip("core.bandits")
    imported = bandits.parse_import(json.dumps(payload))
    assert imported.name == "Dental RSA test" and list(imported.arms["arm"]) == ["Variant A", "Variant B"]
    wh = Warehouse.in_memory()
    try:
        eid = cs.create_experiment(wh, payload)
        assert eid and set(wh.load_state("bandits_arms", experiment_id=eid)["arm"]) == {"Variant A", "Variant B"}
    finally:
        wh.close()


# ------------------------------------------------------------------ CLI


def test_cli_generate_prints_the_contract_json(fake, tmp_path, capsys):
    rc = main(["generate", "--brief", BRIEF, "--platform", "google_search", "--keywords", "dental clinic,dentist",
               "--n", "2", "--format", "json"], settings=make_settings(fake, tmp_path))
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["mode"] == "llm" and out["model"] == "fake-model"
    assert out["limits"] == {"headline": 30, "description": 90}
    assert len(out["variants"]) == 2
    for v in out["variants"]:
        assert {"headline", "description", "body", "hashtags"} <= set(v)
        assert len(v["headline"]) <= 30 and len(v["description"]) <= 90 and isinstance(v["hashtags"], list)


def test_cli_generate_template_mode_without_a_key(tmp_path, capsys):
    rc = main(["generate", "--brief", BRIEF, "--platform", "instagram", "--format", "json"],
              settings=make_settings(None, tmp_path))
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["mode"] == "template" and len(out["variants"]) == 3
    assert out["limits"]["body"] == 2200 and out["limits"]["hashtags"] == 30


def test_cli_generate_rejected_key_exits_2_with_one_line(fake, tmp_path, capsys):
    fake.mode = "401"
    rc = main(["generate", "--brief", BRIEF, "--platform", "blog", "--format", "json"],
              settings=make_settings(fake, tmp_path))
    captured = capsys.readouterr()
    assert rc == 2 and captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "rejected the API key" in captured.err
    assert "Traceback" not in captured.err and KEY not in captured.err


@pytest.mark.parametrize("brief,product", [
    ("Dental clinic in Austin, 20% off whitening", "dental clinic"),
    ("We're a dental clinic in Austin, we want more leads", "dental clinic"),
    ("Yoga studio near downtown. First class free.", "yoga studio"),
    ("Need more customers", cs.DEFAULT_PRODUCT),
])
def test_brief_facts_find_the_business_where_briefs_usually_name_it(brief, product):
    assert cs.brief_facts(brief).product == product


# ------------------------------------------------------------------ template copy keeps the offer, product and place


@pytest.mark.parametrize("brief, must", [
    ("Free implant consultations for our Austin clinic. Book online.", "Free implant consultations in Austin"),
    ("We want to promote our dental clinic in Austin with 20% off the first visit. Book online.",
     "20% off the first visit in Austin"),
    ("Dental clinic in Dallas, free whitening consultation. Call us.", "Free whitening consultation in Dallas"),
])
@pytest.mark.parametrize("platform", ["google_search", "facebook", "instagram", "linkedin"])
def test_template_copy_keeps_the_offer_the_product_and_the_place(brief, must, platform, tmp_path):
    gen = cs.generate(cs.ContentRequest(brief=brief, platform=platform, n=3), make_settings(None, tmp_path))
    for v in gen.variants:
        text = cs.variant_text(v, platform).lower()
        assert must.lower().split(" in ")[0] in text  # every variant carries the offer
    assert any(must.lower() in cs.variant_text(v, platform).lower() for v in gen.variants)
    blob = " ".join(cs.variant_text(v, platform) for v in gen.variants).lower()
    assert "say hello to better" not in blob and "austin clinic" not in blob and " ," not in blob


def test_brief_facts_read_the_place_apart_from_the_product():
    f = cs.brief_facts("Free implant consultations for our Austin clinic. Book online.")
    assert (f.product, f.offer, f.location) == ("clinic", "free implant consultations", "Austin")
    assert cs.brief_facts("Yoga studio near Downtown Dallas, first class free").location == "Downtown Dallas"
    assert cs.brief_facts("Promote our bakery in May with free delivery").location == ""  # a month is no place


@pytest.mark.parametrize("n", [1, 3])
def test_a_template_responsive_search_ad_has_3_to_15_headlines_and_2_to_4_descriptions(n, tmp_path):
    for brief in (BRIEF, "B2B demo requests for the accounting software"):
        gen = cs.generate(cs.ContentRequest(brief=brief, platform="google_search", n=n), make_settings(None, tmp_path))
        for v in gen.variants:
            assert 3 <= len(v.headlines) <= 15 and 2 <= len(v.descriptions) <= 4
            assert all(len(h) <= 30 for h in v.headlines) and all(len(d) <= 90 for d in v.descriptions)
            assert len(set(v.headlines)) == len(v.headlines) and v.headline == v.headlines[0]
            assert not any("needs" in f for f in v.flags)


def test_llm_responsive_search_ad_assets_are_read_cut_and_counted(fake, tmp_path):
    fake.content = json.dumps({"variants": [{
        "headlines": [f"Headline number {i} for the clinic" for i in range(17)],
        "descriptions": ["Free implant consultations in Austin. Book now.", "Gentle care, clear prices."],
        "body": "", "hashtags": []}]})
    (v,) = cs.generate(req(n=1), make_settings(fake, tmp_path)).variants
    assert len(v.headlines) == 15 and all(len(h) <= 30 for h in v.headlines) and v.headline == v.headlines[0]
    assert v.descriptions[0] == "Free implant consultations in Austin. Book now." and len(v.descriptions) == 2
    assert "17 headlines cut to the 15 an ad can hold" in v.flags
    prompt = "\n".join(m["content"] for m in fake.chat_requests()[0]["body"]["messages"])
    assert "3 to 15 headlines" in prompt and "2 to 4 descriptions" in prompt
