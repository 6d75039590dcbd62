"""``POST /chat`` and ``/chat/stream`` in process (TestClient), over a real Chroma store and
the real model: cited answers, each tier, history, filters, streaming, and clear
errors for bad requests."""

from __future__ import annotations

import dataclasses
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
from qa.service import build_service
from qa.settings import Settings
from tests.api.checks import ANSWER_KEYS, CITATION_KEYS, assert_error, assert_still_answers
from tests.fakes import BreaksMidway
from tests.helpers import PROPAGANDA, SENTENCE_ANSWER, check_citations, document_texts, sse_json


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
