"""What the server-mode tests share: an article to add, an app's settings over a
``chroma run`` server, a service over it seeded with the two seed articles, and the ids
an app lists."""

from __future__ import annotations

from pathlib import Path

import httpx

from qa.encoders.embeddings import Embedder
from qa.service import Service, build_service
from qa.settings import Settings
from tests.conftest import SEEDS

ARTICLE = {
    "title": "Harbour festival",
    "text": "The Riverside harbour festival opens on Saturday. "
    "The lantern parade starts at the Old Lighthouse on Pier Road at nine o'clock.",
    "source": "Riverside Gazette",
    "published": "2024-05-01",
}


def server_settings(url: str, collection: str, tmp_path: Path) -> Settings:
    """Server mode; the local folder holds only the keyword indexes."""
    return Settings(vectorstore_dir=tmp_path / "local", chroma_url=url, collection=collection)


def seeded_service(settings: Settings, embedder: Embedder) -> Service:
    service = build_service(settings, embedder)
    report = service.ingest_paths([SEEDS])
    assert len(report.document_ids) == 2 and not report.rejected
    return service


def ids(url: str) -> list[str]:
    response = httpx.get(f"{url}/documents")
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()["documents"]]
