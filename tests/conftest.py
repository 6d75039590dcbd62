"""Shared fixtures: the real embedding model (loaded once) and real Chroma stores in
temporary directories, with the seed articles ingested."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.encoders.embeddings import Embedder
from qa.service import Service, build_service
from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at an empty store in a temporary directory."""
    return Settings(vectorstore_dir=tmp_path / "store", default_ingest_path=SEEDS)


@pytest.fixture
def service(settings: Settings, embedder: Embedder) -> Service:
    """A service over an empty store."""
    return build_service(settings, embedder)


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A store holding the two seed articles, built once for the session."""
    directory = tmp_path_factory.mktemp("seeded")
    build_service(Settings(vectorstore_dir=directory), embedder).ingest_paths([SEEDS])
    return directory


@pytest.fixture(scope="session")
def seeded(seeded_dir: Path, embedder: Embedder) -> Iterator[Service]:
    """A service over the seeded store (read-only: tests that write use ``service``)."""
    yield build_service(Settings(vectorstore_dir=seeded_dir), embedder)
