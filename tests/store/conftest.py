"""The store's fixtures: a real ``chroma run`` server for the module, and ``qa doctor`` run
with a store's settings (``damage``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from qa.settings import get_settings
from tests.servers import ChromaServer, chroma_server
from tests.store.damage import doctor_runner


@pytest.fixture
def doctor(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield doctor_runner(monkeypatch)
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with chroma_server(tmp_path_factory.mktemp("chroma") / "data") as server:
        yield server
