"""``POST /chat`` (one JSON answer) and ``POST /chat/stream`` (Server-Sent Events)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends
from sse_starlette import EventSourceResponse

from qa.api.deps import ServiceDep
from qa.api.rates import rate_limited
from qa.api.schemas import ChatRequest, prepare
from qa.api.streaming import error_message, sse, started
from qa.models import Answer, Citation

router = APIRouter(tags=["chat"])
LIMITED = [Depends(rate_limited)]  # QA_RATE_LIMIT per client

STREAM_DOC = """Server-Sent Events: `citations` (a JSON list of citations), `delta`
(`{"text": piece}`) events, then `done` (the whole Answer, as `POST /chat` returns it).
A failure after the stream started is an `error` event (`{"detail": message}`), which
ends the stream."""


@router.post("/chat", response_model=Answer, dependencies=LIMITED)
def chat(request: ChatRequest, service: ServiceDep) -> Answer:
    """Answer a question from the articles, with citations (the same JSON as `qa ask --json`)."""
    q = prepare(request.message, request.history, request.k, request.filters, service.settings)
    return service.chain.invoke(q.message, q.history, q.k, q.filters)


@router.post(
    "/chat/stream",
    description=STREAM_DOC,
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "the events"}},
    dependencies=LIMITED,
)
async def chat_stream(request: ChatRequest, service: ServiceDep) -> EventSourceResponse:
    """Answer a question, streamed as Server-Sent Events."""
    q = prepare(request.message, request.history, request.k, request.filters, service.settings)
    events = await started(service.chain.stream(q.message, q.history, q.k, q.filters))
    return sse(_encoded(events))


async def _encoded(events: AsyncIterator[tuple[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    try:
        async for name, value in events:
            yield {"event": name, "data": json.dumps(_data(name, value))}
            if name == "done":
                return
        yield _error("The answer ended before it was complete.")
    except Exception as exc:
        yield _error(error_message(exc))


def _data(name: str, value: Any) -> Any:
    if name == "citations":
        return [Citation.model_validate(c).model_dump(mode="json") for c in value]
    if name == "delta":
        return {"text": str(value)}
    if name == "done":
        return Answer.model_validate(value).model_dump(mode="json")
    raise ValueError(f"unknown chain event {name!r}")


def _error(message: str) -> dict[str, Any]:
    return {"event": "error", "data": json.dumps({"detail": message})}
