"""The API's clients, defined once: the real app in process (TestClient) over a private copy
of the seeded store (``client``, and ``shared`` for tables of requests that change
nothing), with tight limits for hostile input (``hardened``), or with any settings
(``make_client``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.service import build_service
from qa.settings import Settings
from tests.api.checks import UPLOAD_LIMIT
from tests.api.hardened import BODY_LIMIT, HARDENED_UPLOAD_LIMIT
from tests.helpers import app_client, copy_store


@pytest.fixture
def api_settings(tmp_path: Path, seeded_dir: Path) -> Settings:
    """Settings over a private copy of the seeded store, with a small upload limit."""
    store = copy_store(seeded_dir, tmp_path / "store")
    return Settings(vectorstore_dir=store, max_upload_bytes=UPLOAD_LIMIT, max_history_turns=4)


@pytest.fixture
def client(api_settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    app = create_app(api_settings, service=build_service(api_settings, embedder))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder
) -> Iterator[TestClient]:
    """One client for the tables of requests that change nothing (each checks that)."""
    store = copy_store(seeded_dir, tmp_path_factory.mktemp("shared") / "store")
    with app_client(store, embedder, max_upload_bytes=UPLOAD_LIMIT, max_history_turns=4) as client:
        yield client


@pytest.fixture(scope="module")
def hardened_settings(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path) -> Settings:
    """One store for the module: every case checks that it changed nothing."""
    return Settings(
        vectorstore_dir=copy_store(seeded_dir, tmp_path_factory.mktemp("bad") / "store"),
        max_upload_bytes=HARDENED_UPLOAD_LIMIT,
        max_body_bytes=BODY_LIMIT,
        rate_limit="off",
    )


@pytest.fixture(scope="module")
def hardened(hardened_settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    app = create_app(hardened_settings, service=build_service(hardened_settings, embedder))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def make_client(tmp_path: Path, seeded_dir: Path, embedder: Embedder) -> Iterator[Any]:
    """``make_client(**settings)``: a TestClient over a private copy of the seeded store."""
    store = copy_store(seeded_dir, tmp_path / "store")
    clients: list[TestClient] = []

    def make(client: tuple[str, int] = ("127.0.0.1", 50000), **fields: Any) -> TestClient:
        settings = Settings(vectorstore_dir=store, **fields)
        app = create_app(settings, service=build_service(settings, embedder))
        clients.append(TestClient(app, client=client).__enter__())
        return clients[-1]

    yield make
    for made in clients:
        made.__exit__(None, None, None)
