"""Answerers: turn a question and retrieved passages into a short, cited answer.

``ExtractiveAnswerer`` runs offline with no language model. It scores every sentence of
the retrieved passages against the question (embedding similarity, weighted word overlap
with the sentence and its passage, and whether the sentence holds the kind of thing the
question asks for: a person, a place, a date, a number), quotes the best one, cites the
other articles that say the same, and abstains when nothing supports an answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.chunking import sentences
from qa.embeddings import Embedder
from qa.models import Answer, Citation, Passage
from qa.retrieval import normalized

NO_ANSWER = "The articles don't say."

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
    "thousands?|millions?|billions?|several|half|twice|once"
)
_EXPECT = [  # (kind, question pattern, pattern the supporting sentence must contain)
    ("year", r"\b(what|which) year\b", r"\b(1[89]\d\d|20\d\d)\b"),
    (
        "date",
        r"^when\b|\b(what|which) (date|day|month)\b|\bwhat time\b",
        rf"\b({_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
        r"yesterday|today|tomorrow|last (week|month|year))\b|\b(1[89]\d\d|20\d\d)\b",
    ),
    (
        "number",
        r"\bhow (many|much|old|long|far)\b|\bwhat (number|percentage|age)\b",
        rf"\d|\b({_NUMBER_WORDS})\b",
    ),
    ("name", r"^(who|whom|whose)\b|\b(who|whom|whose)\b", ""),
    (
        "name",
        r"^where\b|\b(what|which) (\w+ )?(city|country|countries|state|place|town|region|"
        r"agency|organi[sz]ation|group|outlet|newspaper|body|unit|force|person|official)\b",
        "",
    ),
]
# capitalised words that name no one in particular
_COMMON_CAPS = {
    "government", "president", "administration", "the", "a", "an", "u", "s", "us", "however",
    "according", "in", "on", "after", "before", "back", "related", "article", "one", "this",
    "that", "there", "it", "he", "she", "they", "we", "i", "but", "and", "at", "as",
}  # fmt: skip
_GENERIC = {"name", "kind", "type", "exact", "exactli", "happen", "specif", "actual"}


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


def expected_kind(question: str) -> tuple[str, re.Pattern[str]] | None:
    """What kind of thing the question asks for, and how to spot it in a sentence."""
    lowered = question.lower().strip()
    for kind, asks, holds in _EXPECT:
        if re.search(asks, lowered):
            return kind, re.compile(holds, re.IGNORECASE)
    return None


def _holds(kind: tuple[str, re.Pattern[str]] | None, sentence: str, question: str) -> bool:
    """Whether the sentence contains an answer of the expected kind not already asked about."""
    if kind is None:
        return True
    name, pattern = kind
    if name == "name":
        asked = {w.lower() for w in re.findall(r"[A-Za-z]+", question)}
        words = re.findall(r"\b[A-Z][A-Za-z-]+", sentence)
        return any(w.lower() not in asked and w.lower() not in _COMMON_CAPS for w in words)
    return pattern.search(sentence) is not None


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
        tokens: Callable[[list[str]], list[list[str]]],
        min_support: float = 0.42,
        margin: float = 0.12,
        max_sentences: int = 3,
        max_chars: int = 500,
    ):
        self.embedder = embedder
        self.tokens = tokens  # stemmed, stop-word-free tokens of each text
        self.min_support = min_support
        self.margin = margin
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
        """Set each candidate's score in [0, 1]."""
        if not found:
            return
        vectors = self.embedder.encode([question] + [c.text for c in found])
        similarity = vectors[1:] @ vectors[0]
        tokenize = self.tokens
        q_terms = [t for t in dict.fromkeys(tokenize([question])[0]) if t not in _GENERIC]
        s_terms = [set(t) for t in tokenize([c.text for c in found])]
        p_terms: dict[str, set[str]] = {c.passage.chunk_id: set() for c in found}
        for c, terms in zip(found, s_terms, strict=True):
            p_terms[c.passage.chunk_id] |= terms
        n = len(found)
        idf = {t: math.log((n + 1) / (0.5 + sum(t in s for s in s_terms))) + 1 for t in q_terms}
        total = sum(idf.values()) or 1.0
        kind = expected_kind(question)
        for c, sim, terms in zip(found, similarity, s_terms, strict=True):
            context = p_terms[c.passage.chunk_id]
            overlap = sum(
                idf[t] * (1.0 if t in terms else 0.25 if t in context else 0.0) for t in q_terms
            )
            lexical = overlap / total if q_terms else 0.0
            value = 0.4 * float(sim) + 0.6 * lexical
            # a sentence without the kind of thing asked for (a name, a date...) cannot answer
            c.score = float(np.clip(value, 0.0, 1.0)) if _holds(kind, c.text, question) else 0.0

    # -- the answer ---------------------------------------------------------------------
    def choose(self, found: list[Candidate]) -> list[Candidate]:
        """The two best sentences within ``margin`` of each other, and the best sentence of
        another article within the margin, so that every article that supports it is cited."""
        ranked = sorted(found, key=lambda c: -c.score)
        if not ranked or ranked[0].score < self.min_support:
            return []
        floor = max(self.min_support, ranked[0].score - self.margin)
        close = [c for c in ranked if c.score >= floor][: self.max_sentences]
        chosen = close[:2]
        others = [c for c in close[2:] if c.passage.document_id not in _docs(chosen)]
        return chosen + others[:1]

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
            p = c.passage
            citations.append(
                Citation(
                    n=n,
                    document_id=p.document_id,
                    title=p.title,
                    source=p.source,
                    quote=c.text,
                    start=c.start,
                    end=c.end,
                    score=round(c.score, 4),
                )
            )
        return Answer(
            answer=" ".join(parts), answered=True, standalone_question=question, citations=citations
        )

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        result = self.answer(question, passages)
        yield from re.findall(r"\S+\s*", result.answer)
        yield result
