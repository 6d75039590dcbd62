"""The data that flows between stages. Citations are data, not only text."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictFloat, StrictInt


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


def _not_a_number(value: Any) -> Any:  # pydantic would read a number as Unix time
    if isinstance(value, int | float):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


class Cited(BaseModel):
    """Which article: its id, title, outlet and date (where it gives one)."""

    document_id: str
    title: str
    source: str | None = None
    published: Annotated[date | None, BeforeValidator(_not_a_number)] = None


class Passage(Cited):
    """A retrieved chunk with its document's metadata and a relevance score."""

    chunk_id: str
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
            **document.model_dump(include={"title", "source", "published"}),
            chunk_id=chunk.id,
            document_id=chunk.document_id,
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


class Citation(Cited):  # strict numbers: a client may send these back in a Turn
    n: StrictInt
    quote: str
    start: StrictInt
    end: StrictInt
    score: StrictFloat
    # the short answer inside the quote, as document offsets (None: the quote holds none)
    answer_start: StrictInt | None = None
    answer_end: StrictInt | None = None

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
        """Citation ``n`` of ``quote`` at ``start`` in its document; ``answer``: the short's."""
        return cls(
            **passage.model_dump(include=set(Cited.model_fields)),
            n=n,
            quote=quote,
            start=start,
            end=start + len(quote),
            score=round(score, 4),
            answer_start=answer[0] if answer else None,
            answer_end=answer[1] if answer else None,
        )


class Finding(Cited):
    """What one article says in answer: its quoted sentences (as cited), its short answer
    with document offsets where the reader is sure of one, how likely it is to answer (0 to
    1; None for a generated answer), and its near-copies (other outlets) that say the same."""

    quotes: list[Citation] = Field(max_length=20)
    short_answer: str | None = None
    answer_start: StrictInt | None = None
    answer_end: StrictInt | None = None
    chance: StrictFloat | None = None
    copies: list[Finding] = Field(default_factory=list, max_length=20)

    @property
    def numbers(self) -> list[int]:  # the citation numbers of its and its copies' quotes
        return [q.n for f in (self, *self.copies) for q in f.quotes]


class Sentence(BaseModel):
    """A generated answer's sentence, its citations' ``n``; an unsupported one is marked."""

    text: str
    citations: list[int] = Field(default_factory=list)
    supported: bool


class Answer(BaseModel):
    """What ``qa ask --json`` prints and ``POST /chat`` returns."""

    answer: str
    answered: bool
    standalone_question: str
    # the first finding's short answer (None: abstained, unsure, or a generated answer)
    short_answer: str | None = None
    # two articles give different answers; each is cited with its own
    sources_differ: bool = False
    tier: Tier = Field(
        default="none",
        description=(
            'How it answers: "span", a short answer in its quoted, cited sentence; "sentence", '
            "quoted, cited sentences, no short answer (none is sure, or none answers in a "
            'word: yes/no, why); "generated", a language model\'s; "none", the articles don\'t say.'
        ),
    )
    citations: list[Citation] = Field(default_factory=list)
    findings: list[Finding] = Field(
        default_factory=list,
        description=(
            "What each article that answers says (at most 3, likeliest first): its quoted "
            "sentences (as in citations), its short answer at document offsets when sure, its "
            "chance of answering, its near-copies (other outlets). The text is rendered from them."
        ),
    )
    related: list[Citation] = Field(
        default_factory=list,
        description=(
            'Tier "none" only: where to look, not an answer: the likeliest sentence of each of the '
            "passages most likely to bear on the question (at most 3, likeliest first), quoted "
            "at its document offsets like a citation."
        ),
    )
    timings_ms: dict[str, float] = Field(default_factory=dict)
    answerer: str = "extractive"  # "llm", or "extractive (fallback)" when the model failed
    # the generated answer's sentences as checked (empty for the extractive answerer)
    sentences: list[Sentence] = Field(default_factory=list)


class Turn(BaseModel):  # an answer's findings, as returned: follow-ups read them, not text
    role: Literal["user", "assistant"]
    content: str
    findings: list[Finding] = Field(default_factory=list, max_length=20)


class Question(BaseModel):
    """A question, the conversation before it, how many passages to read (None: ``QA_K``)."""

    text: str
    history: list[Turn] = Field(default_factory=list)
    k: int | None = None
    filters: Filters | None = None
