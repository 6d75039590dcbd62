"""Hybrid retrieval over the seeded store, and filters and duplicates on small stores."""

from datetime import date

import pytest

from qa.errors import EmptyStore
from qa.models import Article, Filters
from qa.service import Service, build_service
from qa.similarity import normalized
from tests.helpers import FLOODS


def test_finds_the_passage_by_keywords_and_by_meaning(seeded: Service) -> None:
    top = seeded.search("propaganda stunt", k=3)
    assert "propaganda stunt" in top[0].text
    meaning = seeded.search("Which organisation did Tehran ask to help arrest the president?", k=3)
    assert any("Interpol" in p.text for p in meaning)


def test_passages_are_never_returned_twice(seeded: Service) -> None:
    # seed 003 repeats its opening paragraph (once cut short with "[...]")
    results = seeded.search("Iran has issued an arrest warrant for U.S. President Donald Trump", 10)
    norms = [normalized(p.text) for p in results]
    for i, a in enumerate(norms):
        assert not any(a in b for j, b in enumerate(norms) if i != j)
    assert len({p.chunk_id for p in results}) == len(results)


def test_offsets_hold_for_every_result(seeded: Service) -> None:
    for p in seeded.search("Soleimani Quds Force drone strike", 10):
        assert seeded.document(p.document_id).text[p.start : p.end] == p.text


def test_empty_store_says_to_ingest(service: Service) -> None:
    with pytest.raises(EmptyStore, match="qa ingest"):
        service.search("anything")


def test_exact_duplicate_articles_collapse(service: Service) -> None:
    text = "The mayor of Springfield opened a new bridge on Monday. It cost 40 million dollars."
    service.ingest(
        [
            Article(title="Bridge", text=text, source="Daily"),
            Article(title="Bridge (copy)", text=text, source="Weekly"),
        ]
    )
    results = service.search("How much did the bridge cost?", k=5)
    assert len(results) == 1


def test_filters_by_source_document_and_date(service: Service) -> None:
    service.ingest(FLOODS)
    assert {p.source for p in service.search("floods", 5, Filters(source="Weekly"))} == {"Weekly"}
    after = service.search("floods", 5, Filters(published_after=date(2022, 6, 1)))
    assert [p.title for p in after] == ["B"]
    before = service.search("floods", 5, Filters(published_before=date(2022, 6, 1)))
    assert [p.title for p in before] == ["A"]
    doc_a = next(d for d in service.documents() if d.title == "A")
    assert [p.title for p in service.search("floods", 5, Filters(document_id=doc_a.id))] == ["A"]


def test_a_write_by_another_process_is_seen(service: Service, embedder: object) -> None:
    service.ingest([Article(title="One", text="Zebras crossed the road in Nairobi.")])
    assert service.search("zebras", 5)
    other = build_service(service.settings, service.embedder)  # a second worker
    other.ingest([Article(title="Two", text="Giraffes crossed the road in Nairobi too.")])
    assert any(p.title == "Two" for p in service.search("giraffes", 5))
    other.delete(next(d.id for d in other.documents() if d.title == "One"))
    assert all(p.title != "One" for p in service.search("zebras", 5))
