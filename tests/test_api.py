"""The HTTP API in process (TestClient), over real Chroma stores and the real model."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa.answer.history import condense
from qa.api import create_app
from qa.api.errors import INTERNAL
from qa.chain import Chain
from qa.encoders.embeddings import Embedder
from qa.errors import StoreUnavailable
from qa.models import Answer
from qa.processes import free_port
from qa.service import Service, build_service
from qa.settings import Settings
from tests.fakes import BreaksMidway
from tests.helpers import (
    BAD_FILES,
    PROPAGANDA,
    SENTENCE_ANSWER,
    app_client,
    check_citations,
    copy_store,
    document_texts,
    sse_json,
)

UPLOAD_LIMIT = 20_000
ANSWER_KEYS = {
    "answer", "answered", "standalone_question", "citations", "timings_ms", "answerer", "sentences",
    "short_answer", "sources_differ", "tier", "related", "findings",
}  # fmt: skip
PASSAGE_KEYS = {"chunk_id", "document_id", "title", "source", "text", "start", "end", "score"}
CITATION_KEYS = {
    "n", "document_id", "title", "source", "published", "quote", "start", "end", "score",
    "answer_start", "answer_end",
}  # fmt: skip


@pytest.fixture
def api_settings(tmp_path: Path, seeded_dir: Path) -> Settings:
    """Settings over a private copy of the seeded store, with a small upload limit."""
    store = copy_store(seeded_dir, tmp_path / "store")
    return Settings(vectorstore_dir=store, max_upload_bytes=UPLOAD_LIMIT, max_history_turns=4)


@pytest.fixture
def client(api_settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    app = create_app(api_settings, service=build_service(api_settings, embedder))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder
) -> Iterator[TestClient]:
    """One client for the tables of requests that change nothing (each checks that)."""
    store = copy_store(seeded_dir, tmp_path_factory.mktemp("shared") / "store")
    with app_client(store, embedder, max_upload_bytes=UPLOAD_LIMIT, max_history_turns=4) as client:
        yield client


def count(client: TestClient) -> int:
    return int(client.get("/health").json()["documents"])


def assert_still_answers(client: TestClient) -> None:
    response = client.post("/chat", json={"message": PROPAGANDA})
    assert response.status_code == 200
    assert response.json()["answered"] is True


def assert_error(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert detail, response.text
    for word in words:
        assert word.lower() in json.dumps(detail).lower(), detail


# -- health ---------------------------------------------------------------------------
def test_health_reports_counts_and_model(client: TestClient, api_settings: Settings) -> None:
    body = client.get("/health").json()
    listed = client.get("/documents").json()["documents"]
    assert body["status"] == "ok"
    assert body["documents"] == len(listed) == 2
    assert body["chunks"] == sum(d["chunks"] for d in listed) > 0
    assert body["model"] == api_settings.embedding_model


def test_health_is_503_while_the_store_is_unreachable(embedder: Embedder) -> None:
    settings = Settings(chroma_url=f"http://127.0.0.1:{free_port()}")
    with TestClient(create_app(settings, embedder=embedder)) as down:
        assert_error(down.get("/health"), 503, "not ready", "chroma")
        assert_error(down.post("/chat", json={"message": PROPAGANDA}), 503, "not ready")
        assert down.get("/").status_code == 200  # the page still loads and can say so


def test_empty_store_is_409_asking_to_ingest(settings: Settings, service: Service) -> None:
    with TestClient(create_app(settings, service=service)) as empty:
        assert empty.get("/health").json()["documents"] == 0
        assert_error(empty.post("/chat", json={"message": PROPAGANDA}), 409, "ingest")
        assert_error(empty.post("/chat/stream", json={"message": PROPAGANDA}), 409, "ingest")
        assert_error(empty.get("/search", params={"q": "Trump"}), 409, "ingest")
        assert empty.get("/documents").json() == {
            "documents": [], "total": 0, "stored": 0, "offset": 0, "next_offset": None
        }  # fmt: skip


# -- chat -----------------------------------------------------------------------------
def test_chat_answers_with_valid_citations(client: TestClient) -> None:
    response = client.post("/chat", json={"message": PROPAGANDA})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == ANSWER_KEYS
    assert answer["answered"] is True
    assert answer["standalone_question"] == PROPAGANDA
    assert answer["citations"] and "[1]" in answer["answer"]
    assert all(set(c) == CITATION_KEYS for c in answer["citations"])
    check_citations(answer, document_texts(client))
    assert answer["timings_ms"]["total"] > 0
    Answer.model_validate(answer)


@pytest.mark.parametrize(
    ("question", "tier"),
    [
        (PROPAGANDA, "span"),  # the reader is sure of "Brian Hook"
        (SENTENCE_ANSWER, "sentence"),  # a yes/no question: no span answers it in a word
        ("Who won the 2022 World Cup?", "none"),
    ],
)
def test_each_tier_over_http(shared: TestClient, question: str, tier: str) -> None:
    answer = shared.post("/chat", json={"message": question}).json()
    assert answer["tier"] == tier, answer["answer"]
    assert answer["answered"] is (tier != "none")
    assert (answer["short_answer"] is not None) is (tier == "span")
    assert bool(answer["citations"]) is (tier != "none")
    texts = document_texts(shared)
    for c in answer["citations"]:
        text = texts[c["document_id"]]
        assert text[c["start"] : c["end"]] == c["quote"] and c["quote"] in answer["answer"]
        if tier == "span" and c["n"] == 1:  # the short answer sits inside its quoted sentence
            assert text[c["answer_start"] : c["answer_end"]] == answer["short_answer"]
            assert c["start"] <= c["answer_start"] < c["answer_end"] <= c["end"]
        if tier == "sentence":
            assert c["answer_start"] is None and c["answer_end"] is None
    if tier == "none":
        assert answer["answer"] == "The articles don't say." and answer["findings"] == []
    # a declined question points to where to look; an answer needs no such pointer
    assert (1 <= len(answer["related"]) <= 3) is (tier == "none")
    for r in answer["related"]:
        assert set(r) == CITATION_KEYS and r["answer_start"] is None
        assert texts[r["document_id"]][r["start"] : r["end"]] == r["quote"]


def test_chat_uses_history_k_and_filters(client: TestClient) -> None:
    first = client.post("/chat", json={"message": PROPAGANDA}).json()
    history = [{"role": "user", "content": "Hello"}] * 9 + [
        {"role": "user", "content": PROPAGANDA},
        {"role": "assistant", "content": first["answer"], "findings": first["findings"]},
    ]  # over max_history_turns (4): only the last turns are used
    follow = client.post("/chat", json={"message": "Where was he?", "history": history, "k": 3})
    assert follow.status_code == 200
    assert follow.json()["standalone_question"] != "Where was he?"
    other = next(
        d["id"]
        for d in client.get("/documents").json()["documents"]
        if d["id"] != first["citations"][0]["document_id"]
    )
    body = {"message": "Who issued the arrest warrant?", "filters": {"document_id": other}}
    limited = client.post("/chat", json=body).json()
    assert all(c["document_id"] == other for c in limited["citations"])


def stream(client: TestClient, body: dict[str, Any]) -> tuple[Any, list[tuple[str, Any]]]:
    with client.stream("POST", "/chat/stream", json=body) as response:
        text = response.read().decode()
    return response, sse_json(text)


def test_chat_stream_sends_citations_deltas_then_done(client: TestClient) -> None:
    response, events = stream(client, {"message": PROPAGANDA})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) > 3
    done = events[-1][1]
    assert set(done) == ANSWER_KEYS and done["answered"] is True
    assert "".join(data["text"] for name, data in events if name == "delta") == done["answer"]
    assert isinstance(events[0][1], list)
    check_citations(done, document_texts(client))
    plain = client.post("/chat", json={"message": PROPAGANDA}).json()
    assert (plain["answer"], plain["citations"]) == (done["answer"], done["citations"])


def test_chat_stream_citations_event_lists_the_citations(client: TestClient) -> None:
    _, events = stream(client, {"message": PROPAGANDA})
    assert events[0] == ("citations", events[-1][1]["citations"])


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (RuntimeError("a bug"), INTERNAL),
        (StoreUnavailable("the store went away"), "the store went away"),
    ],
)
def test_chat_stream_failure_is_an_error_event(
    api_settings: Settings, embedder: Embedder, error: Exception, detail: str
) -> None:
    service = build_service(api_settings, embedder)
    chain = Chain(condense, service.retriever, BreaksMidway(error))
    service = dataclasses.replace(service, chain=chain)
    with TestClient(create_app(api_settings, service=service)) as broken:
        response, events = stream(broken, {"message": PROPAGANDA})
        assert response.status_code == 200
        assert events == [
            ("citations", []),
            ("delta", {"text": "A partial "}),
            ("error", {"detail": detail}),
        ]
        assert broken.get("/health").status_code == 200


BAD_CHATS = [
    ({"message": ""}, 400, ["empty"]),
    ({"message": "   \n\t "}, 400, ["empty"]),
    ({"message": "x" * 2001}, 413, ["2,000", "QA_MAX_MESSAGE_CHARS"]),
    ({}, 422, ["message", "missing"]),
    ({"message": 42}, 422, ["valid string"]),
    ({"message": ["a"]}, 422, ["valid string"]),
    ({"message": "Hi?", "history": "no"}, 422, ["valid list"]),
    ({"message": "Hi?", "history": [{"role": "system", "content": "x"}]}, 422, ["role"]),
    ({"message": "Hi?", "history": [{"role": "user"}]}, 422, ["content"]),
    ({"message": "Hi?", "k": 0}, 422, ["greater than or equal to 1"]),
    ({"message": "Hi?", "k": 51}, 422, ["less than or equal to 50"]),
    ({"message": "Hi?", "k": "3"}, 422, ["valid integer"]),
    ({"message": "Hi?", "filters": {"published_after": "soon"}}, 422, ["date"]),
    ({"message": "Hi?", "filters": {"author": "x"}}, 422, ["extra"]),
    ({"message": "Hi?", "question": "x"}, 422, ["extra"]),
    ([1, 2], 422, ["valid dictionary"]),
]


@pytest.mark.parametrize("path", ["/chat", "/chat/stream"])
@pytest.mark.parametrize(("body", "status", "words"), BAD_CHATS, ids=range(len(BAD_CHATS)))
def test_bad_chat_requests_get_clear_errors(
    shared: TestClient, path: str, body: Any, status: int, words: list[str]
) -> None:
    assert_error(shared.post(path, json=body), status, *words)


@pytest.mark.parametrize("path", ["/chat", "/chat/stream"])
@pytest.mark.parametrize("raw", [b'{"message": "Who', b"\xff\xfe{}", b"not json"])
def test_chat_bodies_that_are_not_json_are_422(shared: TestClient, path: str, raw: bytes) -> None:
    response = shared.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 422, "json")


@pytest.mark.parametrize("path", ["/chat", "/chat/stream"])
def test_chat_without_json_content_type_is_415(client: TestClient, path: str) -> None:
    # curl -d '{...}' without -H 'Content-Type: application/json', or no body at all
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_error(client.post(path, content=b'{"message": "Hi?"}', headers=form), 415, "json")
    assert_error(client.post(path), 415, "Content-Type: application/json")
    assert_still_answers(client)


# -- search ---------------------------------------------------------------------------
def test_search_returns_passages(client: TestClient) -> None:
    response = client.get("/search", params={"q": "Interpol red notice", "k": 3})
    assert response.status_code == 200
    results = response.json()["results"]
    assert 0 < len(results) <= 3
    texts = document_texts(client)
    for r in results:
        assert {
            "chunk_id",
            "document_id",
            "title",
            "source",
            "text",
            "start",
            "end",
            "score",
        } <= set(r)
        assert texts[r["document_id"]][r["start"] : r["end"]] == r["text"]
    some = results[0]["document_id"]
    params = {"q": "Interpol", "document_id": some, "source": "", "published_after": ""}
    only = client.get("/search", params=params).json()["results"]
    assert only and {r["document_id"] for r in only} == {some}


def test_bad_searches_get_clear_errors(client: TestClient) -> None:
    assert_error(client.get("/search"), 422, "q", "missing")
    assert_error(client.get("/search", params={"q": "  "}), 400, "empty")
    assert_error(client.get("/search", params={"q": "x" * 2001}), 413, "QA_MAX_MESSAGE_CHARS")
    assert_error(client.get("/search", params={"q": "Iran", "k": 0}), 422, "greater than")
    assert_error(client.get("/search", params={"q": "Iran", "k": 99}), 422, "less than")
    assert_error(client.get("/search", params={"q": "Iran", "k": "many"}), 422, "integer")
    params = {"q": "Iran", "published_before": "2020-13-45"}
    assert_error(client.get("/search", params=params), 422, "published_before")


# -- documents ------------------------------------------------------------------------
def test_documents_list_and_get(client: TestClient) -> None:
    documents = client.get("/documents").json()["documents"]
    assert len(documents) == 2
    for d in documents:
        assert {"id", "title", "source", "published", "url", "chunks"} <= set(d)
        assert "text" not in d
        full = client.get(f"/documents/{d['id']}").json()
        assert {**d, "text": full["text"]} == full and full["text"].strip()
    assert_error(client.get("/documents/0000000000000000"), 404, "0000000000000000")


ARTICLE = {
    "title": "Harbour festival",
    "text": "The Riverside harbour festival opens on Saturday. "
    "The lantern parade starts at the Old Lighthouse on Pier Road at nine o'clock.",
    "source": "Riverside Gazette",
    "url": "https://example.org/harbour",
    "published": "2024-05-01",
}


def test_post_json_get_and_delete(client: TestClient) -> None:
    response = client.post("/documents", json=ARTICLE)
    assert response.status_code == 201
    body = response.json()
    assert body["added"] == [ARTICLE["title"]] and body["unchanged"] == body["replaced"] == []
    (new_id,) = body["document_ids"]
    assert response.headers["location"] == f"/documents/{new_id}"
    assert count(client) == 3
    stored = client.get(f"/documents/{new_id}").json()
    assert {k: stored[k] for k in ARTICLE} == ARTICLE
    again = client.post("/documents", json=ARTICLE).json()
    assert again["unchanged"] == [ARTICLE["title"]] and again["document_ids"] == [new_id]
    changed = client.post("/documents", json={**ARTICLE, "text": ARTICLE["text"] + " Boats too."})
    assert changed.json()["replaced"] == [ARTICLE["title"]] and count(client) == 3
    (changed_id,) = changed.json()["document_ids"]
    found = client.get("/search", params={"q": "lantern parade", "document_id": changed_id})
    assert found.json()["results"][0]["document_id"] == changed_id
    assert client.delete(f"/documents/{changed_id}").status_code == 204
    assert_error(client.get(f"/documents/{changed_id}"), 404, changed_id)
    assert_error(client.delete(f"/documents/{changed_id}"), 404, changed_id)
    assert count(client) == 2
    assert_still_answers(client)


def test_upload_files(client: TestClient) -> None:
    markdown = b"---\ntitle: Port news\nsource: Gazette\n---\nShips arrived at the port today."
    response = client.post("/documents", files={"file": ("port.md", markdown, "text/markdown")})
    assert response.status_code == 201, response.text
    assert response.json()["added"] == ["Port news"]
    rows = [{"title": f"Note {i}", "text": f"Note number {i} is about ferries."} for i in (1, 2)]
    jsonl = "\n".join(json.dumps(r) for r in rows).encode()
    response = client.post("/documents", files={"file": ("notes.jsonl", jsonl)})
    assert response.status_code == 201, response.text
    assert response.json()["added"] == ["Note 1", "Note 2"]
    assert len(response.json()["document_ids"]) == 2
    assert count(client) == 5
    port = next(
        d for d in client.get("/documents").json()["documents"] if d["title"] == "Port news"
    )
    assert port["source"] == "Gazette"


BAD_WRITES: list[tuple[str, dict[str, Any], int, list[str]]] = [
    ("over the limit", {"files": {"file": ("big.txt", b"a" * (UPLOAD_LIMIT + 1))}}, 413, ["limit"]),
    ("far over", {"files": {"file": ("big.txt", b"a" * (UPLOAD_LIMIT + 70_000))}}, 413, ["limit"]),
    ("pdf", {"files": {"file": ("paper.pdf", b"%PDF-1.4 text")}}, 415, [".pdf"]),
    ("no suffix", {"files": {"file": ("README", b"Some text.")}}, 415, ["unsupported"]),
    ("binary", {"files": {"file": ("x.txt", b"\x00\x01\x02\xffPNG")}}, 400, ["binary"]),
    ("latin-1", {"files": {"file": ("x.txt", "café".encode("latin-1"))}}, 400, ["utf-8"]),
    ("empty file", {"files": {"file": ("x.md", b"  \n ")}}, 400, ["empty"]),
    ("bad jsonl", {"files": {"file": ("x.jsonl", b'{"title": "a"')}}, 400, ["line 1"]),
    ("no file field", {"files": {"other": ("x.txt", b"Hello there.")}}, 400, ["'file'"]),
    ("json no text", {"json": {"title": "A"}}, 422, ["text", "missing"]),
    ("json blank text", {"json": {"title": "A", "text": "  "}}, 400, ["no text"]),
    ("json blank title", {"json": {"title": " ", "text": "Words."}}, 422, ["title"]),
    ("json wrong type", {"json": {"title": "A", "text": 7}}, 422, ["valid string"]),
    ("json bad date", {"json": {"title": "A", "text": "B.", "published": "May"}}, 422, ["date"]),
    ("json extra", {"json": {"title": "A", "text": "B.", "author": "C"}}, 422, ["extra"]),
    ("json array", {"json": [ARTICLE]}, 422, ["dictionary"]),
    ("json too long", {"json": {"title": "A", "text": "b" * (UPLOAD_LIMIT + 1)}}, 413, ["limit"]),
    (
        "malformed json",
        {"content": b'{"title": ', "headers": {"Content-Type": "application/json"}},
        422,
        ["json"],
    ),
    ("plain text", {"content": b"hello", "headers": {"Content-Type": "text/plain"}}, 415, ["json"]),
]


@pytest.mark.parametrize(
    ("request_", "status", "words"),
    [case[1:] for case in BAD_WRITES],
    ids=[case[0] for case in BAD_WRITES],
)
def test_rejected_writes_change_nothing(
    shared: TestClient, request_: dict[str, Any], status: int, words: list[str]
) -> None:
    before = shared.get("/documents").json()
    response = shared.post("/documents", **request_)
    assert_error(response, status, *words)
    assert shared.get("/documents").json() == before
    assert_still_answers(shared)


# -- the rest -------------------------------------------------------------------------
def test_unknown_routes_and_methods_are_json(client: TestClient) -> None:
    assert_error(client.get("/nope"), 404, "not found")
    assert_error(client.put("/chat", json={}), 405, "not allowed")


def test_a_bug_is_a_json_500(api_settings: Settings, embedder: Embedder) -> None:
    app = create_app(api_settings, service=build_service(api_settings, embedder))

    @app.get("/bug")
    def bug() -> None:
        raise ZeroDivisionError("a bug")

    with TestClient(app, raise_server_exceptions=False) as buggy:
        assert_error(buggy.get("/bug"), 500, "bug", "server log")
        assert buggy.get("/health").status_code == 200


def test_page_static_files_and_docs(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/static/app.js" in page.text and "content-security-policy" in page.headers
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/static/style.css").status_code == 200
    assert_error(client.get("/static/missing.js"), 404, "not found")
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/chat", "/chat/stream", "/search", "/documents", "/v1/chat/completions"} <= set(paths)


def test_openai_errors_have_both_shapes(client: TestClient) -> None:
    body = {"model": "x", "messages": [{"role": "system", "content": "Be brief."}]}
    response = client.post("/v1/chat/completions", json=body)
    assert_error(response, 400, "user message")
    assert response.json()["error"]["message"] == response.json()["detail"]
    assert_error(client.post("/v1/chat/completions", json={"messages": []}), 422, "messages")
    images = [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]
    body = {"messages": [{"role": "user", "content": images}]}
    assert_error(client.post("/v1/chat/completions", json=body), 400, "text")
    assert client.get("/v1/models").json()["data"][0]["id"] == "qa-extractive"


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_every_bad_file_is_refused_with_its_reason(shared: TestClient, name: str) -> None:
    before = shared.get("/documents").json()
    raw, word = BAD_FILES[name]
    response = shared.post("/documents", files={"file": (name, raw)})
    assert 400 <= response.status_code < 500, response.text
    assert word.lower() in response.json()["detail"].lower()
    assert shared.get("/documents").json() == before
