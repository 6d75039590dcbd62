"""``POST /chat`` (one JSON answer) and ``POST /chat/stream`` (Server-Sent Events)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends
from sse_starlette import EventSourceResponse

from qa.api.deps import ServiceDep
from qa.api.rates import rate_limited
from qa.api.schemas import ChatRequest, prepare
from qa.api.streaming import encoded, started
from qa.models import Answer

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
    return service.chain.invoke(q)


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
    return encoded(await started(service.chain.stream(q)), _event)


def _event(name: str, value: Any) -> list[dict[str, Any]]:
    if name == "citations":
        data: Any = [c.model_dump(mode="json") for c in value]
    elif name == "delta":
        data = {"text": value}
    elif name == "done":
        data = value.model_dump(mode="json")
    else:
        data = {"detail": value}
    return [{"event": name, "data": json.dumps(data)}]
