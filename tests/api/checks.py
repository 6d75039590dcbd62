"""What the API's tests check after a request: the fields an answer, a passage and a
citation carry, an error's status and words, and that the app still answers."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import PROPAGANDA

UPLOAD_LIMIT = 20_000
ARTICLE = {
    "title": "Ferry news",
    "text": "The night ferry to the islands runs again from May.",
}  # one to add
ANSWER_KEYS = {
    "answer", "answered", "standalone_question", "citations", "timings_ms", "answerer", "sentences",
    "short_answer", "sources_differ", "tier", "related", "findings",
}  # fmt: skip
CITATION_KEYS = {
    "n", "document_id", "title", "source", "published", "quote", "start", "end", "score",
    "answer_start", "answer_end",
}  # fmt: skip


def count(client: TestClient) -> int:
    return int(client.get("/health").json()["documents"])


def assert_still_answers(client: TestClient) -> None:
    response = client.post("/chat", json={"message": PROPAGANDA})
    assert response.status_code == 200
    assert response.json()["answered"] is True


def assert_error(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert detail, response.text
    for word in words:
        assert word.lower() in json.dumps(detail).lower(), detail


def detail(response: Any) -> str:
    return str(response.json()["detail"])
