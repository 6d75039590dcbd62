"""Request and response bodies of the HTTP API, and the checks that need the settings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from qa.api.errors import invalid_field, validation_error
from qa.api.text import NOT_BLANK, CleanStr, clean, date_text, integral, valid_text
from qa.errors import InvalidInput, TooLarge
from qa.ingest import Report
from qa.models import Document, Filters, Passage, Question, Turn
from qa.settings import Settings

StrictStr = Annotated[str, Field(strict=True)]
# 3 and 3.0 (the same integer in JSON), not "3" or true.
PositiveInt = Annotated[int, Field(strict=True, ge=1), BeforeValidator(integral)]
# Turns a request may send: QA_MAX_HISTORY_TURNS of them are used, more are refused.
MAX_HISTORY = 1000
# A date sent as text (YYYY-MM-DD): not a number of seconds since 1970.
DateText = Annotated[date, BeforeValidator(date_text)]


class ChatFilters(Filters):
    """Optional restrictions on retrieval; an unknown key is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")

    document_id: CleanStr | None = None
    source: CleanStr | None = None
    published_after: DateText | None = None
    published_before: DateText | None = None


class ChatRequest(BaseModel):
    """A question, the conversation so far, and optional retrieval settings."""

    model_config = ConfigDict(extra="forbid")

    message: CleanStr = Field(
        description="the question; not empty, at most QA_MAX_MESSAGE_CHARS",
        json_schema_extra=NOT_BLANK,
    )
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY,
        description=(
            "earlier turns, oldest first; only the last QA_MAX_HISTORY_TURNS are used. An "
            "assistant turn may carry the findings its answer returned: follow-ups read "
            "them to resolve a pronoun ('How old was he?')"
        ),
    )
    k: PositiveInt | None = Field(default=None, description="passages to retrieve (1..max_k)")
    filters: ChatFilters | None = None


def check_k(k: int | None, settings: Settings, loc: tuple[str, ...]) -> None:
    if k is not None and k > settings.max_k:
        message = f"Input should be less than or equal to {settings.max_k} (QA_MAX_K)"
        raise invalid_field(loc, message, "less_than_equal")


def check_text(text: str, settings: Settings, what: str = "message") -> str:
    """The stripped text, or 400 if it is empty and 413 if it is over the limit."""
    stripped = clean(text, what).strip()
    if not stripped:
        raise InvalidInput(f"The {what} is empty: type a question.")
    if len(text) > settings.max_message_chars:
        raise TooLarge(
            f"The {what} is {len(text):,} characters, over the limit of "
            f"{settings.max_message_chars:,} (QA_MAX_MESSAGE_CHARS)."
        )
    return stripped


def prepare(
    message: str,
    history: list[Turn],
    k: int | None,
    filters: Filters | None,
    settings: Settings,
) -> Question:
    """Check a question. The chain keeps what it reads of the history (its last
    QA_MAX_HISTORY_TURNS turns, each cut to QA_MAX_MESSAGE_CHARS: ``qa.answer.recent``),
    as it does for every caller."""
    text = check_text(message, settings)
    for number, turn in enumerate(history):
        clean(turn.content, f"history turn {number}")
    check_k(k, settings, ("body", "k"))
    return Question(text=text, history=history, k=k, filters=filters)


def query_filters(
    document_id: str | None,
    source: str | None,
    published_after: str | None,
    published_before: str | None,
) -> Filters | None:
    """Filters from query parameters; an empty parameter means no restriction."""
    given = {
        "document_id": document_id,
        "source": source,
        "published_after": published_after,
        "published_before": published_before,
    }
    fields = {name: value for name, value in given.items() if value not in (None, "")}
    if not fields:
        return None
    try:
        return ChatFilters.model_validate(fields)
    except ValidationError as exc:
        raise validation_error(exc, "query") from exc


class NewDocument(BaseModel):
    """An article sent as JSON to ``POST /documents``."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[
        str,
        Field(strict=True),
        StringConstraints(strip_whitespace=True, min_length=1),
        AfterValidator(valid_text),
        Field(json_schema_extra=NOT_BLANK),
    ]
    text: CleanStr
    source: CleanStr | None = None
    url: CleanStr | None = None
    published: DateText | None = None
    language: CleanStr | None = None


class DocumentSummary(BaseModel):
    id: str
    title: str
    source: str | None = None
    published: date | None = None
    url: str | None = None
    language: str | None = None
    chunks: int
    # the stored article this one is a near-copy of (the same story, another outlet)
    near_duplicate_of: str | None = None
    near_duplicate_title: str | None = None  # that article's title, when it is listed

    @classmethod
    def of(cls, document: Document, original: str | None = None) -> Self:
        fields = document.model_dump(include=set(cls.model_fields))
        return cls.model_validate({**fields, "near_duplicate_title": original})


class DocumentDetail(DocumentSummary):
    text: str


class DocumentList(BaseModel):
    """One page of the stored articles, by title: ``total`` match the search (``stored``
    without one), this page starts at ``offset``; ``next_offset`` asks for the next page
    (null on the last)."""

    documents: list[DocumentSummary]
    total: int
    stored: int
    offset: int
    next_offset: int | None


class Source(BaseModel):
    name: str
    documents: int


class SourceList(BaseModel):
    """Every outlet that a stored article names, by name."""

    sources: list[Source]


class NearCopy(BaseModel):
    document_id: str
    title: str
    near_duplicate_of: str


class IngestResult(BaseModel):
    """Titles added, unchanged and replaced, the ids of every article sent, and which of
    the added ones are near-copies of a stored article."""

    added: list[str]
    unchanged: list[str]
    replaced: list[str]
    document_ids: list[str]
    near_copies: list[NearCopy] = []

    @classmethod
    def of(cls, report: Report) -> Self:
        return cls(
            added=report.added,
            unchanged=report.unchanged,
            replaced=report.replaced,
            document_ids=report.document_ids,
            near_copies=[
                NearCopy(document_id=i, title=t, near_duplicate_of=o)
                for t, i, o in report.near_copies
            ],
        )


class SearchResults(BaseModel):
    results: list[Passage]


class Health(BaseModel):
    status: str = "ok"
    documents: int
    chunks: int
    model: str
    answerer: str
