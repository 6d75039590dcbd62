"""The retriever and the chain as LangChain parts, in a pipeline of a user's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from qa import Answer, Filters, Question
from qa.search.retrieval import as_passage
from qa.service import Service
from tests.helpers import ROOT

HOOK = "Who called the arrest warrant a propaganda stunt?"


def test_the_retriever_gives_langchain_documents(seeded: Service) -> None:
    assert isinstance(seeded.retriever, BaseRetriever)
    documents = seeded.retriever.invoke("Interpol red notice", k=2)
    assert len(documents) == 2
    for document in documents:
        passage = as_passage(document)
        text = seeded.document(passage.document_id).text
        assert text[passage.start : passage.end] == document.page_content
    one = documents[0].metadata["document_id"]
    only = seeded.retriever.invoke("Interpol red notice", k=5, filters=Filters(document_id=one))
    assert only and {d.metadata["document_id"] for d in only} == {one}


def test_the_chain_in_a_pipeline_of_ones_own(seeded: Service) -> None:
    assert isinstance(seeded.chain, Runnable)
    pipeline = (
        RunnableLambda(lambda text: Question(text=text))
        | seeded.chain
        | RunnableLambda(lambda answer: answer.short_answer)
    )
    assert pipeline.invoke(HOOK) == "Brian Hook"


def test_invoke_batch_and_stream_agree(seeded: Service) -> None:
    questions = [Question(text=HOOK), Question(text="How old was Soleimani?")]
    one = seeded.chain.invoke(questions[0])
    many = seeded.chain.batch(questions)
    streamed = list(seeded.chain.stream(questions[0]))
    assert all(isinstance(a, Answer) for a in [one, *many, *streamed])
    assert many[0].answer == one.answer == streamed[-1].answer
    assert "62" in (many[1].short_answer or "")
    for answer in (one, *many, streamed[-1]):
        assert set(answer.timings_ms) == {"condense", "retrieve", "answer", "total"}
        assert answer.timings_ms["total"] >= answer.timings_ms["answer"] > 0


def test_the_readme_example_runs_unchanged(
    seeded_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's "In a LangChain pipeline of your own" block, run as it is written, over
    the seeded store (its ``QA_*`` environment)."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### In a LangChain pipeline of your own") :]
    start = section.index("```python\n") + len("```python\n")
    code = section[start : section.index("\n```", start)]
    *body, last = code.strip().splitlines()
    expected = last.rsplit("#", 1)[1].strip()  # the value the README says it gives
    monkeypatch.setenv("QA_VECTORSTORE_DIR", str(seeded_dir))
    namespace: dict[str, Any] = {}
    exec("\n".join(body), namespace)
    assert namespace["docs"] is not None  # the filtered search ran (no BBC article: empty)
    assert repr(eval(last.split("#")[0], namespace)) == expected
