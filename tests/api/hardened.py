"""What the hostile-input tests check after each case: a 4xx with a clear JSON message, the
collection unchanged, and the server still answering (``hardened``, in ``conftest``)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import httpx2
from fastapi.testclient import TestClient

from tests.helpers import PROPAGANDA

HARDENED_UPLOAD_LIMIT = 50_000
BODY_LIMIT = 100_000
JSON = {"Content-Type": "application/json"}


def snapshot(hardened: TestClient) -> Any:
    return hardened.get("/documents").json(), hardened.get("/health").json()["chunks"]


def assert_clear_4xx(response: httpx.Response | httpx2.Response, *words: str) -> None:
    """A 4xx with a JSON ``detail`` naming ``words`` (the TestClient answers with httpx2's
    responses, a server over HTTP with httpx's)."""
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    text = json.dumps(response.json()["detail"]).lower()
    assert text.strip('"'), response.text
    for word in words:
        assert word.lower() in text, text


def assert_still_serving(hardened: TestClient, before: Any) -> None:
    assert snapshot(hardened) == before
    answer = hardened.post("/chat", json={"message": PROPAGANDA})
    assert answer.status_code == 200 and answer.json()["answered"]
