"""The keyword index: built once per revision of the store, saved beside it, and
memory-mapped by every other process instead of built again."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from qa.embeddings import Embedder
from qa.keywords import KeywordIndex, Keywords
from qa.models import Article, Filters
from qa.service import Service, build_service
from qa.settings import Settings
from tests.helpers import FLOODS


def revisions(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_second_process_maps_the_saved_index_instead_of_building(
    service: Service, settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.ingest([Article(title="Bridge", text="The mayor opened a bridge over the river.")])
    first = service.retriever.keywords.current()
    folder = settings.keyword_folder
    assert revisions(folder) == {first.revision}

    def no_build(*args: object) -> KeywordIndex:
        raise AssertionError("built again")

    monkeypatch.setattr(KeywordIndex, "build", no_build)
    other = build_service(settings, embedder)  # as another worker would start
    index = other.retriever.keywords.current()
    assert index.revision == first.revision
    assert isinstance(index.chunk_ids, np.memmap) and isinstance(index.document_ids, np.memmap)
    assert other.search("bridge river", k=1)[0].title == "Bridge"


def test_a_write_makes_a_new_index_and_the_old_one_goes(service: Service) -> None:
    service.ingest([Article(title="Bridge", text="The mayor opened a bridge over the river.")])
    old = service.retriever.keywords.current().revision
    service.ingest([Article(title="Tunnel", text="Engineers dug a tunnel under the harbour.")])
    assert service.search("tunnel harbour", k=1)[0].title == "Tunnel"
    new = service.retriever.keywords.current().revision
    assert new != old and revisions(service.settings.keyword_folder) == {new}


def test_a_half_written_index_is_never_loaded(service: Service, settings: Settings) -> None:
    """What a killed builder left (a folder aside, never renamed) is not an index."""
    service.ingest([Article(title="Bridge", text="The mayor opened a bridge over the river.")])
    revision = service.store.revision()
    aside = settings.keyword_folder / ".building-killed"
    aside.mkdir(parents=True)
    (aside / "chunk_ids.npy").write_bytes(b"\x93NUMPY half")
    assert KeywordIndex.load(settings.keyword_folder, revision) is None
    assert service.search("bridge", k=1)[0].title == "Bridge"
    assert revisions(settings.keyword_folder) == {revision, ".building-killed"}


@pytest.mark.parametrize(
    ("filters", "titles"),
    [
        (None, {"A", "B", "C"}),
        (Filters(source="Weekly"), {"B"}),
        (Filters(published_after=date(2022, 6, 1)), {"B"}),
        (Filters(published_before=date(2022, 6, 1)), {"A"}),
        (Filters(source="Daily", published_after=date(2022, 6, 1)), set()),
        (Filters(document_id=FLOODS[2].id), {"C"}),
    ],
)
def test_the_keyword_side_filters_from_the_mapped_metadata(
    service: Service, filters: Filters | None, titles: set[str]
) -> None:
    service.ingest(FLOODS)
    service.retriever.keywords.current()  # built and saved
    index = Keywords(service.store, service.settings.keyword_folder).current()  # mapped
    assert isinstance(index.sources, np.memmap)
    chunks = service.store.chunks_by_id(index.search("floods valley", 10, filters))
    documents = service.store.documents_by_id([c.document_id for c in chunks.values()])
    assert {d.title for d in documents.values()} == titles
