"""The one ``Service`` of an app, built at startup, and the dependencies handing it out."""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from qa.encoders import Embedder
from qa.errors import QAError
from qa.service import Service, build_service
from qa.settings import Settings

logger = logging.getLogger("qa.api")


class Runtime:
    """Holds the service. If building it failed (model missing, store away), requests get
    503 with the reason and a later request retries, keeping a model that did load."""

    retry_seconds = 10.0

    def __init__(
        self, settings: Settings, service: Service | None = None, embedder: Embedder | None = None
    ):
        self.settings = settings
        self.service = service
        self.error: str | None = None
        self.write_lock = threading.Lock()  # one ingest or delete at a time
        self._lock = threading.Lock()
        self._embedder: Embedder | None = service.embedder if service else embedder
        self._tried = -math.inf

    def start(self) -> None:
        """Build the service (blocking: loads the model); failures are kept, not raised."""
        with self._lock:
            if self.service is None:
                self._build()

    def _build(self) -> None:
        self._tried = time.monotonic()
        try:
            if self._embedder is None:  # kept when the store fails, so a retry reuses it
                self._embedder = Embedder.from_settings(self.settings)
            self.service = build_service(self.settings, self._embedder)
            self.error = None
        except Exception as exc:  # startup must not crash the server: /health reports it
            self.error = str(exc) if isinstance(exc, QAError) else f"{type(exc).__name__}: {exc}"
            logger.error("the service could not start: %s", self.error, exc_info=exc)

    def get(self) -> Service:
        """The service, or 503 with the reason it is not there."""
        if self.service is not None:
            return self.service
        with self._lock:
            due = time.monotonic() - self._tried >= self.retry_seconds
            if self.service is None and due:
                self._build()
        if self.service is None:
            raise HTTPException(503, f"The service is not ready: {self.error or 'starting'}")
        return self.service


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_service(request: Request) -> Service:
    # A plain ``def``: FastAPI runs it in the threadpool, so a retried build does not
    # block the event loop.
    return get_runtime(request).get()


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[Service, Depends(get_service)]
