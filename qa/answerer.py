"""The interfaces the answerers meet: ``Answerer`` (a question and numbered passages in, a
cited ``Answer`` out) and ``Condenser`` (a follow-up and its history in, a standalone
question out). The extractive ones (``qa.answer``) and the language model's
(``qa.generate``) both implement them; the chain (``qa.chain``) composes whichever it is
given."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from qa.models import Answer, Passage, Turn


class Answerer(Protocol):
    """Anything that answers a question from numbered passages, with citations."""

    name: str

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer: ...

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """Pieces of the answer text, then the whole ``Answer``."""
        ...


class Condenser(Protocol):
    """Anything that rewrites (question, history) into a standalone question."""

    def __call__(self, question: str, history: Sequence[Turn]) -> str: ...
