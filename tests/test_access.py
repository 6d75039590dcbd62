"""Access control and limits: the API key for writes (and reads), writes refused off
loopback without a key, per-client rate limits on the chat routes, CORS, body limits."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qa.api import create_app
from qa.api.access import is_loopback
from qa.api.rates import RateLimiter, describe, parse_rate
from qa.encoders.embeddings import Embedder
from qa.service import build_service
from qa.settings import Settings, get_settings
from tests.helpers import PROPAGANDA, copy_store
from tests.servers import REDIS, redis_server

KEY = "s3cret-key"
ARTICLE = {"title": "Ferry news", "text": "The night ferry to the islands runs again from May."}


@pytest.fixture
def make_client(tmp_path: Path, seeded_dir: Path, embedder: Embedder) -> Iterator[Any]:
    """``make_client(**settings)``: a TestClient over a private copy of the seeded store."""
    store = copy_store(seeded_dir, tmp_path / "store")
    clients: list[TestClient] = []

    def make(client: tuple[str, int] = ("127.0.0.1", 50000), **fields: Any) -> TestClient:
        settings = Settings(vectorstore_dir=store, **fields)
        app = create_app(settings, service=build_service(settings, embedder))
        clients.append(TestClient(app, client=client).__enter__())
        return clients[-1]

    yield make
    for made in clients:
        made.__exit__(None, None, None)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def detail(response: Any) -> str:
    return str(response.json()["detail"])


# -- keys and the loopback rule -------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [{}, bearer("wrong"), {"Authorization": f"Basic {KEY}"}, bearer("")],
    ids=["none", "wrong", "basic", "empty"],
)
def test_writes_without_the_key_are_401(make_client: Any, headers: dict[str, str]) -> None:
    client = make_client(api_key=KEY)
    refused = client.post("/documents", json=ARTICLE, headers=headers)
    assert refused.status_code == 401, refused.text
    assert "QA_API_KEY" in detail(refused) and refused.headers["www-authenticate"] == "Bearer"
    assert len(client.get("/documents").json()["documents"]) == 2


def test_writes_need_the_key_when_one_is_set(make_client: Any) -> None:
    client = make_client(api_key=KEY)
    assert len(client.get("/documents").json()["documents"]) == 2  # reads stay open
    added = client.post("/documents", json=ARTICLE, headers=bearer(KEY))
    assert added.status_code == 201, added.text
    (new_id,) = added.json()["document_ids"]
    assert client.delete(f"/documents/{new_id}").status_code == 401
    assert client.delete(f"/documents/{new_id}", headers=bearer(KEY)).status_code == 204
    assert client.post("/chat", json={"message": PROPAGANDA}).status_code == 200


@pytest.mark.parametrize("path", ["/documents", "/search?q=Interpol", "/v1/models"])
def test_reads_need_the_key_with_api_key_read(make_client: Any, path: str) -> None:
    client = make_client(api_key=KEY, api_key_read=True)
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer(KEY)).status_code == 200


def test_chat_needs_the_key_with_api_key_read(make_client: Any) -> None:
    client = make_client(api_key=KEY, api_key_read=True)
    assert client.post("/chat", json={"message": PROPAGANDA}).status_code == 401
    chat = client.post("/chat", json={"message": PROPAGANDA}, headers=bearer(KEY))
    assert chat.status_code == 200
    assert client.get("/health").status_code == 200  # for load balancers
    assert client.get("/").status_code == 200  # the page itself


def test_reads_without_a_key_to_check_are_refused(make_client: Any) -> None:
    client = make_client(api_key_read=True)
    refused = client.get("/documents")
    assert refused.status_code == 403 and "QA_API_KEY" in detail(refused)


def test_writes_off_loopback_without_a_key_are_refused(make_client: Any) -> None:
    client = make_client(host="0.0.0.0")
    refused = client.post("/documents", json=ARTICLE)
    assert refused.status_code == 403
    assert "0.0.0.0" in detail(refused) and "QA_API_KEY" in detail(refused)
    listed = client.get("/documents").json()["documents"]
    assert client.delete(f"/documents/{listed[0]['id']}").status_code == 403
    assert len(client.get("/documents").json()["documents"]) == 2
    assert client.post("/chat", json={"message": PROPAGANDA}).status_code == 200
    keyed = make_client(host="0.0.0.0", api_key=KEY)
    assert keyed.post("/documents", json=ARTICLE, headers=bearer(KEY)).status_code == 201


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("127.0.0.2", True), ("0.0.0.0", False), ("::", False), ("192.0.2.7", False),
     ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_host_reaches_the_app_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from qa.cli import app

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw, host_setting=None))
    monkeypatch.setenv("QA_HOST", "127.0.0.1")
    monkeypatch.delenv("QA_API_KEY", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8123"])
        assert result.exit_code == 0, result.output
        assert seen["host"] == "0.0.0.0" and get_settings().host == "0.0.0.0"
        assert "without QA_API_KEY" in result.output
    finally:
        get_settings.cache_clear()


# -- rate limits ----------------------------------------------------------------------
def test_chat_routes_are_rate_limited_per_client(make_client: Any) -> None:
    client = make_client(rate_limit="3/minute")
    assert client.post("/chat", json={"message": PROPAGANDA}).status_code == 200
    with client.stream("POST", "/chat/stream", json={"message": PROPAGANDA}) as stream:
        assert stream.status_code == 200
        stream.read()
    openai = {"messages": [{"role": "user", "content": PROPAGANDA}]}
    assert client.post("/v1/chat/completions", json=openai).status_code == 200
    for path, body in (("/chat", {"message": PROPAGANDA}), ("/v1/chat/completions", openai)):
        limited = client.post(path, json=body)
        assert limited.status_code == 429, limited.text
        assert "3/minute" in detail(limited) and "QA_RATE_LIMIT" in detail(limited)
        assert int(limited.headers["retry-after"]) >= 1
    assert "error" in limited.json()  # the OpenAI shape under /v1
    assert client.get("/search", params={"q": "Interpol"}).status_code == 200  # not limited
    other = make_client(client=("127.0.0.9", 50000), rate_limit="3/minute")
    assert other.post("/chat", json={"message": PROPAGANDA}).status_code == 200
    unlimited = make_client(rate_limit="off")
    for _ in range(5):
        assert unlimited.post("/chat", json={"message": "Who is Brian Hook?"}).status_code == 200


def test_rate_limiter_counts_a_moving_window() -> None:
    limiter = RateLimiter(parse_rate("2/second") or pytest.fail())
    assert limiter.take("a") == limiter.take("a") == 0.0
    wait = limiter.take("a")
    assert 0 < wait <= 1.0
    assert limiter.take("b") == 0.0  # each client its own count
    time.sleep(wait + 0.05)
    assert limiter.take("a") == 0.0


def test_workers_share_a_limit_kept_in_redis(
    make_client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two apps (two workers) with the counts in one Redis: the limit is for both
    together; with Redis gone, requests go through and the log says so."""
    if REDIS is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it")
        pytest.skip("no redis-server: make test installs it and runs this")
    with redis_server(tmp_path) as url:
        one, two = (make_client(rate_limit="3/minute", rate_limit_storage=url) for _ in "12")
        for client in (one, two, one):
            assert client.post("/chat", json={"message": PROPAGANDA}).status_code == 200
        for client in (two, one):
            limited = client.post("/chat", json={"message": PROPAGANDA})
            assert limited.status_code == 429, limited.text
            assert int(limited.headers["retry-after"]) >= 1
    with caplog.at_level(logging.WARNING, logger="qa.api"):
        assert two.post("/chat", json={"message": PROPAGANDA}).status_code == 200
    assert "rate limits not enforced: redis://127.0.0.1:" in caplog.text


@pytest.mark.parametrize("spec", ["60", "ten/minute", "0/minute", "5/fortnight", "5 a day"])
def test_bad_rate_limits_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="QA_RATE_LIMIT"):
        parse_rate(spec)


def test_rate_limit_spellings() -> None:
    assert parse_rate("off") is None and parse_rate("") is None
    rate = parse_rate(" 100 / Hour ")
    assert rate is not None and (rate.amount, rate.get_expiry()) == (100, 3600)
    assert describe(parse_rate("5 per day") or pytest.fail()) == "5/day"
    assert describe(parse_rate("10/5 seconds") or pytest.fail()) == "10/5 seconds"


def test_unknown_rate_limit_storage_is_refused() -> None:
    with pytest.raises(ValueError, match="QA_RATE_LIMIT_STORAGE"):
        RateLimiter(parse_rate("1/second") or pytest.fail(), "carrier-pigeon://loft")


# -- CORS and body limits -------------------------------------------------------------
PREFLIGHT = {
    "Origin": "https://news.example.org",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


def test_cors_is_closed_by_default(make_client: Any) -> None:
    client = make_client()
    preflight = client.options("/chat", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers
    plain = client.get("/documents", headers={"Origin": PREFLIGHT["Origin"]})
    assert "access-control-allow-origin" not in plain.headers


def test_cors_opens_to_configured_origins_only(make_client: Any) -> None:
    client = make_client(cors_origins="https://news.example.org/, https://other.example")
    preflight = client.options("/chat", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == PREFLIGHT["Origin"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    refused = client.options("/chat", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in refused.headers
    error = client.post("/chat", json={"message": ""}, headers={"Origin": PREFLIGHT["Origin"]})
    assert error.status_code == 400  # errors carry the header too, so pages can read them
    assert error.headers["access-control-allow-origin"] == PREFLIGHT["Origin"]


def test_bodies_other_than_uploads_have_their_own_limit(make_client: Any) -> None:
    client = make_client(max_body_bytes=10_000, max_upload_bytes=50_000)
    big = {"message": "Who?", "history": [{"role": "user", "content": "x" * 2000}] * 6}
    refused = client.post("/chat", json=big)
    assert refused.status_code == 413 and "QA_MAX_BODY_BYTES" in detail(refused)
    article = {"title": "Long read", "text": "A sentence about the harbour. " * 1000}
    assert client.post("/documents", json=article).status_code == 201  # 30 kB: an upload
    assert client.post("/chat", json={"message": PROPAGANDA}).status_code == 200
