"""The page's fixtures: a real browser (Playwright driving Debian's Chromium) and the real
server (uvicorn in a subprocess) over the seed articles plus one carrying HTML/script and
a story two outlets tell differently; a second server that wants an API key.

Without /usr/bin/chromium (or playwright) the page's tests are skipped locally and FAIL in
CI (when the CI environment variable is set)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.helpers import Server, copy_store, running_server, uvicorn_command
from tests.web.page import ARGS, BRIDGE, CHROMIUM, HOSTILE, KEY, unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        unavailable(f"no browser at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("web-server")
    store = copy_store(seeded_dir, workdir / "store")
    with running_server(uvicorn_command, store, workdir) as started:
        for article in [HOSTILE, *BRIDGE]:
            added = httpx.post(f"{started.url}/documents", json=article, timeout=60)
            assert added.status_code == 201, added.text
        yield started


@pytest.fixture
def dialogs() -> list[str]:
    return []


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path) -> Iterator[Server]:
    """A server whose writes need ``KEY``."""
    workdir = tmp_path_factory.mktemp("keyed-server")
    store = copy_store(seeded_dir, workdir / "store")
    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("QA_API_KEY", KEY)
            started = stack.enter_context(running_server(uvicorn_command, store, workdir))
        yield started
