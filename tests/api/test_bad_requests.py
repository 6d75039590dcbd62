"""Hostile and broken requests: malformed JSON, hostile history, out-of-range values and
bad filters each get a 4xx with a clear JSON message, the collection is unchanged, and
the server goes on answering, many requests at once included."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.service import build_service
from qa.settings import Settings
from tests.api.hardened import JSON, assert_clear_4xx, assert_still_serving, snapshot
from tests.helpers import PROPAGANDA
from tests.servers import serve_app


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
    hardened: TestClient, path: str, raw: bytes, words: list[str]
) -> None:
    before = snapshot(hardened)
    assert_clear_4xx(hardened.post(path, content=raw, headers=JSON), *words)
    assert snapshot(hardened) == before


def test_history_hostile_turns(hardened: TestClient) -> None:
    before = snapshot(hardened)
    turn = {"role": "user", "content": "Hi"}
    thousands = hardened.post("/chat", json={"message": "Who?", "history": [turn] * 2500})
    assert_clear_4xx(thousands, "at most 1000")
    assert thousands.status_code == 422
    raw = b'{"message": "Who?", "history": [{"role": "user", "content": "\\udc00"}]}'
    assert_clear_4xx(hardened.post("/chat", content=raw, headers=JSON), "history turn 0", "surr")
    many = hardened.post("/chat", json={"message": PROPAGANDA, "history": [turn] * 900})
    assert many.status_code == 200  # under the cap: only the last QA_MAX_HISTORY_TURNS count
    huge = {"message": "Who?", "history": [{"role": "user", "content": "x" * 5000}] * 30}
    assert_clear_4xx(hardened.post("/chat", json=huge), "QA_MAX_BODY_BYTES")
    assert_still_serving(hardened, before)


@pytest.mark.parametrize(
    "k", [0, -1, -(10**30), 51, 10**30, 2**63, 1.5, 1e308, "5", True, [5], {"k": 5}]
)
def test_chat_k_out_of_range(hardened: TestClient, k: Any) -> None:
    response = hardened.post("/chat", json={"message": PROPAGANDA, "k": k})
    assert_clear_4xx(response, "k")
    assert response.status_code == 422


@pytest.mark.parametrize("k", ["0", "-1", "51", "9" * 400, "1.5", "1e308", "NaN", "five", ""])
def test_search_k_out_of_range(hardened: TestClient, k: str) -> None:
    assert_clear_4xx(hardened.get("/search", params={"q": "Interpol", "k": k}), "k")


@pytest.mark.parametrize("k", [1, 50])
def test_k_at_the_bounds(hardened: TestClient, k: int) -> None:
    assert hardened.post("/chat", json={"message": PROPAGANDA, "k": k}).status_code == 200
    assert hardened.get("/search", params={"q": "Interpol", "k": k}).status_code == 200


@pytest.mark.parametrize(
    "content", ['"\\ud800?"', '"Who\\u0000?"', '[{"type": "text", "text": "\\udbff"}]']
)
def test_openai_route_refuses_bad_characters(hardened: TestClient, content: str) -> None:
    raw = '{"messages": [{"role": "user", "content": ' + content + "}]}"
    response = hardened.post("/v1/chat/completions", content=raw.encode(), headers=JSON)
    assert_clear_4xx(response)
    assert response.json()["error"]["message"]


def test_openai_route_refuses_too_many_messages(hardened: TestClient) -> None:
    many = {"messages": [{"role": "user", "content": "Hi"}] * 1500}
    assert_clear_4xx(hardened.post("/v1/chat/completions", json=many), "messages")


@pytest.mark.parametrize(
    "filters",
    ["x", 5, [1], {"document_id": 5}, {"source": ["a"]}, {"published_after": 20240101},
     {"published_before": "yesterday"}, {"published_after": {"$gt": 1}}, {"where": "1=1"},
     {"document_id": {"$ne": ""}}],
)  # fmt: skip
def test_filters_of_the_wrong_type(hardened: TestClient, filters: Any) -> None:
    response = hardened.post("/chat", json={"message": PROPAGANDA, "filters": filters})
    assert_clear_4xx(response, "filters")
    assert response.status_code == 422


async def _burst(url: str, count: int) -> list[int]:
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        body = {"message": PROPAGANDA}
        responses = await asyncio.gather(*(http.post("/chat", json=body) for _ in range(count)))
    for response in responses:
        assert response.headers["content-type"].startswith("application/json")
    return [r.status_code for r in responses]


def test_many_requests_at_once_from_one_client(
    hardened_settings: Settings, embedder: Embedder
) -> None:
    settings = hardened_settings.model_copy(update={"rate_limit": "8/minute"})
    app = create_app(settings, service=build_service(settings, embedder))
    with serve_app(app) as url:
        codes = asyncio.run(_burst(url, 40))
        assert sorted(set(codes)) == [200, 429], codes
        assert codes.count(200) == 8
        health = httpx.get(f"{url}/health")
        assert health.status_code == 200 and health.json()["documents"] == 2
        assert httpx.get(f"{url}/search", params={"q": "Interpol"}).status_code == 200
