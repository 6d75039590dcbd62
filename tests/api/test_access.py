"""Access control and limits: the API key for writes (and reads), writes refused off
loopback without a key, CORS, body limits."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from qa.api.access import is_loopback
from qa.settings import get_settings
from tests.api.checks import ARTICLE, detail
from tests.helpers import PROPAGANDA

KEY = "s3cret-key"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


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
