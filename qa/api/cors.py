"""Cross-origin requests (Starlette's CORS middleware): closed unless ``QA_CORS_ORIGINS``
names the origins allowed."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from qa.settings import Settings


def origins(settings: Settings) -> list[str]:
    return [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]


def install_cors(app: FastAPI, settings: Settings) -> None:
    """CORS if origins are configured (add it last: outermost, so that every response,
    errors included, carries its headers)."""
    allowed = origins(settings)
    if allowed:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=allowed,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
