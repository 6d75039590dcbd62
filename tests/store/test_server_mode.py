"""Server mode: a real ``chroma run`` on a free loopback port, apps served over real HTTP
(uvicorn) against it. Two apps stand for two workers: a write by one is seen by the other,
keyword index included; tenants, databases and gateway headers are settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import chromadb
import chromadb.config
import httpx
import pytest

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.errors import StoreUnavailable
from qa.models import Question
from qa.service import build_service
from qa.settings import Settings, get_settings
from qa.store.store import Store
from tests.conftest import SEEDS
from tests.helpers import PROPAGANDA
from tests.servers import ChromaServer, serve_app, token_gateway
from tests.store.damage import check_doctor_repairs, doctor_runner
from tests.store.server_mode import ARTICLE, ids, seeded_service, server_settings

LANTERN = "Where does the lantern parade start?"


def test_a_write_by_one_worker_is_seen_by_another(
    chroma: ChromaServer, embedder: Embedder, tmp_path: Path
) -> None:
    settings = server_settings(chroma.url, "shared", tmp_path)
    one = seeded_service(settings, embedder)
    two = build_service(settings, embedder)
    with (
        serve_app(create_app(settings, service=one)) as a,
        serve_app(create_app(settings, service=two)) as b,
    ):
        assert httpx.get(f"{b}/search", params={"q": "Interpol"}).status_code == 200
        before = two.retriever.keywords.current().revision
        created = httpx.post(f"{a}/documents", json=ARTICLE)
        assert created.status_code == 201, created.text
        (new_id,) = created.json()["document_ids"]

        assert new_id in ids(b) and len(ids(b)) == 3
        assert httpx.get(f"{b}/documents/{new_id}").json()["text"] == ARTICLE["text"]
        found = httpx.get(f"{b}/search", params={"q": "lantern parade Old Lighthouse"}).json()
        assert found["results"][0]["document_id"] == new_id
        index = two.retriever.keywords.current()  # the keyword side of worker b, rebuilt
        assert index.revision != before and new_id in index.document_ids
        passages = int((index.document_ids == new_id).sum())
        assert passages == two.document(new_id).chunks > 0
        answer = httpx.post(f"{b}/chat", json={"message": LANTERN}).json()
        assert answer["citations"] and answer["citations"][0]["document_id"] == new_id

        assert httpx.delete(f"{b}/documents/{new_id}").status_code == 204
        assert httpx.get(f"{a}/documents/{new_id}").status_code == 404
        found = httpx.get(f"{a}/search", params={"q": "lantern parade Old Lighthouse"}).json()
        assert new_id not in {r["document_id"] for r in found["results"]}
        assert new_id not in one.retriever.keywords.current().document_ids
        assert httpx.get(f"{a}/health").json()["documents"] == 2


def test_ingest_search_chat_stream_and_delete(
    chroma: ChromaServer, embedder: Embedder, tmp_path: Path
) -> None:
    settings = server_settings(chroma.url, "crud", tmp_path)
    with serve_app(create_app(settings, service=build_service(settings, embedder))) as url:
        assert httpx.get(f"{url}/health").json()["documents"] == 0
        empty = httpx.post(f"{url}/chat", json={"message": PROPAGANDA})
        assert empty.status_code == 409
        for path in sorted(SEEDS.glob("*.md")):
            upload = {"file": (path.name, path.read_bytes(), "text/markdown")}
            assert httpx.post(f"{url}/documents", files=upload).status_code == 201
        answer = httpx.post(f"{url}/chat", json={"message": PROPAGANDA}, timeout=30).json()
        assert answer["answered"] and answer["citations"]
        with httpx.stream("POST", f"{url}/chat/stream", json={"message": PROPAGANDA}) as events:
            body = events.read().decode()
        assert events.status_code == 200 and "event: done" in body
        for document_id in ids(url):
            assert httpx.delete(f"{url}/documents/{document_id}").status_code == 204
        assert httpx.get(f"{url}/health").json()["chunks"] == 0


def test_doctor_repairs_a_store_on_the_server(
    chroma: ChromaServer, embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = server_settings(chroma.url, "doctor", tmp_path)
    env = {"QA_CHROMA_URL": chroma.url, "QA_COLLECTION": "doctor"}
    env["QA_VECTORSTORE_DIR"] = str(settings.vectorstore_dir)  # where its keyword index is
    try:
        check_doctor_repairs(doctor_runner(monkeypatch), env, seeded_service(settings, embedder))
    finally:
        get_settings.cache_clear()


def test_a_delete_while_the_keyword_index_is_built(
    chroma: ChromaServer, embedder: Embedder, tmp_path: Path
) -> None:
    """Another worker deletes a document while this one rebuilds its keyword index (between
    its reads of the documents and of the chunks): every indexed passage still has its
    document, and searches answer."""
    settings = server_settings(chroma.url, "race", tmp_path)
    service = seeded_service(settings, embedder)
    other = build_service(settings, embedder)
    gone = service.documents()[0].id
    store, deleted = service.store, list[str]()

    def then_delete(read: Any) -> Any:
        def wrapped(*args: Any) -> Any:
            found = read(*args)
            if not deleted:
                deleted.append(gone)
                other.delete(gone)
            return found

        return wrapped

    store.document_ids = then_delete(store.document_ids)  # type: ignore[method-assign]
    index = service.retriever.keywords.current()
    left = {d.id for d in other.documents(text=False)}
    assert deleted and gone not in left and set(index.document_ids.tolist()) <= left
    results = service.search("Who called the arrest warrant a propaganda stunt?", 10)
    assert results and all(r.document_id in left for r in results)


def test_tenant_and_database_are_settings(
    chroma: ChromaServer, embedder: Embedder, tmp_path: Path
) -> None:
    admin = chromadb.AdminClient(
        chromadb.config.Settings(
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            chroma_server_host="127.0.0.1",
            chroma_server_http_port=chroma.port,
        )
    )
    admin.create_tenant("newsroom")
    admin.create_database("archive", tenant="newsroom")
    settings = server_settings(chroma.url, "separate", tmp_path).model_copy(
        update={"chroma_tenant": "newsroom", "chroma_database": "archive"}
    )
    service = seeded_service(settings, embedder)
    assert service.chain.invoke(Question(text=PROPAGANDA)).answered
    inside = chromadb.HttpClient(
        host="127.0.0.1", port=chroma.port, tenant="newsroom", database="archive"
    )
    assert "separate-documents" in {c.name for c in inside.list_collections()}
    default = chromadb.HttpClient(host="127.0.0.1", port=chroma.port)
    assert "separate-documents" not in {c.name for c in default.list_collections()}
    missing = settings.model_copy(update={"chroma_database": "no-such-database"})
    with pytest.raises(StoreUnavailable, match="newsroom/no-such-database"):
        Store.of(missing)


def test_headers_reach_a_server_behind_a_gateway(
    chroma: ChromaServer, embedder: Embedder, tmp_path: Path
) -> None:
    """QA_CHROMA_HEADERS is sent with every request: a token gateway in front of the
    server lets the service through with it, and refuses it, clearly, without."""
    with serve_app(token_gateway(chroma.url, "X-Chroma-Token", "s3cret")) as gateway:
        settings = server_settings(gateway, "gated", tmp_path)
        with pytest.raises(StoreUnavailable, match=r"unavailable.*Unauthorized"):
            Store.of(settings)
        headers = Settings.model_validate({"chroma_headers": {"X-Chroma-Token": "s3cret"}})
        gated = settings.model_copy(update={"chroma_headers": headers.chroma_headers})
        assert "s3cret" not in repr(gated)
        answer = seeded_service(gated, embedder).chain.invoke(Question(text=PROPAGANDA))
        assert answer.answered and "Brian Hook" in answer.answer
    direct = chromadb.HttpClient(host="127.0.0.1", port=chroma.port)
    assert "gated-documents" in {c.name for c in direct.list_collections()}
