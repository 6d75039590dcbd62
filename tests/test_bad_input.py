"""Hostile and broken input: each gets a 4xx with a clear JSON message, the collection is
unchanged, and the server goes on answering."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.service import build_service
from qa.settings import Settings
from tests.helpers import PROPAGANDA, copy_store
from tests.servers import serve_app

UPLOAD_LIMIT = 50_000
BODY_LIMIT = 100_000
JSON = {"Content-Type": "application/json"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02" + b"\0" * 64


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path) -> Settings:
    """One store for the module: every case checks that it changed nothing."""
    return Settings(
        vectorstore_dir=copy_store(seeded_dir, tmp_path_factory.mktemp("bad") / "store"),
        max_upload_bytes=UPLOAD_LIMIT,
        max_body_bytes=BODY_LIMIT,
        rate_limit="off",
    )


@pytest.fixture(scope="module")
def client(api_settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    app = create_app(api_settings, service=build_service(api_settings, embedder))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def snapshot(client: TestClient) -> Any:
    return client.get("/documents").json(), client.get("/health").json()["chunks"]


def assert_clear_4xx(response: httpx.Response | httpx2.Response, *words: str) -> None:
    """A 4xx with a JSON ``detail`` naming ``words`` (the TestClient answers with httpx2's
    responses, a server over HTTP with httpx's)."""
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    text = json.dumps(response.json()["detail"]).lower()
    assert text.strip('"'), response.text
    for word in words:
        assert word.lower() in text, text


def assert_still_serving(client: TestClient, before: Any) -> None:
    assert snapshot(client) == before
    answer = client.post("/chat", json={"message": PROPAGANDA})
    assert answer.status_code == 200 and answer.json()["answered"]


def nested(depth: int) -> bytes:
    return b'{"message": "Who?", "filters": ' + b"[" * depth + b"]" * depth + b"}"


RAW_CHATS: list[tuple[str, bytes, list[str]]] = [
    ("nested past the body limit", nested(60_000), ["QA_MAX_BODY_BYTES"]),
    ("huge", b'{"message": "' + b"x" * 200_000 + b'"}', ["QA_MAX_BODY_BYTES"]),
    ("nested past the parser", nested(20_000), ["nested"]),
    ("number too long", b'{"message": "Who?", "k": ' + b"9" * 5000 + b"}", ["number"]),
    ("NaN k", b'{"message": "Who?", "k": NaN}', ["integer"]),
    ("lone surrogate", b'{"message": "Who is \\ud800?"}', ["surrogate", "U+D800"]),
    ("low surrogate", b'{"message": "Who is \\udfff?"}', ["surrogate"]),
    ("NUL", b'{"message": "Who\\u0000 is it?"}', ["control character", "U+0000"]),
    ("bell", b'{"message": "Who\\u0007?"}', ["control character"]),
    ("a surrogate encoded in UTF-8", b'{"message": "Who \xed\xa0\x80?"}', ["surrogate"]),
    ("invalid UTF-8", b'{"message": "Who \xff\xfe?"}', ["json"]),
    ("surrogate in a filter", b'{"message": "Who?", "filters": {"source": "\\ud800"}}', ["surr"]),
    ("NUL in a filter", b'{"message": "Who?", "filters": {"document_id": "\\u0000"}}', ["cont"]),
]


@pytest.mark.parametrize("path", ["/chat", "/chat/stream"])
@pytest.mark.parametrize(
    ("raw", "words"), [c[1:] for c in RAW_CHATS], ids=[c[0] for c in RAW_CHATS]
)
def test_malformed_and_hostile_json(
    client: TestClient, path: str, raw: bytes, words: list[str]
) -> None:
    before = snapshot(client)
    assert_clear_4xx(client.post(path, content=raw, headers=JSON), *words)
    assert snapshot(client) == before


def test_history_hostile_turns(client: TestClient) -> None:
    before = snapshot(client)
    turn = {"role": "user", "content": "Hi"}
    thousands = client.post("/chat", json={"message": "Who?", "history": [turn] * 2500})
    assert_clear_4xx(thousands, "at most 1000")
    assert thousands.status_code == 422
    raw = b'{"message": "Who?", "history": [{"role": "user", "content": "\\udc00"}]}'
    assert_clear_4xx(client.post("/chat", content=raw, headers=JSON), "history turn 0", "surr")
    many = client.post("/chat", json={"message": PROPAGANDA, "history": [turn] * 900})
    assert many.status_code == 200  # under the cap: only the last QA_MAX_HISTORY_TURNS count
    huge = {"message": "Who?", "history": [{"role": "user", "content": "x" * 5000}] * 30}
    assert_clear_4xx(client.post("/chat", json=huge), "QA_MAX_BODY_BYTES")
    assert_still_serving(client, before)


@pytest.mark.parametrize(
    "k", [0, -1, -(10**30), 51, 10**30, 2**63, 1.5, 1e308, "5", True, [5], {"k": 5}]
)
def test_chat_k_out_of_range(client: TestClient, k: Any) -> None:
    response = client.post("/chat", json={"message": PROPAGANDA, "k": k})
    assert_clear_4xx(response, "k")
    assert response.status_code == 422


@pytest.mark.parametrize("k", ["0", "-1", "51", "9" * 400, "1.5", "1e308", "NaN", "five", ""])
def test_search_k_out_of_range(client: TestClient, k: str) -> None:
    assert_clear_4xx(client.get("/search", params={"q": "Interpol", "k": k}), "k")


@pytest.mark.parametrize("k", [1, 50])
def test_k_at_the_bounds(client: TestClient, k: int) -> None:
    assert client.post("/chat", json={"message": PROPAGANDA, "k": k}).status_code == 200
    assert client.get("/search", params={"q": "Interpol", "k": k}).status_code == 200


@pytest.mark.parametrize(
    "content", ['"\\ud800?"', '"Who\\u0000?"', '[{"type": "text", "text": "\\udbff"}]']
)
def test_openai_route_refuses_bad_characters(client: TestClient, content: str) -> None:
    raw = '{"messages": [{"role": "user", "content": ' + content + "}]}"
    response = client.post("/v1/chat/completions", content=raw.encode(), headers=JSON)
    assert_clear_4xx(response)
    assert response.json()["error"]["message"]


def test_openai_route_refuses_too_many_messages(client: TestClient) -> None:
    many = {"messages": [{"role": "user", "content": "Hi"}] * 1500}
    assert_clear_4xx(client.post("/v1/chat/completions", json=many), "messages")


def test_chunked_body_over_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"message": "'
        for _ in range(50):
            yield b"x" * 10_000
        yield b'"}'

    response = client.post("/chat", content=chunks(), headers=JSON)
    assert_clear_4xx(response, "QA_MAX_BODY_BYTES")
    assert response.status_code == 413


@pytest.mark.parametrize(
    "filters",
    ["x", 5, [1], {"document_id": 5}, {"source": ["a"]}, {"published_after": 20240101},
     {"published_before": "yesterday"}, {"published_after": {"$gt": 1}}, {"where": "1=1"},
     {"document_id": {"$ne": ""}}],
)  # fmt: skip
def test_filters_of_the_wrong_type(client: TestClient, filters: Any) -> None:
    response = client.post("/chat", json={"message": PROPAGANDA, "filters": filters})
    assert_clear_4xx(response, "filters")
    assert response.status_code == 422


@pytest.mark.parametrize(
    "path",
    ["/documents/..%2F..%2Fetc", "/documents/..%2F..%2Fetc%2Fpasswd", "/documents/%2e%2e",
     "/documents/a%5Cb", "/documents/a%00b", "/documents/" + "a" * 200, "/documents/%F0%9F%92%A3"],
)  # fmt: skip
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_document_ids_with_path_separators(client: TestClient, path: str, method: str) -> None:
    before = snapshot(client)
    response = client.request(method, path)
    assert response.status_code in (404, 422), response.text
    assert_clear_4xx(response)
    assert snapshot(client) == before


def zip_bomb() -> bytes:
    """A 20 kB zip that expands to 20 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"0" * 20_000_000)
    return buffer.getvalue()


def uploads() -> list[tuple[str, dict[str, Any], list[str]]]:
    bomb = zip_bomb()
    page = (
        b"<html><body>" + b"<p>A gigantic page about the harbour.</p>" * 20_000 + b"</body></html>"
    )
    deep = b"<html><body>" + b"<div>" * 4000 + b"text" + b"</div>" * 4000 + b"</body></html>"
    return [
        ("a PNG named .txt", {"files": {"file": ("notes.txt", PNG, "text/plain")}}, ["binary"]),
        ("a PNG named .md", {"files": {"file": ("notes.md", PNG)}}, ["binary"]),
        ("a PNG named .html", {"files": {"file": ("page.html", PNG)}}, ["binary"]),
        ("a zip bomb", {"files": {"file": ("bomb.zip", bomb)}}, [".zip"]),
        ("a zip bomb named .txt", {"files": {"file": ("bomb.txt", bomb)}}, []),
        ("a gigantic HTML page", {"files": {"file": ("big.html", page)}}, ["limit"]),
        ("a deeply nested page", {"files": {"file": ("deep.html", deep)}}, ["html"]),
        ("a jsonl of non-objects", {"files": {"file": ("x.jsonl", b"[1]\n")}}, ["line 1"]),
        ("control characters", {"files": {"file": ("c.txt", b"Hello\x07 bell.")}}, ["control"]),
        ("a lone surrogate", {"content": b'{"title": "T", "text": "\\ud800"}', "headers": JSON},
         ["surrogate"]),
        ("NUL in text", {"content": b'{"title": "T", "text": "a\\u0000b"}', "headers": JSON},
         ["control"]),
        ("control in title", {"content": b'{"title": "T\\u001b", "text": "ab"}', "headers": JSON},
         ["control"]),
        ("nested JSON", {"content": b"[" * 30_000 + b"]" * 30_000, "headers": JSON}, ["json"]),
        ("long number", {"content": b'{"title": ' + b"1" * 5000 + b"}", "headers": JSON},
         ["json"]),
    ]  # fmt: skip


UPLOADS = uploads()


@pytest.mark.parametrize(
    ("request_", "words"), [u[1:] for u in UPLOADS], ids=[u[0] for u in UPLOADS]
)
def test_uploads_that_lie_or_explode(
    client: TestClient, request_: dict[str, Any], words: list[str]
) -> None:
    before = snapshot(client)
    assert_clear_4xx(client.post("/documents", **request_), *words)
    assert snapshot(client) == before


def test_gzipped_uploads_are_refused(client: TestClient) -> None:
    before = snapshot(client)
    gzipped = gzip.compress(json.dumps({"title": "T", "text": "x" * 10_000_000}).encode())
    response = client.post(
        "/documents", content=gzipped, headers={**JSON, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 415 and "uncompressed" in response.json()["detail"]
    assert_still_serving(client, before)


async def _burst(url: str, count: int) -> list[int]:
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        body = {"message": PROPAGANDA}
        responses = await asyncio.gather(*(http.post("/chat", json=body) for _ in range(count)))
    for response in responses:
        assert response.headers["content-type"].startswith("application/json")
    return [r.status_code for r in responses]


def test_many_requests_at_once_from_one_client(api_settings: Settings, embedder: Embedder) -> None:
    settings = api_settings.model_copy(update={"rate_limit": "8/minute"})
    app = create_app(settings, service=build_service(settings, embedder))
    with serve_app(app) as url:
        codes = asyncio.run(_burst(url, 40))
        assert sorted(set(codes)) == [200, 429], codes
        assert codes.count(200) == 8
        health = httpx.get(f"{url}/health")
        assert health.status_code == 200 and health.json()["documents"] == 2
        assert httpx.get(f"{url}/search", params={"q": "Interpol"}).status_code == 200
