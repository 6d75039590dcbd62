"""The LLM answerer against a real OpenAI-compatible server on loopback: llama-cpp-python's
server with a tiny model (``make test-llm``). Skipped unless ``QA_TEST_LLM=1``.

The server is started here on a free port from ``QA_TEST_LLM_MODEL`` (a GGUF file, with
``QA_TEST_LLM_CHAT_FORMAT`` when the file has no chat template), or an
already running one is used from ``QA_TEST_LLM_URL`` (e.g. Ollama's
``http://127.0.0.1:11434/v1`` with ``QA_TEST_LLM_NAME`` naming its model). The model is
tiny: these tests check the wiring (requests, streaming, the citation check, failures and
the fallback), not the quality of its prose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.generate.client import client as chat_model
from qa.models import Answer, Question, Turn
from qa.processes import free_port, stop, wait_for
from qa.service import Service, build_service
from qa.settings import Settings
from tests.helpers import PROPAGANDA, check_citations, sse_events, sse_json

pytestmark = [
    pytest.mark.llm,
    pytest.mark.skipif(os.environ.get("QA_TEST_LLM") != "1", reason="make test-llm runs it"),
]


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running OpenAI-compatible server (started here if need be)."""
    if given := os.environ.get("QA_TEST_LLM_URL"):
        yield given
        return
    model = os.environ.get("QA_TEST_LLM_MODEL")
    assert model and Path(model).is_file(), "QA_TEST_LLM_MODEL must name a GGUF file"
    port = free_port()
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "4096", "--n_threads", str(os.cpu_count() or 2),
    ]  # fmt: skip
    if chat_format := os.environ.get("QA_TEST_LLM_CHAT_FORMAT"):  # the GGUF names none
        command += ["--chat_format", chat_format]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/v1/models", process, 180, log)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def real_settings(llm_url: str, seeded_dir: Path) -> Settings:
    return Settings(
        vectorstore_dir=seeded_dir,
        answerer="llm",
        llm_base_url=llm_url,
        llm_model=os.environ.get("QA_TEST_LLM_NAME", "default"),
        llm_timeout=120,
        llm_max_tokens=64,
        k=3,
    )


@pytest.fixture(scope="module")
def llm_service(real_settings: Settings, embedder: Embedder) -> Service:
    return build_service(real_settings, embedder)


def texts(llm_service: Service) -> dict[str, str]:
    return {d.id: d.text for d in llm_service.documents()}


def consistent(answer: dict[str, Any], documents: dict[str, str]) -> None:
    """Whatever the model said, the checked answer holds together."""
    assert answer["answerer"] == "llm"
    check_citations(answer, documents)
    assert [c["n"] for c in answer["citations"]] == list(range(1, len(answer["citations"]) + 1))
    if answer["answered"]:
        assert any(s["supported"] for s in answer["sentences"])
        used = {n for s in answer["sentences"] for n in s["citations"]}
        assert used == {c["n"] for c in answer["citations"]}
    else:
        assert answer["citations"] == [] and answer["sentences"] == []


def test_the_server_answers_a_request(real_settings: Settings) -> None:
    reply = chat_model(real_settings, max_tokens=8).invoke("Say hello.")
    assert isinstance(reply.text, str) and reply.text.strip()


def test_chat_gives_a_checked_answer(llm_service: Service) -> None:
    answer = llm_service.chain.invoke(Question(text=PROPAGANDA))
    consistent(answer.model_dump(), texts(llm_service))
    assert answer.timings_ms["answer"] > 0


def test_follow_ups_are_rewritten_by_the_model(llm_service: Service) -> None:
    history = [
        Turn(role="user", content="Who was the head of Iran's Quds Force?"),
        Turn(role="assistant", content="Qassem Soleimani was the head of the Quds Force. [1]"),
    ]
    standalone = llm_service.chain.condense("How old was he?", history)
    assert isinstance(standalone, str) and standalone.strip()


def test_streams_token_by_token_with_checked_citations(llm_service: Service) -> None:
    with TestClient(create_app(llm_service.settings, service=llm_service)) as client:
        with client.stream("POST", "/chat/stream", json={"message": PROPAGANDA}) as response:
            assert response.status_code == 200
            events = sse_json(response.read().decode())
        names = [name for name, _ in events]
        assert names[0] == "citations" and names[-1] == "done" and names.count("delta") > 1
        consistent(events[-1][1], texts(llm_service))
        body = {"messages": [{"role": "user", "content": PROPAGANDA}], "stream": True}
        with client.stream("POST", "/v1/chat/completions", json=body) as response:
            lines = response.read().decode().split("\n")
        chunks = [json.loads(d) for _, d in sse_events(lines) if d != "[DONE]"]
        assert len(chunks) > 2 and chunks[-1]["answerer"] == "llm"
        assert isinstance(chunks[-1]["citations"], list)


def test_a_dead_server_is_503_or_the_fallback(real_settings: Settings, embedder: Embedder) -> None:
    dead = real_settings.model_copy(
        update={"llm_base_url": f"http://127.0.0.1:{free_port()}/v1", "llm_max_retries": 0}
    )
    with TestClient(create_app(dead, service=build_service(dead, embedder))) as client:
        response = client.post("/chat", json={"message": PROPAGANDA})
        assert response.status_code == 503 and "cannot be reached" in response.json()["detail"]
    fallback = dead.model_copy(update={"llm_fallback": "extractive"})
    answer = build_service(fallback, embedder).chain.invoke(Question(text=PROPAGANDA))
    assert isinstance(answer, Answer) and answer.answerer == "extractive (fallback)"
    assert answer.answered and "Brian Hook" in answer.answer


def test_a_slow_server_is_504(real_settings: Settings, embedder: Embedder) -> None:
    slow = real_settings.model_copy(update={"llm_timeout": 0.01, "llm_max_retries": 0})
    with TestClient(create_app(slow, service=build_service(slow, embedder))) as client:
        response = client.post("/chat", json={"message": PROPAGANDA})
        assert response.status_code == 504 and "in time" in response.json()["detail"]
