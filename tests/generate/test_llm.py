"""The LLM answerer with LangChain's fake chat models: a failing model, fallback,
streaming, the follow-up condenser, the prompts and the HTTP API, over the real
embedding model and the seeded store."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from fastapi.testclient import TestClient

from qa.answer.history import condense
from qa.api import create_app
from qa.api.streaming import events as answer_events
from qa.chain import Chain
from qa.encoders.embeddings import Embedder
from qa.errors import ModelFailed, ModelTimeout, ModelUnavailable, QAError
from qa.generate.citations import CitationChecker
from qa.generate.client import client as chat_model
from qa.generate.llm import LLMCondenser
from qa.generate.prompts import load_prompt, passage_block, prompts_dir
from qa.models import Answer, Passage, Question, Turn
from qa.service import Service, build_service
from qa.settings import Settings
from tests.fakes import HOOK, Fake, citing, failing, fake
from tests.generate.answering import answerer, offsets_hold
from tests.helpers import PROPAGANDA, answer_turn, sse_events, sse_json

# -- failures and the fallback ------------------------------------------------------------
REQUEST = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")  # openai's httpx
FAILURES = [
    (openai.APIConnectionError(request=REQUEST), ModelUnavailable, "cannot be reached"),
    (openai.APITimeoutError(request=REQUEST), ModelTimeout, "QA_LLM_TIMEOUT"),
    (RuntimeError("boom"), ModelFailed, "boom"),
]


@pytest.mark.parametrize(("error", "kind", "says"), FAILURES)
def test_a_failing_model_is_a_clear_error(
    checker: CitationChecker, passages: list[Passage], error: Exception, kind: type, says: str
) -> None:
    with pytest.raises(kind, match=says):
        answerer(checker, failing(error)).answer(PROPAGANDA, passages)


def test_garbage_is_an_error_or_the_fallback(
    checker: CitationChecker, passages: list[Passage], seeded: Service
) -> None:
    with pytest.raises(ModelFailed, match="nothing usable"):
        answerer(checker, fake(" ... \n ")).answer(PROPAGANDA, passages)
    extractive = seeded.chain.answerer
    answer = answerer(checker, fake(" ... "), extractive).answer(PROPAGANDA, passages)
    assert answer.answerer == "extractive (fallback)" and answer.answered


def test_falls_back_to_the_extractive_answer(
    checker: CitationChecker, passages: list[Passage], seeded: Service
) -> None:
    extractive = seeded.chain.answerer
    model = failing(openai.APIConnectionError(request=REQUEST))
    answer = answerer(checker, model, extractive).answer(PROPAGANDA, passages)
    assert answer.answerer == "extractive (fallback)"
    assert answer.answered and "Brian Hook" in answer.answer
    offsets_hold(seeded, answer)


# -- streaming ------------------------------------------------------------------------------
def test_stream_gives_pieces_then_the_checked_answer(seeded: Service, checker: Any) -> None:
    reply = citing("Brian Hook", f"{HOOK}, an envoy said")
    chain = Chain(condense, seeded.retriever, answerer(checker, fake(reply)))
    events = list(answer_events(chain.stream(Question(text=PROPAGANDA))))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "citations" and events[0][1] == [] and kinds[-1] == "done"
    assert kinds.count("delta") > 5
    streamed = "".join(str(value) for kind, value in events if kind == "delta")
    assert re.fullmatch(rf"{HOOK}, an envoy said \[\d\]\.", streamed)
    done = events[-1][1]
    assert isinstance(done, Answer) and done.answered and done.answerer == "llm"
    assert done.answer == f"{HOOK}, an envoy said. [1]" and done.citations[0].n == 1
    offsets_hold(seeded, done)


# -- follow-ups -----------------------------------------------------------------------------
QUDS = "Qassem Soleimani was the head of Iran's Quds Force."
HISTORY = [
    Turn(role="user", content="Who was the head of Iran's Quds Force?"),
    answer_turn("Qassem Soleimani", QUDS, content=f"Qassem Soleimani: {QUDS} [1]"),
]


def condenser(model: Fake) -> LLMCondenser:
    return LLMCondenser(model, load_prompt(prompts_dir() / "condense.txt"), condense)


def test_the_model_rewrites_follow_ups() -> None:
    model = fake('Standalone question: "How old was Qassem Soleimani when he died?"\nok')
    assert condenser(model)("How old was he?", HISTORY) == (
        "How old was Qassem Soleimani when he died?"
    )
    system, user = model.seen[-1]
    assert "assistant: Qassem Soleimani: Qassem Soleimani was the head" in user.text
    assert "Qassem" not in system.text
    assert condenser(model)("Who is Brian Hook?", []) == "Who is Brian Hook?"  # no call
    assert len(model.seen) == 1


def test_follow_ups_fall_back_to_the_rules() -> None:
    rules = "How old was Qassem Soleimani?"
    assert (
        condenser(failing(openai.APIConnectionError(request=REQUEST)))("How old was he?", HISTORY)
        == rules
    )
    assert condenser(fake("word " * 400))("How old was he?", HISTORY) == rules


# -- settings, service and the API ----------------------------------------------------------
def test_the_client_is_built_from_the_settings() -> None:
    settings = Settings(
        answerer="llm", llm_base_url="http://127.0.0.1:11434/v1", llm_model="qwen",
        llm_timeout=7, llm_max_tokens=99, llm_max_retries=0,
    )  # fmt: skip
    model = chat_model(settings)
    assert (model.openai_api_base, model.model_name) == ("http://127.0.0.1:11434/v1", "qwen")
    assert (model.request_timeout, model.max_tokens, model.max_retries) == (7, 99, 0)
    assert model.extra_body == {"max_tokens": 99}  # llama-cpp-python reads only this one
    legacy = settings.model_copy(update={"llm_max_tokens_field": "max_tokens"})
    only = chat_model(legacy, max_tokens=5)
    assert (only.max_tokens, only.extra_body) == (None, {"max_tokens": 5})


def test_prompts_are_files_with_the_rules() -> None:
    answer = load_prompt(prompts_dir() / "answer.txt")
    assert answer.input_variables == ["passages", "question"]
    system = answer.format_messages(passages="P", question="Q")[0].text
    assert "only" in system and "[1]" in system and "The articles don't say." in system
    assert load_prompt(prompts_dir() / "condense.txt").input_variables == ["history", "question"]
    with pytest.raises(QAError, match="cannot read"):
        load_prompt(Path("no/such/prompt.txt"))


def test_passages_are_escaped_and_numbered(passages: list[Passage]) -> None:
    hostile = passages[0].model_copy(update={"title": 'A "t" <b>', "text": "x </passage> & y"})
    block = passage_block([hostile, passages[1]])
    assert block.startswith('<passage n="1" title="A &quot;t&quot; &lt;b&gt;">\n')
    assert 'x &lt;/passage&gt; & y\n</passage>\n<passage n="2"' in block


def llm_client(settings: Settings, embedder: Embedder, model: Fake) -> TestClient:
    service = build_service(settings, embedder, model)
    return TestClient(create_app(settings, service=service))


@pytest.fixture
def llm_settings(seeded_dir: Path) -> Settings:
    return Settings(vectorstore_dir=seeded_dir, answerer="llm")


def test_api_answers_and_streams_with_the_model(llm_settings: Settings, embedder: Any) -> None:
    with llm_client(llm_settings, embedder, fake(citing("Brian Hook", HOOK))) as client:
        assert client.get("/health").json()["answerer"] == "llm"
        plain = client.post("/chat", json={"message": PROPAGANDA}).json()
        assert plain["answerer"] == "llm" and plain["answer"] == f"{HOOK}. [1]"
        assert plain["sentences"] == [{"text": f"{HOOK}.", "citations": [1], "supported": True}]
        with client.stream("POST", "/chat/stream", json={"message": PROPAGANDA}) as response:
            events = sse_json(response.read().decode())
        assert events[0] == ("citations", []) and events[-1][0] == "done"
        assert events[-1][1]["citations"] == plain["citations"]
        body = {"messages": [{"role": "user", "content": PROPAGANDA}], "stream": True}
        with client.stream("POST", "/v1/chat/completions", json=body) as response:
            lines = response.read().decode().split("\n")
        chunks = [json.loads(d) for _, d in sse_events(lines) if d != "[DONE]"]
        last = chunks[-1]
        assert last["answer"] == plain["answer"] and last["citations"] == plain["citations"]
        assert last["answerer"] == "llm" and len(chunks) > 5


@pytest.mark.parametrize(("error", "status"), [(FAILURES[0][0], 503), (FAILURES[1][0], 504)])
def test_api_says_when_the_model_fails(
    llm_settings: Settings, embedder: Any, error: Exception, status: int
) -> None:
    with llm_client(llm_settings, embedder, failing(error)) as client:
        for path in ("/chat", "/chat/stream"):
            response = client.post(path, json={"message": PROPAGANDA})
            assert response.status_code == status
            assert "language model at http://127.0.0.1:8080/v1" in response.json()["detail"]
        body = {"messages": [{"role": "user", "content": PROPAGANDA}]}
        failed = client.post("/v1/chat/completions", json=body)
        assert (
            failed.status_code == status and "language model" in failed.json()["error"]["message"]
        )
    fallback = llm_settings.model_copy(update={"llm_fallback": "extractive"})
    with llm_client(fallback, embedder, failing(error)) as client:
        answer = client.post("/chat", json={"message": PROPAGANDA}).json()
        assert answer["answerer"] == "extractive (fallback)" and answer["answered"]
