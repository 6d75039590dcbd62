"""The error responses each route may give, for the OpenAPI schema (and its checkers)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from qa.settings import Settings


class ErrorBody(BaseModel):
    """Every error: ``detail`` says what went wrong; under ``/v1``, ``error`` repeats it in
    OpenAI's shape."""

    detail: str | list[dict[str, Any]] = Field(description="a message, or validation errors")
    error: dict[str, Any] | None = Field(default=None, description="only under /v1")


DESCRIPTIONS = {
    400: "unusable input: empty, control characters, invalid Unicode, unreadable file",
    401: "the API key is missing or wrong (with QA_API_KEY)",
    403: "writes without an API key off loopback; reads with QA_API_KEY_READ but no key",
    404: "no such document or model",
    409: "nothing has been ingested yet",
    413: "the body, a file or a text is over its limit",
    415: "not JSON (or a multipart upload), or a compressed body",
    422: "a field is missing, of the wrong type or out of range",
    429: "over QA_RATE_LIMIT for this client; see Retry-After",
    503: "the model or the vector store is not ready; see Retry-After",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


def state_limits(app: FastAPI, settings: Settings) -> None:
    """Make the schema state the configured limits: ``QA_MAX_K`` on every ``k`` and
    ``QA_MAX_MESSAGE_CHARS`` on the question, so clients (and schema checkers) see them."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()  # FastAPI keeps it as app.openapi_schema: changed once, here
        _limit_models(schema.get("components", {}).get("schemas", {}), settings)
        search = schema["paths"].get("/search", {}).get("get", {})
        _limit_search(search.get("parameters", []), settings)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _limit_models(models: dict[str, Any], settings: Settings) -> None:
    for name in ("ChatRequest", "CompletionRequest"):
        k = models.get(name, {}).get("properties", {}).get("k", {})
        for option in k.get("anyOf", [k]):
            if option.get("type") == "integer":
                option["maximum"] = settings.max_k
    message = models.get("ChatRequest", {}).get("properties", {}).get("message")
    if message is not None:
        message["maxLength"] = settings.max_message_chars


def _limit_search(parameters: list[dict[str, Any]], settings: Settings) -> None:
    for parameter in parameters:
        if parameter["name"] == "k":
            parameter["schema"]["maximum"] = settings.max_k
        elif parameter["name"] == "q":
            parameter["schema"]["maxLength"] = settings.max_message_chars
