"""Checks on request values that their types alone do not make. Characters no request may
carry: lone surrogates (``"\\ud800"`` in JSON decodes to a string that cannot be encoded,
so it would fail deep inside the model or the store) and control characters other than
whitespace (tab, line breaks). Dates only as YYYY-MM-DD, integers as JSON integers."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic.json_schema import JsonDict

from qa.errors import InvalidInput
from qa.models import Article

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def bad_character(text: str) -> str | None:
    """What is wrong with ``text``'s characters, or None if nothing is."""
    if found := _SURROGATE.search(text):
        code = f"U+{ord(found[0]):04X}"
        return f"invalid Unicode (a lone surrogate, {code}) at character {found.start()}"
    if found := _CONTROL.search(text):
        return f"a control character (U+{ord(found[0]):04X}) at character {found.start()}"
    return None


def clean(text: str, what: str = "text") -> str:
    """``text`` unchanged, or ``InvalidInput`` (400) naming the bad character."""
    problem = bad_character(text)
    if problem:
        raise InvalidInput(f"The {what} holds {problem}.")
    return text


def valid_text(text: str) -> str:
    problem = bad_character(text)
    if problem:
        raise ValueError(f"the text holds {problem}")
    return text


# For the schema (JSON Schema regular expressions): text without control characters, and
# text with at least one character that is neither a space nor a control character.
_OK = r"[^\x00-\x08\x0e-\x1f\x7f]"
CLEAN: JsonDict = {"pattern": f"^{_OK}*$"}
NOT_BLANK: JsonDict = {"minLength": 1, "pattern": rf"^{_OK}*[^\s\x00-\x1f\x7f]{_OK}*$"}

# A strict string that fails validation (422) on a lone surrogate or a control character.
CleanStr = Annotated[str, Field(strict=True, json_schema_extra=CLEAN), AfterValidator(valid_text)]


def date_text(value: Any) -> Any:
    """A date is text, YYYY-MM-DD: not a number, which pydantic would read as seconds
    since 1970 (and "0" as 1970-01-01)."""
    if isinstance(value, int | float) or (isinstance(value, str) and not _DATE.match(value)):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


def integral(value: Any) -> Any:
    """A float with no fraction (``3.0``) as the integer it is; anything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def check_article(item: Article) -> Article:
    """An article from a request (JSON or an uploaded file), or 400 for bad characters."""
    for what, value in (("title", item.title), ("text", item.text), ("source", item.source)):
        if value:
            clean(value, f"{what} of the article {item.title[:60]!r}")
    return item
