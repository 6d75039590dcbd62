"""Answerers: turn a question and retrieved passages into a short, cited answer.

``ExtractiveAnswerer`` runs offline with no language model. It scores every sentence of
the retrieved passages with ``qa.scoring`` (the chance that it answers the question),
quotes the best ones, cites the other articles that say the same, and abstains when no
sentence is likely enough to answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from qa.chunking import sentences
from qa.embeddings import Embedder
from qa.models import Answer, Citation, Passage
from qa.retrieval import normalized
from qa.scoring import (
    Candidates,
    Scorer,
    Tokenizer,
    default_scorer,
    expected_kind,
    features,
    holds,
)

NO_ANSWER = "The articles don't say."


class Answerer(Protocol):
    """Anything that answers a question from numbered passages, with citations."""

    name: str

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer: ...

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """Pieces of the answer text, then the whole ``Answer``."""
        ...


@dataclass
class Candidate:
    passage: Passage
    start: int  # offsets into the document's text
    end: int
    text: str
    score: float = 0.0


def _docs(chosen: list[Candidate]) -> set[str]:
    return {c.passage.document_id for c in chosen}


def _heading(text: str) -> bool:
    """A headline or fragment rather than a sentence: short and without a full stop."""
    words = len(text.split())
    return words < 4 or (words < 10 and not re.search(r"[.!?][\"'”’)]*$", text))


class ExtractiveAnswerer:
    """Quote the sentences that answer the question; abstain when none does."""

    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        tokens: Tokenizer,
        min_support: float | None = None,
        margin: float = 0.12,
        other_support: float = 0.45,
        scorer: Scorer | None = None,
        max_sentences: int = 3,
        max_chars: int = 500,
    ):
        self.embedder = embedder
        self.tokens = tokens  # stemmed, stop-word-free tokens of each text
        self.scorer = scorer or default_scorer()
        self.min_support = self.scorer.threshold if min_support is None else min_support
        self.margin = margin
        self.other_support = min(other_support, self.min_support)
        self.max_sentences = max_sentences
        self.max_chars = max_chars

    # -- candidates and their scores ----------------------------------------------------
    def candidates(self, passages: Sequence[Passage]) -> list[Candidate]:
        """Every sentence of the passages once (a sentence inside another is dropped)."""
        found: list[Candidate] = []
        norms: list[str] = []
        for passage in passages:
            for span in sentences(passage.text):
                text = passage.text[span.start : span.end]
                norm = normalized(text)
                if _heading(text) or any(norm in other for other in norms):
                    continue
                keep = [i for i, other in enumerate(norms) if other not in norm]
                found, norms = [found[i] for i in keep], [norms[i] for i in keep]
                start = passage.start + span.start
                found.append(Candidate(passage, start, start + len(text), text))
                norms.append(norm)
        return found

    def score(self, question: str, found: list[Candidate]) -> None:
        """Set each candidate's score: the chance that it answers the question."""
        if not found:
            return
        cands = Candidates([c.text for c in found], [c.passage.text for c in found])
        rows = features(question, cands, self.embedder, self.tokens)
        # a sentence without what is asked for (a year, date or number; a name, less
        # surely spotted) is unlikely to answer, whatever its words share with the question
        kind = expected_kind(question)
        penalty = 0.5 if kind is not None and kind[0] == "name" else 0.0
        for c, p in zip(found, self.scorer.probabilities(rows), strict=True):
            c.score = float(p) * (1.0 if holds(kind, c.text, question) else penalty)

    # -- the answer ---------------------------------------------------------------------
    def choose(self, found: list[Candidate]) -> list[Candidate]:
        """The two best sentences within ``margin`` of each other, and the best sentence of
        another article that supports the answer too, so that each such article is cited."""
        ranked = sorted(found, key=lambda c: -c.score)
        if not ranked or ranked[0].score < self.min_support:
            return []
        floor = max(self.min_support, ranked[0].score - self.margin)
        chosen = [c for c in ranked if c.score >= floor][:2]
        supported = [c for c in ranked if c.score >= self.other_support]
        others = [c for c in supported if c.passage.document_id not in _docs(chosen)]
        return chosen + others[: self.max_sentences - len(chosen)][:1]

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        found = self.candidates(passages)
        self.score(question, found)
        chosen = self.choose(found)
        if not chosen:
            return Answer(answer=NO_ANSWER, answered=False, standalone_question=question)
        return self.compose(question, chosen)

    def compose(self, question: str, chosen: list[Candidate]) -> Answer:
        parts: list[str] = []
        citations: list[Citation] = []
        for c in chosen:
            n = len(citations) + 1
            piece = f"{c.text} [{n}]"
            if parts and len(" ".join([*parts, piece])) > self.max_chars:
                break
            if not parts and len(piece) > self.max_chars:
                cut = c.text[: self.max_chars - 8].rsplit(" ", 1)[0]
                piece = f"{cut}… [{n}]"
            parts.append(piece)
            citations.append(Citation.of(n, c.passage, c.text, c.start, c.score))
        return Answer(
            answer=" ".join(parts), answered=True, standalone_question=question, citations=citations
        )

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The whole answer at once: the chain streams it after its citations."""
        yield self.answer(question, passages)
