"""The questions the answerer's choices are made on (``recipes.answer_tune``), each asked as
``/chat`` asks it (the service's retrieval, k passages), and the evidence for each
sentence of the passages read (``qa.answer.evidence.candidates``):
- SQuAD dev articles 32-35 over the whole SQuAD corpus (every paragraph a document, the
  benchmark's cached store); each asked a second time with the passages that hold an
  answer left out, as a question the articles do not answer;
- RealTime QA's weeks 2022-06-17 to 2022-08-26 over those weeks' gold articles: a question
  whose gold article is in that corpus is answerable, one whose is not is "not in these
  articles". The weeks from 2022-09-02 are never read here.

Cached in ``.cache/answer-tune/rows.pkl`` (about 7 minutes on 2 cores to make).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

from corpora import (
    CACHE,
    CHOICE_WEEKS,
    SQUAD,
    TUNE,
    Dataset,
    build_ours,
    load_realtimeqa,
    load_squad,
    questions,
    settings_for,
    store_dir,
)
from qa.answer import SHIPPED, Candidate, Reader, candidates
from qa.encoders import Embedder
from qa.evaluation import contains, f1
from qa.models import Passage
from qa.service import Service, build_service

ROWS = CACHE / "answer-tune" / "rows.pkl"


@dataclass
class Row:
    """One question asked: its sentences with their evidence, which of them hold an
    accepted answer, and how well each one's span matches it (token F1)."""

    set: str  # "squad" or "realtimeqa"
    question: str
    answers: tuple[str, ...]
    answerable: bool
    candidates: list[Candidate]
    holds: list[bool]
    span_f1: list[float]
    texts: list[str]  # the sentences
    documents: list[str]  # the document of each passage read


def row(
    name: str, question: str, answers: tuple[str, ...], answerable: bool, read: list[Passage],
    reader: Reader,
) -> Row:  # fmt: skip
    """The question asked of the passages ``read``, as the answerer weighs their sentences."""
    texts = [p.text for p in read]
    found = candidates(question, texts, reader.reading(question, texts))
    sentences = [texts[c.passage][c.start : c.end] for c in found]
    holds = [answerable and contains(s, answers) for s in sentences]
    span_f1 = [max(f1(c.span.text, a) for a in answers) if c.span else 0.0 for c in found]
    documents = [p.document_id for p in read]
    return Row(name, question, answers, answerable, found, holds, span_f1, sentences, documents)


def service_for(dataset: Dataset, embedder: Embedder) -> Service:
    directory = store_dir(dataset, fresh=False)
    build_ours(dataset, directory, embedder)
    return build_service(settings_for(directory, dataset.name), embedder)


def squad_rows(embedder: Embedder, reader: Reader) -> list[Row]:
    """Each question of articles 32-35 asked of the whole corpus, then again without the
    passages that hold an answer."""
    service = service_for(load_squad(SQUAD), embedder)
    out = []
    for q in questions(SQUAD, TUNE):
        read = service.search(q.question)
        without = [p for p in read if not contains(p.text, q.answers)]
        out.append(row("squad", q.question, q.answers, True, read, reader))
        out.append(row("squad", q.question, q.answers, False, without, reader))
    return out


def realtimeqa_rows(embedder: Embedder, reader: Reader) -> list[Row]:
    """Each question of the choice weeks asked of those weeks' gold articles."""
    dataset = load_realtimeqa(weeks=CHOICE_WEEKS, unanswered=True)
    dataset.name = "realtimeqa-choice"
    service = service_for(dataset, embedder)
    return [
        row("realtimeqa", q.text, q.answers, bool(q.gold), service.search(q.text), reader)
        for q in dataset.questions
    ]


class _Unpickler(pickle.Unpickler):
    """Rows pickled before this module was apart name their class ``__main__.Row``."""

    def find_class(self, module: str, name: str) -> type:
        return Row if name == "Row" else super().find_class(module, name)


def collect(fresh: bool = False) -> list[Row]:
    """The rows, from the cache unless ``fresh``."""
    if ROWS.exists() and not fresh:
        with ROWS.open("rb") as f:
            return _Unpickler(f).load()
    embedder, reader = Embedder(), Reader.load(SHIPPED)
    rows = squad_rows(embedder, reader) + realtimeqa_rows(embedder, reader)
    ROWS.parent.mkdir(parents=True, exist_ok=True)
    ROWS.write_bytes(pickle.dumps(rows))
    return rows
