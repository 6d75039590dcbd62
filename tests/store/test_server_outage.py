"""Server mode when the store is away: a ``chroma run`` that goes away is a 503 and the app
recovers by itself; an app started before its store waits for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from chromadb.errors import InternalError, InvalidArgumentError, NotFoundError

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.store.client import unavailable
from tests.helpers import PROPAGANDA
from tests.servers import ChromaServer, serve_app
from tests.store.server_mode import ARTICLE, ids, seeded_service, server_settings

CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/health", {}),
    ("POST", "/chat", {"json": {"message": PROPAGANDA}}),
    ("POST", "/chat/stream", {"json": {"message": PROPAGANDA}}),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "Hi?"}]}}),
    ("GET", "/search", {"params": {"q": "Interpol"}}),
    ("GET", "/documents", {}),
    ("POST", "/documents", {"json": ARTICLE}),
]


def unavailable_problem(response: httpx.Response) -> str | None:
    """What is wrong with a response that should say the store is unavailable (None: ok)."""
    detail = str(response.json().get("detail"))
    if response.status_code != 503 or "vector store" not in detail or "unavailable" not in detail:
        return f"{response.request.method} {response.request.url.path}: {response.text[:200]}"
    if not response.headers.get("retry-after"):
        return f"{response.request.method} {response.request.url.path}: no Retry-After"
    return None


def test_store_outage_is_503_and_the_app_recovers_by_itself(
    embedder: Embedder, tmp_path: Path
) -> None:
    chroma = ChromaServer(tmp_path / "chroma").start()
    try:
        settings = server_settings(chroma.url, "outage", tmp_path)
        service = seeded_service(settings, embedder)
        with serve_app(create_app(settings, service=service)) as url:
            (first, _) = ids(url)
            assert httpx.post(f"{url}/chat", json={"message": PROPAGANDA}).status_code == 200
            chroma.stop()
            calls = [
                *CALLS,
                ("GET", f"/documents/{first}", {}),
                ("DELETE", f"/documents/{first}", {}),
            ]
            responses = [httpx.request(m, f"{url}{path}", **kw) for m, path, kw in calls]
            problems = [unavailable_problem(r) for r in responses]  # every call, each reported
            assert [p for p in problems if p] == []
            assert httpx.get(f"{url}/").status_code == 200  # the page still loads

            chroma.start()  # the same port and path; the app is not restarted
            answer = httpx.post(f"{url}/chat", json={"message": PROPAGANDA})
            assert answer.status_code == 200 and answer.json()["answered"]
            assert len(ids(url)) == 2  # the refused writes left nothing behind
            assert httpx.get(f"{url}/health").status_code == 200
    finally:
        chroma.stop()


def test_an_app_started_before_its_store_comes_up(embedder: Embedder, tmp_path: Path) -> None:
    chroma = ChromaServer(tmp_path / "chroma")  # not started yet
    try:
        settings = server_settings(chroma.url, "late", tmp_path)
        app = create_app(settings, embedder=embedder)
        app.state.runtime.retry_seconds = 0.2
        with serve_app(app) as url:
            down = httpx.get(f"{url}/health")
            assert down.status_code == 503 and "not ready" in down.json()["detail"]
            chroma.start()
            for _ in range(50):
                if httpx.get(f"{url}/health").status_code == 200:
                    break
                httpx.get(f"{url}/documents")  # a request retries the start-up
            assert httpx.get(f"{url}/health").json()["documents"] == 0
    finally:
        chroma.stop()


@pytest.mark.parametrize(
    ("error", "away"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ReadTimeout("slow"), True),
        (ConnectionResetError(), True),
        (InternalError("the server failed"), True),
        (NotFoundError("Collection abc does not exist"), True),  # emptied or replaced
        (Exception("502 Bad Gateway"), True),  # an HTTP error without a Chroma body
        (InvalidArgumentError("bad where clause"), False),  # our bug: stays a 500
        (ValueError("bad"), False),
        (KeyError("x"), False),
    ],
)
def test_which_failures_mean_the_store_is_away(error: Exception, away: bool) -> None:
    assert unavailable(error) is away
