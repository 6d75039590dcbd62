"""What every response says about itself: ``nosniff`` on all of them, and on every HTML page
(the chat page, ``/static/*.html``, ``/docs``) a Content-Security-Policy that lets it load
only this service's own files and be framed by nobody. ``HEAD`` is answered wherever ``GET``
is, with the headers and without the body."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
EVERY = {"X-Content-Type-Options": "nosniff"}
PAGE = {
    "Content-Security-Policy": POLICY,
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """Pure ASGI middleware (streams pass through untouched): the headers above on every
    response, the page ones where the response is HTML, and ``HEAD`` served as ``GET``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        inner = {**scope, "method": "GET"} if head else scope

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                extra = dict(EVERY)
                if headers.get("content-type", "").startswith("text/html"):
                    extra |= PAGE
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}  # the length stays what GET's would be
            await send(message)

        await self.app(inner, receive, send_with_headers)
