"""The answer as data over HTTP: what each article says (``findings``), the text rendered
from them, and follow-ups that read them, never the text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.encoders import Embedder
from tests.helpers import app_client, check_citations, copy_store, document_texts

AGE = "How old was Soleimani when he died?"  # both outlets: "62-year-old"


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder
) -> Iterator[TestClient]:
    store = copy_store(seeded_dir, tmp_path_factory.mktemp("findings") / "store")
    with app_client(store, embedder) as client:
        yield client


def test_two_outlets_that_agree_are_each_a_finding_cited_together(client: TestClient) -> None:
    answer = client.post("/chat", json={"message": AGE}).json()
    findings = answer["findings"]
    assert len({f["document_id"] for f in findings}) == 2, answer["answer"]
    assert all(f["short_answer"] and "62" in f["short_answer"] for f in findings)
    assert all(0 < f["chance"] <= 1 for f in findings)
    assert answer["short_answer"] == findings[0]["short_answer"] and not answer["sources_differ"]
    # rendered from the findings: the short answer cited by both, then each sentence
    first, second = (f["quotes"][0] for f in findings)
    assert answer["answer"].startswith(f"{answer['short_answer']} [1][2]: ")
    assert f'"{first["quote"]}" [1]' in answer["answer"]
    assert f'"{second["quote"]}" [2]' in answer["answer"]
    check_citations(answer, document_texts(client))


def test_a_follow_up_reads_the_findings_it_is_sent(client: TestClient) -> None:
    asked = "Who gave the order for the strike that killed Soleimani?"
    first = client.post("/chat", json={"message": asked}).json()
    assert "Donald Trump" in (first["short_answer"] or ""), first["answer"]
    turns = [{"role": "user", "content": asked}]
    told = {"role": "assistant", "content": "(the text is not read)"}
    with_findings = [*turns, {**told, "findings": first["findings"]}]
    follow = {"message": "Where was he at the time?"}
    read = client.post("/chat", json={**follow, "history": with_findings}).json()
    assert read["standalone_question"].endswith("Donald Trump at the time?")
    unread = client.post("/chat", json={**follow, "history": [*turns, told]}).json()
    assert "Trump" not in unread["standalone_question"]


def test_findings_sent_back_are_checked(client: TestClient) -> None:
    bad = {"role": "assistant", "content": "x", "findings": [{"title": "no id, no quotes"}]}
    response = client.post("/chat", json={"message": AGE, "history": [bad]})
    assert response.status_code == 422
    assert "findings" in response.text and "document_id" in response.text
