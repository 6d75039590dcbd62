"""Limits on request bodies, answered with a JSON error like every other: 413 for a body
over its limit, 415 for a compressed one (bodies are never decompressed, so a zip bomb
is only ever the bytes it is)."""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.api.errors import error_body

# Room for multipart framing around an upload of the largest allowed size.
OVERHEAD = 64 * 1024
COMPRESSED = (
    "Compressed request bodies (Content-Encoding: {encoding}) are not accepted: "
    "send the body uncompressed."
)


class BodyLimit:
    """Refuses a body over its limit: ``POST /documents`` may carry an upload (plus
    framing), every other request ``body_limit`` bytes. At once when Content-Length says
    so, else as soon as the bytes read pass it (the handler then fails with 413)."""

    def __init__(self, app: ASGIApp, upload_limit: int, body_limit: int | None = None) -> None:
        self.app = app
        self.upload_limit = upload_limit + OVERHEAD
        self.body_limit = self.upload_limit if body_limit is None else body_limit
        self.upload_message = (
            f"The request body is over {self.upload_limit:,} bytes: articles and uploads are "
            f"limited to {upload_limit:,} bytes (QA_MAX_UPLOAD_BYTES)."
        )
        self.body_message = (
            f"The request body is over the limit of {self.body_limit:,} bytes (QA_MAX_BODY_BYTES)."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and scope["path"].rstrip("/") == "/documents"
        limit, message = (
            (self.upload_limit, self.upload_message)
            if upload
            else (self.body_limit, self.body_message)
        )
        headers = Headers(scope=scope)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        declared = headers.get("content-length", "")
        if encoding not in ("", "identity"):
            await _refuse(scope, receive, send, 415, COMPRESSED.format(encoding=encoding[:40]))
            return
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, 413, message)
            return
        total = 0

        async def limited() -> Message:
            nonlocal total
            received = await receive()
            if received["type"] == "http.request":
                total += len(received.get("body", b""))
                if total > limit:
                    raise HTTPException(413, message)
            return received

        await self.app(scope, limited, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    body = error_body(Request(scope), status, message)
    response = JSONResponse(body, status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)
