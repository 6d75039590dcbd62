"""The library over HTTP: ``GET /documents`` in pages (offset, limit, a title search, the
totals), kept up to date after writes through any app on the same store, the outlets of
``GET /sources``, and near-copies named by their original's title."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.encoders.embeddings import Embedder
from qa.models import Article
from qa.service import build_service
from qa.settings import Settings
from qa.store import Catalog
from tests.articles import original_and_copy
from tests.helpers import app_client

OUTLETS = ["Daily", "weekly", "Wire"]
# titles whose order by case-folded title differs from their order by plain text
ARTICLES = [
    Article(
        title=f"{'abcdefghij'[i % 10]}{'XYZ'[i % 3]} report {i:03d}",
        text=f"Report {i} says the ferry number {i} ran {i % 7} minutes late on pier {i}.",
        source=OUTLETS[i % 3],
    )
    for i in range(130)
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    folder = tmp_path_factory.mktemp("library") / "store"
    service = build_service(Settings(vectorstore_dir=folder), embedder)
    service.ingest(ARTICLES)
    original, copy = original_and_copy()  # the same wire story, edited by another outlet
    service.ingest([original])
    service.ingest([copy])
    return folder


@pytest.fixture
def client(store: Path, embedder: Embedder) -> Iterator[Any]:
    with app_client(store, embedder) as started:
        yield started


def pages(client: Any, **query: Any) -> list[dict[str, Any]]:
    """Every page from offset 0, following ``next_offset``."""
    got, offset = [], 0
    while offset is not None:
        got.append(client.get("/documents", params={**query, "offset": offset}).json())
        offset = got[-1]["next_offset"]
    return got


def test_pages_list_every_article_once_by_title(client: Any) -> None:
    got = pages(client, limit=50)
    listed = [d for page in got for d in page["documents"]]
    assert [len(p["documents"]) for p in got] == [50, 50, 32]
    assert [p["offset"] for p in got] == [0, 50, 100]
    assert {p["total"] for p in got} == {p["stored"] for p in got} == {132}
    keys = [(d["title"].casefold(), d["id"]) for d in listed]
    assert keys == sorted(keys) and len(set(keys)) == 132
    assert "text" not in listed[0]
    assert len(client.get("/documents").json()["documents"]) == 100  # the default page


def test_a_title_search_pages_its_own_matches(client: Any) -> None:
    got = pages(client, q="  X   REPORT ", limit=20)  # any case, spaces as one
    matches = [d["title"] for page in got for d in page["documents"]]
    held = [a.title for a in ARTICLES if "x report" in a.title.lower()]
    expected = sorted(held, key=str.casefold)
    assert matches == expected and len(matches) == 44 and len(got) == 3
    assert {(p["total"], p["stored"]) for p in got} == {(44, 132)}
    none = client.get("/documents", params={"q": "no such title"}).json()
    assert none["documents"] == [] and none["total"] == 0 and none["next_offset"] is None


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "ten"}, {"q": "x" * 201}],
)
def test_a_bad_page_is_refused_clearly(client: Any, query: dict[str, Any]) -> None:
    refused = client.get("/documents", params=query)
    assert refused.status_code == 422, refused.text
    assert next(iter(query)) in refused.text


def test_past_the_end_is_an_empty_page(client: Any) -> None:
    past = client.get("/documents", params={"offset": 500}).json()
    assert past["documents"] == [] and past["total"] == 132 and past["next_offset"] is None


def test_a_near_copy_is_listed_with_its_originals_title(client: Any) -> None:
    found = client.get("/documents", params={"q": "trump"}).json()["documents"]
    copy = next(d for d in found if d["near_duplicate_of"])
    original = next(d for d in found if d["id"] == copy["near_duplicate_of"])
    assert copy["near_duplicate_title"] == original["title"]


def test_sources_count_each_outlet(client: Any) -> None:
    sources = client.get("/sources").json()["sources"]
    assert [(s["name"], s["documents"]) for s in sources] == [
        ("Daily", 44), ("Daily Planet", 1), ("Gulf Wire", 1), ("weekly", 43), ("Wire", 43),
    ]  # fmt: skip


def test_a_write_through_another_app_shows_on_the_next_page(
    tmp_path: Path, embedder: Embedder
) -> None:
    store = tmp_path / "store"
    build_service(Settings(vectorstore_dir=store), embedder).ingest(ARTICLES[:3])
    with app_client(store, embedder) as reader, app_client(store, embedder) as writer:
        assert reader.get("/documents").json()["total"] == 3
        article = {"title": "Aardvark news", "text": "An aardvark was seen at the zoo."}
        added = writer.post("/documents", json=article).json()["document_ids"][0]
        first = reader.get("/documents", params={"limit": 1}).json()
        assert first["documents"][0]["id"] == added and first["total"] == 4
        assert writer.delete(f"/documents/{added}").status_code == 204
        assert added not in {d["id"] for d in reader.get("/documents").json()["documents"]}
        assert reader.get("/documents").json()["total"] == 3


def test_a_listing_kept_up_by_the_log_is_the_listing_read_anew(
    tmp_path: Path, embedder: Embedder
) -> None:
    """Adds, an edited article (its old version replaced) and a delete, taken in from the
    store's log by a catalog that listed before them: the same as one that reads it all."""
    service = build_service(Settings(vectorstore_dir=tmp_path / "store"), embedder)
    service.ingest(ARTICLES[:20])
    following = Catalog(service.store)
    assert following.page(limit=1000).total == 20
    first = Article(title="Ferry timetable", text="Ferries run hourly.", url="https://x/1")
    edited = first.model_copy(update={"text": "Ferries run every two hours."})
    service.ingest([first, *ARTICLES[20:25]])
    service.ingest([edited])
    service.delete(ARTICLES[7].id)
    kept, fresh = following.page(limit=1000), Catalog(service.store).page(limit=1000)
    assert [d.id for d in kept.documents] == [d.id for d in fresh.documents]
    ids = {d.id for d in kept.documents}
    assert kept.total == 25 and edited.id in ids and first.id not in ids
