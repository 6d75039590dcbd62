"""What the generated answer's tests share: a seed paragraph as a retrieved passage, the
LLM answerer over a fake model, and the check that an answer's offsets hold in its
articles."""

from __future__ import annotations

from typing import Any

from qa.generate.citations import CitationChecker
from qa.generate.llm import LLMAnswerer
from qa.generate.prompts import load_prompt, prompts_dir
from qa.models import Answer, Passage
from qa.service import Service
from tests.fakes import Fake
from tests.helpers import check_citations


def passage(service: Service, phrase: str) -> Passage:
    """The paragraph of a seed article that holds ``phrase``, as a retrieved passage."""
    for document in service.documents():
        at = document.text.find(phrase)
        if at >= 0:
            start = document.text.rfind("\n", 0, at) + 1
            end = document.text.find("\n", at) % (len(document.text) + 1)
            return Passage(
                chunk_id=f"c{start}", document_id=document.id, title=document.title,
                text=document.text[start:end], start=start, end=end, score=1.0,
            )  # fmt: skip
    raise AssertionError(phrase)


def answerer(
    checker: CitationChecker, model: Fake, fallback: Any = None, name: str = "answer"
) -> LLMAnswerer:
    return LLMAnswerer(model, load_prompt(prompts_dir() / f"{name}.txt"), checker, fallback)


def offsets_hold(service: Service, answer: Answer) -> None:
    texts = {d.id: d.text for d in service.documents()}
    check_citations(answer.model_dump(), texts)
