"""The HTTP service: a FastAPI app over one ``Service`` built at startup.

``uvicorn --factory qa.api:create_app`` or ``qa serve`` runs it; tests build it with
``create_app(settings, service=...)`` to reuse a loaded model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from qa.api import chat, documents, health, openai, search, web
from qa.api.access import is_loopback, require_read
from qa.api.cors import install_cors
from qa.api.deps import Runtime
from qa.api.errors import install_error_handlers
from qa.api.headers import SecurityHeaders
from qa.api.limits import BodyLimit
from qa.api.rates import install_rate_limit
from qa.api.responses import errors, state_limits
from qa.encoders import Embedder
from qa.service import Service
from qa.settings import Settings, get_settings

__all__ = ["create_app", "is_loopback", "run", "warnings"]

# The errors each group of routes may give besides 401, 403 and 503 (and 422).
API_ERRORS = {
    chat: (400, 409, 413, 415, 429),
    search: (400, 409, 413),
    documents: (400, 404, 413, 415, 422),  # 422: its body is parsed by hand
    openai: (400, 404, 409, 413, 415, 429),
}

DESCRIPTION = """Questions answered from news articles, with citations.

`POST /chat` answers (`/chat/stream` as Server-Sent Events), `GET /search` finds passages,
`/documents` lists, shows, adds and deletes articles, and `/v1/chat/completions` speaks
the OpenAI chat API. The chat page is at `/`."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the service once (loads the model: blocking, so off the event loop)."""
    runtime: Runtime = app.state.runtime
    await run_in_threadpool(runtime.start)
    yield


def create_app(
    settings: Settings | None = None,
    service: Service | None = None,
    embedder: Embedder | None = None,
) -> FastAPI:
    """The app. Without ``service`` it builds one from ``settings`` (default: from the
    environment, ``QA_*``) at startup, reusing ``embedder`` if given; with ``service``,
    it serves that one."""
    if settings is None:
        settings = service.settings if service is not None else get_settings()
    app = FastAPI(
        title="qa",
        summary="Cited answers from news articles.",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # qa.api.web serves /docs without a CDN
        redoc_url=None,
        redirect_slashes=False,  # a redirect would name the Host the request gave
    )
    app.add_middleware(
        BodyLimit, upload_limit=settings.max_upload_bytes, body_limit=settings.max_body_bytes
    )
    app.state.settings = settings
    app.state.runtime = Runtime(settings, service, embedder)
    install_error_handlers(app)
    install_rate_limit(app, settings)
    app.include_router(health.router)
    for module, codes in API_ERRORS.items():
        app.include_router(
            module.router,
            dependencies=[Depends(require_read)],
            responses={**errors(401, 403, 503), **errors(*codes)},
        )
    web.mount(app)
    state_limits(app, settings)
    install_cors(app, settings)
    app.add_middleware(SecurityHeaders)  # last: the outermost, so every response has them
    return app


def warnings(settings: Settings, host: str, workers: int) -> list[str]:
    """What ``qa serve`` warns of before it starts, for this bind address and workers."""
    said = []
    if not is_loopback(host) and settings.api_key is None:
        said.append(
            f"listening on {host} without QA_API_KEY: POST and DELETE /documents are "
            "refused; set QA_API_KEY to allow them with 'Authorization: Bearer <key>'"
        )
    if workers > 1 and not settings.chroma_url:
        said.append(
            "several workers share the embedded store; set QA_CHROMA_URL to a `chroma run` "
            "server for concurrent writes"
        )
    return said


def run(host: str, port: int, workers: int, settings: Settings) -> None:
    """uvicorn over ``create_app``: ``X-Forwarded-For`` is believed only from the proxies
    that ``QA_FORWARDED_ALLOW_IPS`` names (uvicorn's own default trusts 127.0.0.1)."""
    import uvicorn

    proxies = settings.forwarded_allow_ips.strip() or None
    uvicorn.run(
        "qa.api:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies,
    )
