"""Server-Sent Events from the chain's stream of growing answers, for ``/chat/stream`` and
``/v1/chat/completions``: one encoder, each route giving only its own event format.

The events are ``citations`` (a list), ``delta`` (a piece of text) and ``done`` (the
final ``Answer``), or ``error`` (a message), which ends the stream. The first answer is
pulled before the response starts, so a failure there (an empty store, the store away) is
an ordinary HTTP error. The chain runs in the threadpool, off the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

from sse_starlette import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from qa.api.errors import describe
from qa.models import Answer

logger = logging.getLogger("qa.api")
T = TypeVar("T")

# Proxies (nginx) must pass events on at once, and nothing may cache them.
NO_BUFFERING = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def started(events: Iterator[T]) -> AsyncIterator[T]:
    """``events`` as an async iterator whose first item has already been computed."""
    first = await run_in_threadpool(_first, events)
    return _chain(first, events)


def _first(events: Iterator[T]) -> list[T]:
    return [item for item in [next(events, None)] if item is not None]


async def _chain(first: list[T], events: Iterator[T]) -> AsyncIterator[T]:
    for item in first:
        yield item
    async for item in iterate_in_threadpool(events):
        yield item


def error_message(exc: Exception) -> str:
    """What a stream's ``error`` event says; bugs are logged with their traceback."""
    status, message = describe(exc)
    if status >= 500:
        logger.error("a stream failed: %s", message, exc_info=exc)
    return message


Format = Callable[[str, Any], list[dict[str, Any]]]


def encoded(answers: AsyncIterator[Answer], event: Format) -> EventSourceResponse:
    """The stream of ``answers`` as events, each formatted by ``event(name, value)``."""

    async def content() -> AsyncIterator[dict[str, Any]]:
        state = Events()
        try:
            async for answer in answers:
                for name, value in state.add(answer):
                    for item in event(name, value):
                        yield item
            for name, value in state.end():
                for item in event(name, value):
                    yield item
        except Exception as exc:
            for name, value in [*state.partial(), ("error", error_message(exc))]:
                for item in event(name, value):
                    yield item

    return EventSourceResponse(content(), headers=NO_BUFFERING, ping=15)


class Events:
    """Named events from growing answers, the last of which is the final one. An answer
    that comes whole (extractive) gives its citations first and its text in pieces; one
    that grows (a language model) gives no citations until ``done``, which is
    authoritative (the check may renumber markers or turn it into an abstention)."""

    def __init__(self) -> None:
        self.shown: str | None = None  # the text given as deltas so far
        self.last: Answer | None = None

    def add(self, answer: Answer) -> list[tuple[str, Any]]:
        out = self.partial()  # the one before was not the last
        self.last = answer
        return out

    def partial(self) -> list[tuple[str, Any]]:
        """The events of the answer held back, as a partial one (on failure, too)."""
        out: list[tuple[str, Any]] = []
        if self.last is not None:
            if self.shown is None:
                out.append(("citations", []))
            out.append(("delta", self.last.answer[len(self.shown or "") :]))
            self.shown, self.last = self.last.answer, None
        return out

    def end(self) -> list[tuple[str, Any]]:
        if self.last is None:
            raise RuntimeError("the chain gave no answer")
        out: list[tuple[str, Any]] = []
        if self.shown is None:
            out.append(("citations", self.last.citations))
            out += [("delta", piece) for piece in _pieces(self.last.answer)]
        return [*out, ("done", self.last)]


def events(answers: Iterable[Answer]) -> Iterator[tuple[str, Any]]:
    """The events of a stream of answers, as ``encoded`` sends them."""
    state = Events()
    for answer in answers:
        yield from state.add(answer)
    yield from state.end()


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
