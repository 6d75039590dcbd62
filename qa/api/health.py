"""``GET /health``: 200 only when the model is loaded and the store answers."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException

from qa.api.deps import ServiceDep
from qa.api.schemas import Health
from qa.errors import StoreUnavailable

router = APIRouter(tags=["health"])
logger = logging.getLogger("qa.api")


@router.get("/health", responses={503: {"description": "the model or the store is not ready"}})
def health(service: ServiceDep) -> Health:
    """Whether the service can answer, and how many articles and passages it holds."""
    try:
        documents, chunks = service.store.counts()
    except Exception as exc:  # whatever the store raises, it is not answering
        logger.error("health check: the store failed: %s", exc)
        error = exc if isinstance(exc, StoreUnavailable) else StoreUnavailable.because(exc)
        raise HTTPException(503, str(error)) from exc
    return Health(
        documents=documents,
        chunks=chunks,
        model=service.embedder.name,
        answerer=service.chain.answerer.name,
    )
