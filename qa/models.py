"""The data that flows between stages. Citations are data, not only text."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field


def content_id(*parts: str, length: int = 16) -> str:
    """A stable id from content: the same parts always give the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


class Article(BaseModel):
    """An article as read from a file or a request, before it is stored."""

    title: str
    text: str
    source: str | None = None
    url: str | None = None
    published: date | None = None
    language: str | None = None
    origin: str | None = None  # the file path or url it came from: a changed file replaces

    @property
    def id(self) -> str:
        return content_id(self.title, self.text)

    @property
    def key(self) -> str:
        """What identifies 'the same article' across edits: url, else origin, else id."""
        return self.url or self.origin or self.id


class Document(BaseModel):
    """A stored article with its full text, so any passage can be shown in context."""

    id: str
    title: str
    source: str | None = None
    url: str | None = None
    published: date | None = None
    language: str | None = None
    origin: str | None = None
    key: str
    text: str
    chunks: int = 0
    # the stored article this one is a near-copy of (the same story from another outlet)
    near_duplicate_of: str | None = None


class Chunk(BaseModel):
    """A passage of a document; ``document.text[start:end] == text`` always holds."""

    id: str
    document_id: str
    start: int
    end: int
    text: str


class Passage(BaseModel):
    """A retrieved chunk with its document's metadata and a relevance score."""

    chunk_id: str
    document_id: str
    title: str
    source: str | None = None
    published: date | None = None
    text: str
    start: int
    end: int
    score: float
    # the same passage in near-copies of its article (other outlets carrying the story)
    copies: list[Passage] = Field(default_factory=list)

    @classmethod
    def of(cls, chunk: Chunk, document: Document, score: float = 0.0) -> Passage:
        """The chunk as a passage, with its document's title, source and date."""
        return cls(
            chunk_id=chunk.id,
            document_id=chunk.document_id,
            title=document.title,
            source=document.source,
            published=document.published,
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            score=round(score, 4),
        )


def day_number(value: date) -> int:
    """A date as the number YYYYMMDD (Chroma compares numbers, not dates)."""
    return value.year * 10_000 + value.month * 100 + value.day


class Filters(BaseModel):
    """Optional restrictions on retrieval, as a Chroma ``where`` clause on the chunks'
    metadata (the keyword side applies the same test to its arrays: ``qa.search.keywords``)."""

    document_id: str | None = None
    source: str | None = None
    published_after: date | None = None
    published_before: date | None = None

    def where(self) -> dict[str, Any] | None:
        """The Chroma ``where`` clause, or None for no restriction."""
        clauses: list[dict[str, Any]] = []
        if self.document_id:
            clauses.append({"document_id": self.document_id})
        if self.source:
            clauses.append({"source": self.source})
        if self.published_after:
            clauses.append({"published_day": {"$gte": day_number(self.published_after)}})
        if self.published_before:
            clauses.append({"published_day": {"$lte": day_number(self.published_before)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


Tier = Literal["span", "sentence", "generated", "none"]


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Question(BaseModel):
    """What the chain answers: a question, the conversation before it, how many passages
    to read (None: the configured ``QA_K``) and which articles to read them from."""

    text: str
    history: list[Turn] = Field(default_factory=list)
    k: int | None = None
    filters: Filters | None = None


class Citation(BaseModel):
    n: int
    document_id: str
    title: str
    source: str | None = None  # the outlet
    published: date | None = None  # its date, where the article gives one
    quote: str
    start: int
    end: int
    score: float
    # the short answer inside the quote, as document offsets (None: the quote holds none)
    answer_start: int | None = None
    answer_end: int | None = None

    @classmethod
    def of(
        cls,
        n: int,
        passage: Passage,
        quote: str,
        start: int,
        score: float,
        answer: tuple[int, int] | None = None,
    ) -> Citation:
        """Citation ``n`` of ``quote``, found at ``start`` in ``passage``'s document, with
        the document offsets of the short answer it holds, if any."""
        return cls(
            n=n,
            document_id=passage.document_id,
            title=passage.title,
            source=passage.source,
            published=passage.published,
            quote=quote,
            start=start,
            end=start + len(quote),
            score=round(score, 4),
            answer_start=answer[0] if answer else None,
            answer_end=answer[1] if answer else None,
        )


class Sentence(BaseModel):
    """A sentence of a generated answer, the citations that support it (their ``n``), and
    whether any does: an unsupported sentence is kept but marked."""

    text: str
    citations: list[int] = Field(default_factory=list)
    supported: bool


class Answer(BaseModel):
    """What ``qa ask --json`` prints and ``POST /chat`` returns."""

    answer: str
    answered: bool
    standalone_question: str
    # the words that answer, as the reader found them in the first citation (None: abstained
    # or a generated answer)
    short_answer: str | None = None
    # two articles give different answers; each is cited with its own
    sources_differ: bool = False
    tier: Tier = Field(
        default="none",
        description=(
            'How it answers: "span", the short answer inside its quoted, cited sentence; '
            '"sentence", quoted, cited sentences that answer, with no short answer (the '
            "reader is unsure of any span, or none answers in a word: yes/no, why); "
            '"generated", the language model\'s answer; "none", the articles don\'t say.'
        ),
    )
    citations: list[Citation] = Field(default_factory=list)
    related: list[Citation] = Field(
        default_factory=list,
        description=(
            'Tier "none" only: the passages most likely to bear on the question (at most 3, '
            "likeliest first), each the likeliest sentence of its passage, quoted at its "
            "document offsets like a citation. Where to look, not an answer."
        ),
    )
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # "extractive", "llm", or "extractive (fallback)" when the model failed
    answerer: str = "extractive"
    # the generated answer's sentences as checked (empty for the extractive answerer)
    sentences: list[Sentence] = Field(default_factory=list)
