"""The three systems compared, each answering a bare question the same way.

- ``Ours``: the service's chain (hybrid retrieval, extractive answer), as ``POST /chat``.
- ``KeywordOnly``: BM25 (bm25s, our tokenizer) over the same chunks, then the same
  extractive answerer: only retrieval differs.
- ``NaiveLangChain``: the tutorial pipeline, dense top-4 from its own Chroma collection;
  the answer is the best chunk's first sentence (it never abstains).

Each reports the article ids of its top 10 passages for the retrieval metrics; that
second lookup is not timed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import bm25s

from bench.metrics import DEPTH
from qa.models import Passage, Question
from qa.service import Service
from qa.text import sentences, tokenize

if TYPE_CHECKING:
    from langchain_chroma import Chroma


@dataclass
class Reply:
    answer: str
    answered: bool
    ranked: list[str]  # the article ids of the top passages, best first
    latency_ms: float
    short: str | None = None  # the short answer, where the system gives one
    tier: str | None = None  # ours: "span", "sentence" or "none"


class System(Protocol):
    name: str

    def ask(self, question: str) -> Reply: ...


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class Ours:
    """Our pipeline: ``chain.invoke`` as ``POST /chat`` runs it (k = QA_K passages)."""

    name = "ours"

    def __init__(self, service: Service):
        self.service = service

    def ask(self, question: str) -> Reply:
        started = time.perf_counter()
        answer = self.service.chain.invoke(Question(text=question))
        latency = _since(started)
        ranked = [p.document_id for p in self.service.search(question, DEPTH)]
        return Reply(
            answer.answer, answer.answered, ranked, latency, answer.short_answer, answer.tier
        )


class KeywordOnly:
    """BM25 alone over our chunks; the same answerer on the top QA_K passages."""

    name = "bm25"

    def __init__(self, service: Service):
        documents = {d.id: d for d in service.store.documents()}
        rows = service.store.all_chunks()
        self.passages = [Passage.of(c, documents[c.document_id]) for c, _ in rows]
        self.bm25 = bm25s.BM25()
        self.bm25.index(tokenize([p.text for p in self.passages]), show_progress=False)
        self.answerer = service.chain.answerer
        self.k = service.settings.k

    def search(self, question: str, k: int) -> list[Passage]:
        terms = tokenize([question])
        if not terms[0] or not self.passages:
            return []
        n = min(k, len(self.passages))
        ids, scores = self.bm25.retrieve(terms, k=n, show_progress=False)
        hits = zip(ids[0], scores[0], strict=True)
        return [self.passages[i].model_copy(update={"score": float(s)}) for i, s in hits if s > 0]

    def ask(self, question: str) -> Reply:
        started = time.perf_counter()
        passages = self.search(question, DEPTH)
        answer = self.answerer.answer(question, passages[: self.k])
        latency = _since(started)
        ranked = [p.document_id for p in passages]
        return Reply(
            answer.answer, answer.answered, ranked, latency, answer.short_answer, answer.tier
        )


def first_sentence(text: str) -> str:
    spans = sentences(text)
    return text[spans[0].start : spans[0].end] if spans else text.strip()


class NaiveLangChain:
    """Dense top-4 (``similarity_search``); the best chunk's first sentence is the answer."""

    name = "langchain"

    def __init__(self, store: Chroma, top: int = 4):
        self.store = store
        self.top = top

    def ask(self, question: str) -> Reply:
        started = time.perf_counter()
        docs = self.store.similarity_search(question, k=self.top)
        answer = first_sentence(docs[0].page_content) if docs else ""
        latency = _since(started)
        ranked = [str(d.metadata["article"]) for d in self.store.similarity_search(question, DEPTH)]
        return Reply(answer, True, ranked, latency)
