"""``GET /search`` and the documents routes in process: passages, the library, JSON
and file writes, and writes refused without changing anything."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.checks import UPLOAD_LIMIT, assert_error, assert_still_answers, count
from tests.helpers import BAD_FILES, document_texts


# -- search ---------------------------------------------------------------------------
def test_search_returns_passages(client: TestClient) -> None:
    response = client.get("/search", params={"q": "Interpol red notice", "k": 3})
    assert response.status_code == 200
    results = response.json()["results"]
    assert 0 < len(results) <= 3
    texts = document_texts(client)
    for r in results:
        assert {
            "chunk_id",
            "document_id",
            "title",
            "source",
            "text",
            "start",
            "end",
            "score",
        } <= set(r)
        assert texts[r["document_id"]][r["start"] : r["end"]] == r["text"]
    some = results[0]["document_id"]
    params = {"q": "Interpol", "document_id": some, "source": "", "published_after": ""}
    only = client.get("/search", params=params).json()["results"]
    assert only and {r["document_id"] for r in only} == {some}


def test_bad_searches_get_clear_errors(client: TestClient) -> None:
    assert_error(client.get("/search"), 422, "q", "missing")
    assert_error(client.get("/search", params={"q": "  "}), 400, "empty")
    assert_error(client.get("/search", params={"q": "x" * 2001}), 413, "QA_MAX_MESSAGE_CHARS")
    assert_error(client.get("/search", params={"q": "Iran", "k": 0}), 422, "greater than")
    assert_error(client.get("/search", params={"q": "Iran", "k": 99}), 422, "less than")
    assert_error(client.get("/search", params={"q": "Iran", "k": "many"}), 422, "integer")
    params = {"q": "Iran", "published_before": "2020-13-45"}
    assert_error(client.get("/search", params=params), 422, "published_before")


# -- documents ------------------------------------------------------------------------
def test_documents_list_and_get(client: TestClient) -> None:
    documents = client.get("/documents").json()["documents"]
    assert len(documents) == 2
    for d in documents:
        assert {"id", "title", "source", "published", "url", "chunks"} <= set(d)
        assert "text" not in d
        full = client.get(f"/documents/{d['id']}").json()
        assert {**d, "text": full["text"]} == full and full["text"].strip()
    assert_error(client.get("/documents/0000000000000000"), 404, "0000000000000000")


ARTICLE = {
    "title": "Harbour festival",
    "text": "The Riverside harbour festival opens on Saturday. "
    "The lantern parade starts at the Old Lighthouse on Pier Road at nine o'clock.",
    "source": "Riverside Gazette",
    "url": "https://example.org/harbour",
    "published": "2024-05-01",
}


def test_post_json_get_and_delete(client: TestClient) -> None:
    response = client.post("/documents", json=ARTICLE)
    assert response.status_code == 201
    body = response.json()
    assert body["added"] == [ARTICLE["title"]] and body["unchanged"] == body["replaced"] == []
    (new_id,) = body["document_ids"]
    assert response.headers["location"] == f"/documents/{new_id}"
    assert count(client) == 3
    stored = client.get(f"/documents/{new_id}").json()
    assert {k: stored[k] for k in ARTICLE} == ARTICLE
    again = client.post("/documents", json=ARTICLE).json()
    assert again["unchanged"] == [ARTICLE["title"]] and again["document_ids"] == [new_id]
    changed = client.post("/documents", json={**ARTICLE, "text": ARTICLE["text"] + " Boats too."})
    assert changed.json()["replaced"] == [ARTICLE["title"]] and count(client) == 3
    (changed_id,) = changed.json()["document_ids"]
    found = client.get("/search", params={"q": "lantern parade", "document_id": changed_id})
    assert found.json()["results"][0]["document_id"] == changed_id
    assert client.delete(f"/documents/{changed_id}").status_code == 204
    assert_error(client.get(f"/documents/{changed_id}"), 404, changed_id)
    assert_error(client.delete(f"/documents/{changed_id}"), 404, changed_id)
    assert count(client) == 2
    assert_still_answers(client)


def test_upload_files(client: TestClient) -> None:
    markdown = b"---\ntitle: Port news\nsource: Gazette\n---\nShips arrived at the port today."
    response = client.post("/documents", files={"file": ("port.md", markdown, "text/markdown")})
    assert response.status_code == 201, response.text
    assert response.json()["added"] == ["Port news"]
    rows = [{"title": f"Note {i}", "text": f"Note number {i} is about ferries."} for i in (1, 2)]
    jsonl = "\n".join(json.dumps(r) for r in rows).encode()
    response = client.post("/documents", files={"file": ("notes.jsonl", jsonl)})
    assert response.status_code == 201, response.text
    assert response.json()["added"] == ["Note 1", "Note 2"]
    assert len(response.json()["document_ids"]) == 2
    assert count(client) == 5
    port = next(
        d for d in client.get("/documents").json()["documents"] if d["title"] == "Port news"
    )
    assert port["source"] == "Gazette"


BAD_WRITES: list[tuple[str, dict[str, Any], int, list[str]]] = [
    ("over the limit", {"files": {"file": ("big.txt", b"a" * (UPLOAD_LIMIT + 1))}}, 413, ["limit"]),
    ("far over", {"files": {"file": ("big.txt", b"a" * (UPLOAD_LIMIT + 70_000))}}, 413, ["limit"]),
    ("pdf", {"files": {"file": ("paper.pdf", b"%PDF-1.4 text")}}, 415, [".pdf"]),
    ("no suffix", {"files": {"file": ("README", b"Some text.")}}, 415, ["unsupported"]),
    ("binary", {"files": {"file": ("x.txt", b"\x00\x01\x02\xffPNG")}}, 400, ["binary"]),
    ("latin-1", {"files": {"file": ("x.txt", "café".encode("latin-1"))}}, 400, ["utf-8"]),
    ("empty file", {"files": {"file": ("x.md", b"  \n ")}}, 400, ["empty"]),
    ("bad jsonl", {"files": {"file": ("x.jsonl", b'{"title": "a"')}}, 400, ["line 1"]),
    ("no file field", {"files": {"other": ("x.txt", b"Hello there.")}}, 400, ["'file'"]),
    ("json no text", {"json": {"title": "A"}}, 422, ["text", "missing"]),
    ("json blank text", {"json": {"title": "A", "text": "  "}}, 400, ["no text"]),
    ("json blank title", {"json": {"title": " ", "text": "Words."}}, 422, ["title"]),
    ("json wrong type", {"json": {"title": "A", "text": 7}}, 422, ["valid string"]),
    ("json bad date", {"json": {"title": "A", "text": "B.", "published": "May"}}, 422, ["date"]),
    ("json extra", {"json": {"title": "A", "text": "B.", "author": "C"}}, 422, ["extra"]),
    ("json array", {"json": [ARTICLE]}, 422, ["dictionary"]),
    ("json too long", {"json": {"title": "A", "text": "b" * (UPLOAD_LIMIT + 1)}}, 413, ["limit"]),
    (
        "malformed json",
        {"content": b'{"title": ', "headers": {"Content-Type": "application/json"}},
        422,
        ["json"],
    ),
    ("plain text", {"content": b"hello", "headers": {"Content-Type": "text/plain"}}, 415, ["json"]),
]


@pytest.mark.parametrize(
    ("request_", "status", "words"),
    [case[1:] for case in BAD_WRITES],
    ids=[case[0] for case in BAD_WRITES],
)
def test_rejected_writes_change_nothing(
    shared: TestClient, request_: dict[str, Any], status: int, words: list[str]
) -> None:
    before = shared.get("/documents").json()
    response = shared.post("/documents", **request_)
    assert_error(response, status, *words)
    assert shared.get("/documents").json() == before
    assert_still_answers(shared)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_every_bad_file_is_refused_with_its_reason(shared: TestClient, name: str) -> None:
    before = shared.get("/documents").json()
    raw, word = BAD_FILES[name]
    response = shared.post("/documents", files={"file": (name, raw)})
    assert 400 <= response.status_code < 500, response.text
    assert word.lower() in response.json()["detail"].lower()
    assert shared.get("/documents").json() == before
