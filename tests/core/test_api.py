"""The HTTP API: keys, accounts, limits, every route with a good and a bad request."""

from __future__ import annotations

import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from core import cli
from core.api import KeyRing, Service, create_app, hash_key, key_line
from core.api.keys import read_keys_file
from core.api.limits import RateLimiter
from core.api.log import RequestLog
from core.config import Settings
from core.errors import ConfigError
from core.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "workspace.json.gz"
GOOD, ACME_ONLY = "test-key-good-1234", "test-key-acme-5678"


@pytest.fixture(scope="module")
def service():
    settings = Settings.from_mapping({"WORKBENCH_MODELS": str(ROOT / "models")})
    wh = Warehouse.from_files([SAMPLE])
    yield Service(settings, wh)
    wh.close()


@pytest.fixture(scope="module")
def keys() -> KeyRing:
    return KeyRing.from_mapping({"WORKBENCH_API_KEYS": f"{GOOD}, {ACME_ONLY}=acme"})


@pytest.fixture
def log_path(tmp_path) -> Path:
    return tmp_path / "requests.jsonl"


@pytest.fixture
def client(service, keys, log_path):
    app = create_app(service, keys, log=RequestLog(log_path), max_body=200_000)
    with TestClient(app) as c:
        yield c


def auth(key: str = GOOD) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# ---- keys


def test_keys_file_holds_hashes_and_accounts(tmp_path):
    path = tmp_path / "keys"
    path.write_text("# comment\n" + key_line("s3cret", "bot", ["acme", "globex"]) + "\n\n")
    (key,) = read_keys_file(path)
    assert key.key_id == "bot" and key.digest == hash_key("s3cret") and key.accounts == {"acme", "globex"}
    assert "s3cret" not in path.read_text()
    ring = KeyRing.from_mapping({"WORKBENCH_API_KEYS_FILE": str(path)})
    assert ring.find("s3cret").key_id == "bot" and ring.find("wrong") is None and ring.find(None) is None


def test_malformed_keys_file_names_the_line_not_the_text(tmp_path):
    path = tmp_path / "keys"
    path.write_text("bot plain-text-key\n")
    with pytest.raises(ConfigError, match="Line 1") as err:
        read_keys_file(path)
    assert "plain-text-key" not in str(err.value)


def test_rate_limiter_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=2, clock=lambda: now[0])
    assert limiter.allow("a")[0] and limiter.allow("a")[0]
    allowed, wait = limiter.allow("a")
    assert not allowed and wait == pytest.approx(30.0)
    assert limiter.allow("b")[0]  # buckets are per key
    now[0] = 30.0
    assert limiter.allow("a")[0]


# ---- authentication, accounts, limits


def test_health_and_openapi_need_no_key(client):
    assert client.get("/health").json() == {"status": "ok"}
    spec = client.get("/openapi.json").json()
    assert {"/v1/sentiment", "/v1/recommend", "/v1/alerts", "/v1/segments/assign", "/v1/seo", "/v1/generate",
            "/v1/ingest"} <= set(spec["paths"])


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "Basic abc"}])
def test_401_without_a_valid_key(client, headers):
    r = client.post("/v1/seo", json={"text": "Hello."}, headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_key_limited_to_one_account_gets_403_for_another(client):
    r = client.get("/v1/alerts", params={"account": "globex"}, headers=auth(ACME_ONLY))
    assert r.status_code == 403 and "globex" in r.json()["detail"]
    r = client.post("/v1/sentiment", json={"texts": ["ok"], "account": "globex"}, headers=auth(ACME_ONLY))
    assert r.status_code == 403


def test_rate_limit_answers_429_with_retry_after(service, keys):
    # a frozen clock: a slow first request (a loaded machine) must not refill the bucket
    app = create_app(service, keys, limiter=RateLimiter(per_minute=3, clock=lambda: 0.0), log=RequestLog(None))
    with TestClient(app) as c:
        codes = [c.post("/v1/seo", json={"text": "Short text."}, headers=auth()).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        r = c.post("/v1/seo", json={"text": "Short text."}, headers=auth())
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert c.post("/v1/seo", json={"text": "Short."}, headers=auth(ACME_ONLY)).status_code == 200


def test_413_over_the_body_limit(client):
    r = client.post("/v1/seo", content=json.dumps({"text": "word " * 60_000}),
                    headers={**auth(), "content-type": "application/json"})
    assert r.status_code == 413


def test_413_for_a_chunked_body_without_length(client):
    def chunks():
        for _ in range(30):
            yield b" " * 10_000
    r = client.post("/v1/seo", content=chunks(), headers={**auth(), "content-type": "application/json"})
    assert r.status_code == 413


def test_logs_are_json_lines_without_the_key(client, log_path):
    client.post("/v1/seo", json={"text": "Hello there."}, headers=auth())
    client.post("/v1/seo", json={"text": "Hello there."}, headers={"Authorization": "Bearer not-a-key"})
    text = log_path.read_text()
    rows = [json.loads(line) for line in text.splitlines()]
    assert [(r["route"], r["status"]) for r in rows] == [("/v1/seo", 200), ("/v1/seo", 401)]
    assert rows[0]["key_id"] == "env-1" and rows[1]["key_id"] is None and all(r["ms"] >= 0 for r in rows)
    assert GOOD not in text and "not-a-key" not in text


# ---- routes: good and bad


def test_sentiment_labels_equal_the_command_line(client, capsys):
    texts = ["The hygienist was lovely and my teeth feel great", "Terrible service, the staff were rude and I hated it",
             "Do you take Delta Dental insurance?"]
    r = client.post("/v1/sentiment", json={"texts": texts}, headers=auth())
    assert r.status_code == 200
    got = [s["label"] for s in r.json()["scores"]]
    expected = []
    for t in texts:
        assert cli.main(["sentiment", "--text", t, "--format", "json"],
                        settings=Settings.from_mapping({"WORKBENCH_MODELS": str(ROOT / "models")})) == 0
        expected.append(json.loads(capsys.readouterr().out)["scores"][0]["label"])
    assert got == expected and got[0] == "positive" and got[1] == "negative"


def test_sentiment_bad_body(client):
    assert client.post("/v1/sentiment", json={"texts": []}, headers=auth()).status_code == 422
    r = client.post("/v1/sentiment", json={"text": "one"}, headers=auth())
    assert r.status_code == 422 and "texts" in json.dumps(r.json()["detail"])


def test_recommend_gives_a_valid_plan(client):
    r = client.post("/v1/recommend", json={"objective": "More leads for the clinic, $3,000 a month, Google only"},
                    headers=auth())
    assert r.status_code == 200
    body = r.json()
    assert body["objective"]["platforms"] == ["google"]
    assert {item["platform"] for item in body["plan"]} == {"google"}
    assert sum(item["daily_budget"] for item in body["plan"]) <= body["objective"]["daily_budget"] + 1e-6


def test_recommend_bad_body(client):
    assert client.post("/v1/recommend", json={"objective": "leads", "period": "fortnight"},
                       headers=auth()).status_code == 422
    assert client.post("/v1/recommend", json={"budget": 100}, headers=auth()).status_code == 422


def test_alerts_as_the_monitor_command(client, capsys):
    r = client.get("/v1/alerts", params={"since": "2025-06-01"}, headers=auth())
    assert r.status_code == 200
    assert cli.main(["monitor", "--data", str(SAMPLE), "--since", "2025-06-01", "--format", "json"]) == 0
    assert r.json()["alerts"] == json.loads(capsys.readouterr().out)["alerts"]


def test_alerts_bad_query(client):
    assert client.get("/v1/alerts", params={"since": "June"}, headers=auth()).status_code == 422


def test_segments_assign_25_customers(client, service):
    customers = service.warehouse.customers().head(25)
    records = json.loads(customers.to_json(orient="records", date_format="iso"))
    for rec in records:
        for k in ("first_seen", "last_purchase"):
            if rec.get(k):
                rec[k] = rec[k][:10]
    r = client.post("/v1/segments/assign", json={"customers": records}, headers=auth())
    assert r.status_code == 200, r.text
    rows = r.json()["assignments"]
    assert [a["customer_id"] for a in rows] == customers["customer_id"].astype(str).tolist()
    assert all(isinstance(a["segment"], int) and a["name"] for a in rows)


def test_segments_assign_bad_record_names_the_field(client):
    r = client.post("/v1/segments/assign", json={"customers": [{"customer_id": "c1", "orders": -3,
                                                                 "total_spent": 10}]}, headers=auth())
    assert r.status_code == 422 and "orders" in r.json()["detail"]


def test_seo_scores(client):
    r = client.post("/v1/seo", json={"text": "Dental implants in Austin. We place dental implants daily.",
                                     "keyword": "dental implants"}, headers=auth())
    assert r.status_code == 200 and 0 <= r.json()["score"] <= 100 and r.json()["checks"]
    assert client.post("/v1/seo", json={"text": ""}, headers=auth()).status_code == 422


def test_generate_offline_template(client):
    r = client.post("/v1/generate", json={"brief": "Dental clinic in Austin, free implant consultations",
                                          "platform": "google_search", "n": 2}, headers=auth())
    assert r.status_code == 200 and r.json()["mode"] == "template" and len(r.json()["variants"]) == 2
    assert client.post("/v1/generate", json={"brief": "x", "platform": "myspace"}, headers=auth()).status_code == 422


def test_ingest_a_file_and_a_bad_one(service, keys, example_file):
    wh = Warehouse.in_memory()
    app = create_app(Service(service.settings, wh), keys, log=RequestLog(None))
    with TestClient(app) as c:
        r = c.post("/v1/ingest", files={"file": ("example.json", example_file.read_bytes())}, headers=auth())
        assert r.status_code == 200 and r.json()["loaded"]["campaigns"] > 0
        before = wh.counts()
        r = c.post("/v1/ingest", files={"file": ("../../etc/bad.json", io.BytesIO(b'{"campaigns": [{"x": 1}]}'))},
                   headers=auth())
        assert r.status_code == 422 and wh.counts() == before
    wh.close()


# ---- concurrency on a real server


def test_40_concurrent_calls_on_a_real_server(service, keys):
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(service, keys, log=RequestLog(None)), host="127.0.0.1",
                                           port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    calls = [("post", "/v1/sentiment", {"texts": ["great visit", "too expensive"]}),
             ("post", "/v1/seo", {"text": "Book your dental check-up in Austin today."}),
             ("get", "/v1/alerts", None),
             ("post", "/v1/segments/assign", {"customers": [{"customer_id": "n1", "orders": 2, "total_spent": 180}]})]
    try:
        with httpx.Client(base_url=base, headers=auth(), timeout=120) as http, ThreadPoolExecutor(40) as pool:
            def call(i: int) -> int:
                method, path, body = calls[i % len(calls)]
                return (http.post(path, json=body) if method == "post" else http.get(path)).status_code
            codes = list(pool.map(call, range(40)))
    finally:
        server.should_exit = True
        thread.join(10)
    assert codes == [200] * 40


def test_with_a_worker_running_reads_its_snapshot_and_queues_uploads(tmp_path, keys, example_file, service):
    from core.api.cli import _workspace
    from core.worker import inbox as worker_inbox
    from core.worker import share

    db, inbox = tmp_path / "workspace.duckdb", tmp_path / "inbox"
    inbox.mkdir()
    owner = Warehouse.open(db)  # the worker's hold on the file
    owner.ingest(example_file)
    snap = share.publish_snapshot(owner, db)
    share.write_heartbeat(db, state="watching", inbox=str(inbox), snapshot=str(snap))

    class Ctx:
        settings = service.settings
        args = type("A", (), {"data": None, "db": str(db)})()

    app = create_app(Service(service.settings, _workspace(Ctx())), keys, log=RequestLog(None))
    with TestClient(app) as c:
        r = c.get("/v1/alerts", headers=auth())
        assert r.status_code == 200  # read from the snapshot: no lock error while the worker holds the file
        r = c.post("/v1/ingest", files={"file": ("more.json", example_file.read_bytes())}, headers=auth())
        assert r.status_code == 200 and r.json()["queued"].endswith("more.json")
    assert [p.name for p in inbox.iterdir()] == [r.json()["queued"]]
    assert worker_inbox.account_of(inbox / r.json()["queued"]) is None  # no --account: the worker's own
    owner.close()
