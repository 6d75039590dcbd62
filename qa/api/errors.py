"""Domain errors become HTTP errors here, and only here. Every error body is JSON
``{"detail": ...}``; under ``/v1`` it also carries OpenAI's ``{"error": {...}}`` shape so
OpenAI clients show the message."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles

from qa.errors import (
    EmptyStore,
    InvalidInput,
    ModelFailed,
    ModelTimeout,
    ModelUnavailable,
    NotFound,
    QAError,
    StoreUnavailable,
    TooLarge,
    UnsupportedType,
)

logger = logging.getLogger("qa.api")

NOT_JSON = "The body must be JSON, sent with the header Content-Type: application/json."
INTERNAL = "Internal server error: this is a bug, the details are in the server log."
FASTAPI_UNREADABLE = "There was an error parsing the body"
UNREADABLE = (
    "The body could not be read as JSON: malformed, nested too deeply, or a number too long."
)
RETRY = {"Retry-After": "5"}  # with a 503: the store or the model may be back soon
MAX_ECHO = 500  # characters of a bad input repeated in a validation error
_SURROGATES = re.compile("[\ud800-\udfff]")  # cannot be sent as UTF-8

# Most specific first: UnsupportedType and TooLarge are kinds of InvalidInput.
_STATUS: list[tuple[type[QAError], int]] = [
    (UnsupportedType, 415),
    (TooLarge, 413),
    (InvalidInput, 400),
    (NotFound, 404),
    (EmptyStore, 409),
    (StoreUnavailable, 503),
    # the language model (QA_ANSWERER=llm): it answered badly, too late, or not at all
    (ModelFailed, 502),
    (ModelTimeout, 504),
    (ModelUnavailable, 503),
]
# Failures to reach a remote store (chroma_url) that surface as library exceptions.
_UNAVAILABLE = (ConnectionError, TimeoutError, httpx.TransportError)


def describe(exc: BaseException) -> tuple[int, str]:
    """The HTTP status and the message a user may see for an exception."""
    if isinstance(exc, QAError):
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 503)
        return status, str(exc)
    if isinstance(exc, _UNAVAILABLE):
        return 503, str(StoreUnavailable.because(exc))
    return 500, INTERNAL


def error_body(request: Request, status: int, detail: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail}
    if request.url.path.startswith("/v1/"):
        message = detail if isinstance(detail, str) else _messages(detail)
        kind = "invalid_request_error" if status < 500 else "server_error"
        body["error"] = {"message": message, "type": kind, "code": status}
    return body


def _messages(errors: Any) -> str:
    if isinstance(errors, list):
        parts = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
            for e in errors
            if isinstance(e, dict)
        ]
        return "; ".join(parts) or "invalid request"
    return str(errors)


def validation_error(exc: ValidationError, *where: str | int) -> RequestValidationError:
    """A pydantic error from hand-parsed input, as FastAPI's own 422 (``loc`` prefixed)."""
    errors = json.loads(exc.json(include_url=False, include_input=False))
    for error in errors:
        error["loc"] = [*where, *error["loc"]]
    return RequestValidationError(errors)


def invalid_field(loc: tuple[str | int, ...], message: str, kind: str = "value_error") -> Any:
    """A one-field 422, shaped like FastAPI's validation errors."""
    return RequestValidationError([{"type": kind, "loc": list(loc), "msg": message}])


async def _qa_error(request: Request, exc: Exception) -> Response:
    status, message = describe(exc)
    if status >= 500:
        logger.error("%s %s: %s", request.method, request.url.path, message)
    headers = RETRY if status == 503 else None
    return JSONResponse(error_body(request, status, message), status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = getattr(exc, "headers", None)
    if exc.status_code in (204, 304) or exc.status_code < 200:
        return Response(status_code=exc.status_code, headers=headers)
    if exc.status_code == 503 and not headers:
        headers = RETRY
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed(request)}
    detail = UNREADABLE if exc.detail == FASTAPI_UNREADABLE else exc.detail
    body = error_body(request, exc.status_code, detail)
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    detail = [_compact(error) for error in exc.errors()]
    if _not_json(request, detail):  # curl -d without -H 'Content-Type: application/json'
        return JSONResponse(error_body(request, 415, NOT_JSON), status_code=415)
    return JSONResponse(error_body(request, 422, detail), status_code=422)


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed(request: Request) -> str:
    """Every method some route takes at this path (Starlette's 405 names one route's only):
    those a route matches fully when asked with them. A mount of static files takes GET."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            if route.matches(request.scope)[0] != Match.NONE:
                methods.add("GET")
            continue
        for method in METHODS:
            if route.matches({**request.scope, "method": method})[0] == Match.FULL:
                methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")  # qa.api.headers answers it
    return ", ".join(sorted(methods))


def _compact(error: Any) -> Any:
    """A validation error safe to send: JSON (NaN and the like as text), and without an
    echo of a large input."""
    text = _SURROGATES.sub("\ufffd", json.dumps(error, default=str, ensure_ascii=False))
    safe = json.loads(text, parse_constant=str)
    if isinstance(safe, dict) and len(json.dumps(safe.get("input"))) > MAX_ECHO:
        safe.pop("input")
    return safe


def _not_json(request: Request, errors: list[dict[str, Any]]) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    json_body = kind == "application/json" or kind.endswith("+json")
    return not json_body and any(list(e.get("loc", ())) == ["body"] for e in errors)


async def _unhandled(request: Request, exc: Exception) -> Response:
    status, message = describe(exc)
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body(request, status, message), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QAError, _qa_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unhandled)
