"""A conversation that keeps its questions whole: a follow-up is rewritten only when it
needs it, and the history is trimmed by one rule wherever the question comes from."""

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

from qa.answer import condense
from qa.encoders import Embedder
from qa.models import Turn
from tests.conftest import ROOT
from tests.helpers import answer_turn, app_client, copy_store

TURNS = 2  # QA_MAX_HISTORY_TURNS here
QUDS = "Who was the head of Iran's Quds Force?"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path) -> Path:
    return copy_store(seeded_dir, tmp_path_factory.mktemp("conversation") / "store")


@pytest.fixture(scope="module")
def trimmed(store: Path, embedder: Embedder) -> Iterator[TestClient]:
    with app_client(store, embedder, max_history_turns=TURNS) as trimmed:
        yield trimmed


def _asked(trimmed: TestClient, question: str, history: list[dict[str, Any]]) -> dict[str, Any]:
    response = trimmed.post("/chat", json={"message": question, "history": history})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _exchange(trimmed: TestClient, question: str) -> list[dict[str, Any]]:
    """A question and its answer, as the page keeps them."""
    answer = _asked(trimmed, question, [])
    said = {"role": "assistant", "content": answer["answer"], "findings": answer["findings"]}
    return [{"role": "user", "content": question}, said]


@pytest.mark.parametrize(
    "question",
    [  # each names what its pronoun points at, or its own subject
        "How old was Soleimani when he died?",
        "Will Iran drop the case against Trump once he is no longer president?",
        "How many missiles did Iran fire in its retaliation?",
        "Which Iranian news agency did the prosecutor give his statement to?",
        "Where was Soleimani born?",
    ],
)
def test_a_question_that_stands_on_its_own_comes_back_unchanged(
    trimmed: TestClient, question: str
) -> None:
    history = _exchange(trimmed, "Who is the supreme leader of Iran?")
    assert _asked(trimmed, question, history)["standalone_question"] == question


def test_a_real_follow_up_is_still_resolved(trimmed: TestClient) -> None:
    answer = _asked(trimmed, "How old was he?", _exchange(trimmed, QUDS))
    assert answer["standalone_question"] == "How old was Qassem Soleimani?"
    assert answer["answered"] and "62" in answer["answer"]


@pytest.mark.parametrize(
    ("question", "history", "standalone"),
    [
        (  # an elliptical follow-up still borrows the previous question
            "And the other article?",
            [Turn(role="user", content="How old was Soleimani?")],
            "How old was Soleimani? And the other article?",
        ),
        ("Why?", [Turn(role="user", content="Did Interpol refuse?")], "Did Interpol refuse? Why?"),
        (  # "he" is resolved from the answer's findings, never from a thing
            "What did he order?",
            [Turn(role="user", content="Who led the U.S.?"), answer_turn("Trump", "Trump led.")],
            "What did Trump order?",
        ),
        (  # "the American envoy" is the antecedent of "he"
            "Where did the American envoy speak when he dismissed the warrant?",
            [Turn(role="user", content="When?"), answer_turn("January", "In January.")],
            "Where did the American envoy speak when he dismissed the warrant?",
        ),
    ],
)
def test_the_rules_of_the_rewrite(question: str, history: list[Turn], standalone: str) -> None:
    assert condense(question, history) == standalone


def test_qa_ask_trims_the_history_as_post_chat_does(trimmed: TestClient, store: Path) -> None:
    """The history names Soleimani only in turns beyond QA_MAX_HISTORY_TURNS: neither
    the CLI nor the API may read them, so both answer the same."""
    history = [*_exchange(trimmed, QUDS), *_exchange(trimmed, "Did Interpol refuse?")]
    over_http = _asked(trimmed, "How old was he?", history)
    path = store.parent / "history.json"
    path.write_text(json.dumps(history))
    env = {**os.environ, "QA_VECTORSTORE_DIR": str(store), "QA_MAX_HISTORY_TURNS": str(TURNS)}
    command = [sys.executable, "-m", "qa.cli", "ask", "How old was he?", "--json"]
    result = subprocess.run(
        [*command, "--history", str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    by_cli = json.loads(result.stdout)
    assert "Soleimani" not in over_http["standalone_question"]
    for key in ("standalone_question", "answer", "answered", "citations"):
        assert by_cli[key] == over_http[key], key
