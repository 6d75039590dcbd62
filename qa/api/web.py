"""The pages: ``GET /`` the chat page (``qa/web/index.html``), ``GET /docs`` the API docs
(Swagger UI from the fastapi-offline package, no CDN), ``/static/`` the files of both.
Their security headers are ``qa.api.headers``'."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
SWAGGER_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    return FileResponse(WEB_DIR / "index.html", media_type="text/html", headers=NO_CACHE)


@router.get("/docs")
def docs() -> FileResponse:
    return FileResponse(WEB_DIR / "docs.html", media_type="text/html", headers=NO_CACHE)


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_DIR), name="swagger")
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
