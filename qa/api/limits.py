"""A limit on the size of request bodies, answered with a JSON 413 like every error."""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.api.errors import error_body

# Room for multipart framing around an upload of the largest allowed size.
OVERHEAD = 64 * 1024


class BodyLimit:
    """Refuses a body over the upload limit (plus framing): at once when Content-Length
    says so, else as soon as the bytes read pass it (the handler then fails with 413)."""

    def __init__(self, app: ASGIApp, upload_limit: int) -> None:
        self.app = app
        self.limit = upload_limit + OVERHEAD
        self.message = (
            f"The request body is over {self.limit:,} bytes: articles and uploads are "
            f"limited to {upload_limit:,} bytes (QA_MAX_UPLOAD_BYTES)."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            body = error_body(Request(scope), 413, self.message)
            await JSONResponse(body, status_code=413, headers={"Connection": "close"})(
                scope, receive, send
            )
            return
        total = 0

        async def limited() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > self.limit:
                    raise HTTPException(413, self.message)
            return message

        await self.app(scope, limited, send)
