"""An OpenAI-compatible face: ``POST /v1/chat/completions`` and ``GET /v1/models``.

The last user message is the question, the user and assistant messages before it are
the history, system (and other) messages are ignored. The answer's text carries the
``[n]`` markers; the findings, the citations, the standalone question and ``answered``
are extra top-level fields of the response (and of the last stream chunk). An assistant
message sent back with its answer's ``findings`` lets a follow-up resolve a pronoun
against them (the text alone is never parsed).

With the LLM answerer a stream's deltas are the model's text as generated; the checked
answer (markers checked and renumbered) is ``answer`` in the last chunk, beside
``findings``, ``citations``, ``related``, ``sentences``, ``answerer``, ``short_answer``,
``sources_differ`` and ``tier``.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from qa.api.deps import ServiceDep
from qa.api.rates import rate_limited
from qa.api.schemas import MAX_HISTORY, ChatFilters, PositiveInt, prepare
from qa.api.streaming import Format, encoded, started
from qa.errors import InvalidInput
from qa.models import Answer, Finding, Question, Turn
from qa.service import Service

router = APIRouter(prefix="/v1", tags=["openai"])

MODEL_ID = "qa-extractive"
# For the schema only: the last user message is the question (none is a 400).
HAS_USER_MESSAGE: JsonDict = {
    "contains": {"type": "object", "properties": {"role": {"const": "user"}}, "required": ["role"]}
}
CREATED = 1_700_000_000  # a fixed "created" time for the one model


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None
    # an assistant message sent back with its answer's findings (the response's extras)
    findings: list[Finding] = Field(default_factory=list, max_length=20)


class CompletionRequest(BaseModel):
    """OpenAI's chat completion request; unknown parameters (temperature...) are ignored.
    ``k`` and ``filters`` (as in ``POST /chat``) may be sent as extra fields."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(
        min_length=1, max_length=MAX_HISTORY + 1, json_schema_extra=HAS_USER_MESSAGE
    )
    stream: bool = False
    k: PositiveInt | None = None
    filters: ChatFilters | None = None


@router.get("/models")
def models() -> dict[str, Any]:
    """The one model this service offers."""
    return {"object": "list", "data": [_model()]}


@router.get("/models/{model_id}")
def model(model_id: str) -> dict[str, Any]:
    if model_id != MODEL_ID:
        raise HTTPException(404, f"No model {model_id!r}; the one model is {MODEL_ID!r}.")
    return _model()


@router.post(
    "/chat/completions",
    response_model=None,
    responses={200: {"content": {"text/event-stream": {}}, "description": "with stream: true"}},
    dependencies=[Depends(rate_limited)],
)
async def chat_completions(
    request: CompletionRequest, service: ServiceDep
) -> dict[str, Any] | EventSourceResponse:
    """Answer the last user message; ``stream: true`` gives ``chat.completion.chunk``
    events ending in ``data: [DONE]``."""
    q = _question(request, service)
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if request.stream:
        return encoded(await started(service.chain.stream(q)), _chunks(ident, created))
    answer = await run_in_threadpool(service.chain.invoke, q)
    return {
        "id": ident,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.answer},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        **_extras(answer),
    }


def _model() -> dict[str, Any]:
    return {"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": "qa"}


def _text(content: str | list[dict[str, Any]] | None) -> str:
    """The text of a message: a string, or the text parts of a list of parts."""
    if content is None or isinstance(content, str):
        return content or ""
    if any(part.get("type") != "text" for part in content):
        raise InvalidInput("Only text message content is supported.")
    return "\n".join(str(part.get("text") or "") for part in content)


def _question(request: CompletionRequest, service: Service) -> Question:
    convo = [(m.role, m) for m in request.messages if m.role in ("user", "assistant")]
    last = next((i for i in reversed(range(len(convo))) if convo[i][0] == "user"), None)
    if last is None:
        raise InvalidInput("No user message: the last user message is the question.")
    history = [
        Turn(
            role="user" if r == "user" else "assistant",
            content=_text(m.content),
            findings=m.findings,
        )
        for r, m in convo[:last]
    ]
    message = _text(convo[last][1].content)
    return prepare(message, history, request.k, request.filters, service.settings)


def _extras(answer: Answer) -> dict[str, Any]:
    return {
        "answer": answer.answer,
        "short_answer": answer.short_answer,
        "sources_differ": answer.sources_differ,
        "tier": answer.tier,
        "citations": [c.model_dump(mode="json") for c in answer.citations],
        "findings": [f.model_dump(mode="json") for f in answer.findings],
        "related": [c.model_dump(mode="json") for c in answer.related],
        "standalone_question": answer.standalone_question,
        "answered": answer.answered,
        "answerer": answer.answerer,
        "sentences": [s.model_dump(mode="json") for s in answer.sentences],
    }


def _chunk(ident: str, created: int, delta: dict[str, Any], finish: str | None = None) -> dict:
    return {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


def _chunks(ident: str, created: int) -> Format:
    """The OpenAI chunk of each event: a first one with the role, deltas, then the last
    with the extras and ``[DONE]`` (its own event), or an error."""

    def event(name: str, value: Any) -> list[dict[str, Any]]:
        if name == "citations":  # the opening chunk
            body = _chunk(ident, created, {"role": "assistant", "content": ""})
        elif name == "delta":
            body = _chunk(ident, created, {"content": value})
        elif name == "done":
            body = {**_chunk(ident, created, {}, "stop"), **_extras(value)}
            return [{"data": json.dumps(body)}, {"data": "[DONE]"}]
        else:
            body = {"error": {"message": value, "type": "server_error"}, "detail": value}
        return [{"data": json.dumps(body)}]

    return event
