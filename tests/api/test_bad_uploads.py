"""Hostile uploads: files that lie about their kind or explode when opened, gzip, bodies
over the limit and document ids with path separators each get a 4xx with a clear JSON
message, and the collection is unchanged."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.hardened import JSON, assert_clear_4xx, assert_still_serving, snapshot

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02" + b"\0" * 64


def test_chunked_body_over_the_limit(hardened: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"message": "'
        for _ in range(50):
            yield b"x" * 10_000
        yield b'"}'

    response = hardened.post("/chat", content=chunks(), headers=JSON)
    assert_clear_4xx(response, "QA_MAX_BODY_BYTES")
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    ["/documents/..%2F..%2Fetc", "/documents/..%2F..%2Fetc%2Fpasswd", "/documents/%2e%2e",
     "/documents/a%5Cb", "/documents/a%00b", "/documents/" + "a" * 200, "/documents/%F0%9F%92%A3"],
)  # fmt: skip
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_document_ids_with_path_separators(hardened: TestClient, path: str, method: str) -> None:
    before = snapshot(hardened)
    response = hardened.request(method, path)
    assert response.status_code in (404, 422), response.text
    assert_clear_4xx(response)
    assert snapshot(hardened) == before


def zip_bomb() -> bytes:
    """A 20 kB zip that expands to 20 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"0" * 20_000_000)
    return buffer.getvalue()


def uploads() -> list[tuple[str, dict[str, Any], list[str]]]:
    bomb = zip_bomb()
    page = (
        b"<html><body>" + b"<p>A gigantic page about the harbour.</p>" * 20_000 + b"</body></html>"
    )
    deep = b"<html><body>" + b"<div>" * 4000 + b"text" + b"</div>" * 4000 + b"</body></html>"
    return [
        ("a PNG named .txt", {"files": {"file": ("notes.txt", PNG, "text/plain")}}, ["binary"]),
        ("a PNG named .md", {"files": {"file": ("notes.md", PNG)}}, ["binary"]),
        ("a PNG named .html", {"files": {"file": ("page.html", PNG)}}, ["binary"]),
        ("a zip bomb", {"files": {"file": ("bomb.zip", bomb)}}, [".zip"]),
        ("a zip bomb named .txt", {"files": {"file": ("bomb.txt", bomb)}}, []),
        ("a gigantic HTML page", {"files": {"file": ("big.html", page)}}, ["limit"]),
        ("a deeply nested page", {"files": {"file": ("deep.html", deep)}}, ["html"]),
        ("a jsonl of non-objects", {"files": {"file": ("x.jsonl", b"[1]\n")}}, ["line 1"]),
        ("control characters", {"files": {"file": ("c.txt", b"Hello\x07 bell.")}}, ["control"]),
        ("a lone surrogate", {"content": b'{"title": "T", "text": "\\ud800"}', "headers": JSON},
         ["surrogate"]),
        ("NUL in text", {"content": b'{"title": "T", "text": "a\\u0000b"}', "headers": JSON},
         ["control"]),
        ("control in title", {"content": b'{"title": "T\\u001b", "text": "ab"}', "headers": JSON},
         ["control"]),
        ("nested JSON", {"content": b"[" * 30_000 + b"]" * 30_000, "headers": JSON}, ["json"]),
        ("long number", {"content": b'{"title": ' + b"1" * 5000 + b"}", "headers": JSON},
         ["json"]),
    ]  # fmt: skip


UPLOADS = uploads()


@pytest.mark.parametrize(
    ("request_", "words"), [u[1:] for u in UPLOADS], ids=[u[0] for u in UPLOADS]
)
def test_uploads_that_lie_or_explode(
    hardened: TestClient, request_: dict[str, Any], words: list[str]
) -> None:
    before = snapshot(hardened)
    assert_clear_4xx(hardened.post("/documents", **request_), *words)
    assert snapshot(hardened) == before


def test_gzipped_uploads_are_refused(hardened: TestClient) -> None:
    before = snapshot(hardened)
    gzipped = gzip.compress(json.dumps({"title": "T", "text": "x" * 10_000_000}).encode())
    response = hardened.post(
        "/documents", content=gzipped, headers={**JSON, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 415 and "uncompressed" in response.json()["detail"]
    assert_still_serving(hardened, before)
