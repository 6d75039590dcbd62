"""The real server (``qa serve`` in a subprocess, on a free loopback port) driven by the
official ``openai`` client, and by plain HTTP as curl would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from tests.helpers import (
    PROPAGANDA,
    Server,
    check_citations,
    copy_store,
    running_server,
    serve_command,
    sse_events,
    sse_json,
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("openai-server")
    store = copy_store(seeded_dir, workdir / "store")
    with running_server(serve_command, store, workdir) as started:
        yield started


@pytest.fixture(scope="module")
def openai_client(served: Server) -> OpenAI:
    return OpenAI(base_url=f"{served.url}/v1", api_key="x", max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def texts(served: Server) -> dict[str, str]:
    documents = httpx.get(f"{served.url}/documents").json()["documents"]
    return {
        d["id"]: httpx.get(f"{served.url}/documents/{d['id']}").json()["text"] for d in documents
    }


def as_answer(content: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {"answer": content, "citations": extra["citations"]}


def test_serve_says_where_to_point_a_browser(served: Server) -> None:
    assert f"Open http://127.0.0.1:{served.port}/ in a browser" in served.output


def test_models(openai_client: OpenAI) -> None:
    assert [m.id for m in openai_client.models.list()] == ["qa-extractive"]


def test_completion_has_markers_and_citations(openai_client: OpenAI, texts: dict[str, str]) -> None:
    response = openai_client.chat.completions.create(
        model="anything",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": PROPAGANDA},
        ],
    )
    content = response.choices[0].message.content or ""
    assert "[1]" in content
    assert response.choices[0].finish_reason == "stop"
    extra = response.model_extra or {}
    assert extra["answered"] is True and extra["citations"]
    assert extra["standalone_question"] == PROPAGANDA
    check_citations(as_answer(content, extra), texts)
    assert response.model_dump()["citations"] == extra["citations"]


def test_completion_with_history(openai_client: OpenAI) -> None:
    first = openai_client.chat.completions.create(
        model="qa-extractive", messages=[{"role": "user", "content": PROPAGANDA}]
    )
    # the answer's findings (an extra of the response) sent back with its message
    told: Any = {
        "role": "assistant",
        "content": first.choices[0].message.content or "",
        "findings": (first.model_extra or {})["findings"],
    }
    response = openai_client.chat.completions.create(
        model="qa-extractive",
        messages=[
            {"role": "user", "content": PROPAGANDA},
            told,
            {"role": "user", "content": [{"type": "text", "text": "Where was he?"}]},
        ],
    )
    extra = response.model_extra or {}
    assert extra["standalone_question"] == "Where was Brian Hook?"
    assert isinstance(response.choices[0].message.content, str)


def test_streaming_ends_with_citations(openai_client: OpenAI, texts: dict[str, str]) -> None:
    chunks = list(
        openai_client.chat.completions.create(
            model="qa-extractive",
            messages=[{"role": "user", "content": PROPAGANDA}],
            stream=True,
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "[1]" in content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    extra = last.model_extra or {}
    assert extra["citations"] and extra["answered"] is True
    check_citations(as_answer(content, extra), texts)
    assert all(not (c.model_extra or {}).get("citations") for c in chunks[:-1])


def test_errors_reach_the_client(openai_client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="qa-extractive", messages=[{"role": "system", "content": "Hi"}]
        )
    assert "user message" in caught.value.message
    with pytest.raises(openai.APIStatusError) as too_long:
        openai_client.chat.completions.create(
            model="qa-extractive", messages=[{"role": "user", "content": "x" * 5000}]
        )
    assert too_long.value.status_code == 413


def test_raw_http_chat_like_curl(served: Server, texts: dict[str, str]) -> None:
    # curl -s -X POST http://HOST:PORT/chat -H 'Content-Type: application/json' -d '{...}'
    response = httpx.post(f"{served.url}/chat", json={"message": PROPAGANDA}, timeout=60)
    assert response.status_code == 200
    answer = response.json()
    assert answer["answered"] is True and answer["citations"]
    check_citations(answer, texts)
    bad = httpx.post(f"{served.url}/chat", json={"message": " "}, timeout=60)
    assert bad.status_code == 400 and "empty" in bad.json()["detail"]


def test_raw_http_stream_is_unbuffered_sse(served: Server) -> None:
    body = {"message": PROPAGANDA}
    with httpx.stream("POST", f"{served.url}/chat/stream", json=body, timeout=60) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        events = sse_events(response.iter_lines())
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done" and "delta" in names


def test_raw_http_openai_stream_ends_with_done(served: Server) -> None:
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": PROPAGANDA}]}
    response = httpx.post(f"{served.url}/v1/chat/completions", json=body, timeout=60)
    data = [d for _, d in sse_events(response.text.split("\n"))]
    assert data[-1] == "[DONE]"
    chunks = sse_json("\n\n".join(f"data: {d}" for d in data[:-1]) + "\n\n")
    assert all(c["object"] == "chat.completion.chunk" for _, c in chunks)
    assert chunks[-1][1]["citations"]
