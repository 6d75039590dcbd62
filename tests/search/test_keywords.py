"""The keyword index: saved beside the store and memory-mapped by every other process
instead of built again; what is written since is read from the store's log (the chunks
added, the documents deleted), not rebuilt; a writer compacts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa.encoders.embeddings import Embedder
from qa.models import Article, Filters
from qa.search import keywords
from qa.search.keyword_index import KeywordIndex
from qa.search.keywords import Keywords
from qa.service import Service, build_service
from qa.settings import Settings
from qa.text import tokenize
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
    base = index.base
    assert isinstance(base.chunk_ids, np.memmap) and isinstance(base.document_ids, np.memmap)
    assert other.search("bridge river", k=1)[0].title == "Bridge"


def no_build(*args: object) -> KeywordIndex:
    raise AssertionError("the archive was indexed again")


def test_a_write_is_searched_at_once_without_indexing_the_archive_again(
    service: Service, settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.ingest([Article(title="Bridge", text="The mayor opened a bridge over the river.")])
    saved = service.retriever.keywords.current().revision
    other = build_service(settings, embedder)  # another worker, mapping the saved index
    assert other.search("bridge river", k=1)[0].title == "Bridge"
    monkeypatch.setattr(KeywordIndex, "build", no_build)

    service.ingest([Article(title="Tunnel", text="Engineers dug a tunnel under the harbour.")])
    for worker in (service, other):
        view = worker.retriever.keywords.current()
        assert len(view.delta) == 1 and len(view) == 2
        assert worker.search("tunnel harbour", k=1)[0].title == "Tunnel"
    bridge = other.search("bridge river", k=1)[0].document_id
    other.delete(bridge)
    for worker in (service, other):
        assert bridge not in worker.retriever.keywords.current().document_ids
        assert all(p.document_id != bridge for p in worker.search("bridge river"))
    assert revisions(settings.keyword_folder) == {saved}


def test_each_added_chunk_is_read_and_tokenised_once(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search after each write reads and tokenises only that write's chunks, not all
    those added since the saved index; a write not yet committed is taken in later."""
    service.ingest(FLOODS[:1])
    service.retriever.keywords.current()  # saved
    read: list[str] = []
    rows = service.store.chunk_rows

    def counted(ids: list[str]) -> Any:
        read.extend(ids)
        return rows(ids)

    monkeypatch.setattr(service.store, "chunk_rows", counted)
    for n, article in enumerate(FLOODS[1:], start=2):
        service.ingest([article])
        assert len(service.retriever.keywords.current()) == n
        assert (
            len(read) == 1 and service.store.chunk_rows([read[0]])[0][2]["title"] == article.title
        )
        read.clear()
    # a write under way: its chunks logged and stored, its document not yet committed
    late = Article(title="Late", text="The harbour froze over in winter.")
    existing = service.store.existing
    monkeypatch.setattr(service.store, "existing", lambda ids: existing(ids) - {late.id})
    service.ingest([late])
    assert len(service.retriever.keywords.current()) == 3
    monkeypatch.setattr(service.store, "existing", existing)
    service.store.touch()  # the next write, by anyone
    assert service.search("harbour froze", k=1)[0].title == "Late"


def test_a_writer_saves_a_new_index_when_much_was_added(
    service: Service, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.ingest(FLOODS[:1])
    first = service.retriever.keywords.current()
    service.ingest(FLOODS[1:])
    assert len(service.retriever.keywords.current(compact=True).delta) == 2  # too few
    monkeypatch.setattr(keywords, "COMPACT_AT", 2)
    view = service.retriever.keywords.current(compact=True)
    assert view.base.name == view.revision != first.revision and not len(view.delta)
    assert revisions(settings.keyword_folder) == {view.revision}
    # the log records it took in are not read again
    assert set(view.base.writes.tolist()) == set(service.store.log())
    assert len(Keywords(service.store, settings.keyword_folder).current()) == 3


def test_a_write_committed_while_the_index_was_built_is_taken_in_later(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write logged before a compaction read the log, but committed after it read the
    chunks, is not lost: the new saved index does not count its log record as taken in."""
    service.ingest(FLOODS)
    late = Article(title="Late", text="The harbour froze over in winter.")
    service.ingest([late])
    document_ids = service.store.document_ids
    monkeypatch.setattr(  # as the builder saw the store: Late logged, not yet committed
        service.store, "document_ids", lambda: [i for i in document_ids() if i != late.id]
    )
    monkeypatch.setattr(keywords, "COMPACT_AT", 1)
    view = service.retriever.keywords.current(compact=True)
    assert view.base.name == view.revision and late.id not in view.base.documents
    monkeypatch.setattr(service.store, "document_ids", document_ids)
    service.store.touch()  # the next write, by anyone
    assert service.search("harbour froze", k=1)[0].title == "Late"


@pytest.mark.parametrize(
    "query", ["floods valley spring", "autumn floods", "valley undated", "spring autumn"]
)
def test_the_chunks_added_since_score_as_if_indexed_with_the_rest(
    service: Service, query: str
) -> None:
    """Scored with the saved index's statistics and their own: the scores of a full
    rebuild, and the same chunks found (the saved chunks keep the scores of their own build
    until a writer compacts: an added chunk can outrank one it would tie with)."""
    service.ingest_paths([service.settings.default_ingest_path])
    service.ingest(FLOODS[:1])
    service.retriever.keywords.current()
    service.ingest(FLOODS[1:])
    view = service.retriever.keywords.current()
    rebuilt = KeywordIndex.build(service.store.chunk_pages(), "all")
    terms = tokenize([query])[0]
    full = rebuilt.search(terms, 10)
    assert set(view.search(query, 10)) == {i for i, _ in full}
    mine = dict(view.delta.search(terms, 10))
    assert mine == pytest.approx({i: s for i, s in full if i in mine}, rel=1e-5)


def test_a_half_written_index_is_never_loaded(service: Service, settings: Settings) -> None:
    """What a killed builder left (a folder aside, never renamed) is not an index."""
    service.ingest([Article(title="Bridge", text="The mayor opened a bridge over the river.")])
    revision = service.store.revision()
    aside = settings.keyword_folder / ".building-killed"
    aside.mkdir(parents=True)
    (aside / "chunk_ids.npy").write_bytes(b"\x93NUMPY half")
    assert KeywordIndex.load(settings.keyword_folder / revision) is None
    assert service.search("bridge", k=1)[0].title == "Bridge"
    assert revisions(settings.keyword_folder) == {revision, ".building-killed"}


@pytest.mark.parametrize("saved", [3, 1], ids=["all saved", "two added since"])
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
    service: Service, filters: Filters | None, titles: set[str], saved: int
) -> None:
    service.ingest(FLOODS[:saved])
    service.retriever.keywords.current()  # built and saved
    service.ingest(FLOODS[saved:])
    index = Keywords(service.store, service.settings.keyword_folder).current()  # mapped
    assert isinstance(index.base.sources, np.memmap) and len(index.delta) == 3 - saved
    chunks = service.store.chunks_by_id(index.search("floods valley", 10, filters))
    documents = service.store.documents_by_id([c.document_id for c in chunks.values()])
    assert {d.title for d in documents.values()} == titles
