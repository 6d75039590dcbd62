"""Server-Sent Events from the chain's synchronous event generator.

The first event is pulled before the response starts, so a failure there (an empty store,
the store away) is an ordinary HTTP error; a failure after it becomes an ``error`` event
and the stream ends. The generator runs in the threadpool, off the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

from sse_starlette import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from qa.api.errors import describe

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


def sse(content: AsyncIterator[dict[str, Any]]) -> EventSourceResponse:
    return EventSourceResponse(content, headers=NO_BUFFERING, ping=15)
