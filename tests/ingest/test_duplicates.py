"""Near-copies: a seed story republished by another outlet with small edits is stored as
its near-copy, shown once in retrieval and cited with both outlets; two articles that
share only a quotation are not near-copies."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.ingest.duplicates import Fingerprint
from qa.ingest.writer import BATCH
from qa.models import Article, Question
from qa.service import Service, build_service
from qa.settings import Settings
from qa.similarity import resemblance
from qa.store.upkeep import check, repair
from tests.articles import QUOTE, WIRE, original_and_copy, republished


def quotation_pair() -> list[Article]:
    return [
        Article(
            title="Hook visits Riyadh",
            source="Daily Planet",
            text="The U.S. envoy Brian Hook met Saudi ministers in Riyadh on Monday to discuss "
            "an arms embargo on Iran that expires in October. " + QUOTE + " He asked the "
            "Security Council to extend the embargo before the deadline.",
        ),
        Article(
            title="Week in quotes",
            source="Gulf Wire",
            text="Quote of the week came from the State Department. " + QUOTE + " Elsewhere, "
            "a football coach said his team had played its best match in years, and a "
            "minister promised lower bread prices by spring.",
        ),
    ]


def test_the_edited_wire_copy_is_alike_and_the_quotation_pair_is_not() -> None:
    a, b = (Fingerprint.of(x.text, 0.7) for x in original_and_copy())
    assert a.similarity(b) >= 0.7 and a.shares_band(b)
    p, q = (Fingerprint.of(x.text, 0.7) for x in quotation_pair())
    assert p.similarity(q) < 0.3 and resemblance(*(x.text for x in quotation_pair())) < 0.3


def test_a_republished_story_is_stored_as_a_near_copy(service: Service) -> None:
    first = service.ingest([original_and_copy()[0]])
    assert first.near_copies == []
    report = service.ingest([original_and_copy()[1]])
    original, copy = first.document_ids[0], report.document_ids[0]
    assert report.near_copies == [("Tehran wants Trump held", copy, original)]
    assert "near-copies 1" in report.summary() and f"of {original}" in report.summary()
    assert service.document(copy).near_duplicate_of == original
    assert service.document(original).near_duplicate_of is None


def test_within_one_batch_and_a_copy_of_a_copy_points_at_the_original(service: Service) -> None:
    original, copy = original_and_copy()
    again = Article(title="Third outlet", text=republished(WIRE) + " (AP)", source="Third")
    report = service.ingest([original, copy, again])
    assert [(t, o) for t, _, o in report.near_copies] == [
        ("Tehran wants Trump held", original.id),
        ("Third outlet", original.id),
    ]


@pytest.mark.parametrize("gap", [BATCH - 1, BATCH * 2], ids=["next batch", "two batches on"])
def test_across_the_batches_of_one_run_copies_and_repeats_are_seen(
    service: Service, gap: int
) -> None:
    """The ingest pipeline chunks and embeds later batches while earlier ones are written,
    and reads the store for a batch as soon as the one before it is written: a near-copy in
    the batch right after its original's or two batches on, and a repeat, still count."""
    original, copy = original_and_copy()
    fillers = [
        Article(title=f"Filler {n}", text=" ".join(f"word{n}x{i}" for i in range(12)) + ".")
        for n in range(gap)
    ]
    articles = [original, *fillers, copy, original]  # the copy opens a later batch
    report = service.ingest(articles)
    assert [(t, o) for t, _, o in report.near_copies] == [("Tehran wants Trump held", original.id)]
    assert report.unchanged == [original.title] and len(report.added) == len(articles) - 1
    assert report.document_ids == [a.id for a in articles]
    assert service.store.counts()[0] == len(articles) - 1


def test_sharing_a_quotation_is_not_a_near_copy(service: Service) -> None:
    report = service.ingest(quotation_pair())
    assert report.near_copies == [] and len(report.added) == 2
    results = service.search("Brian Hook propaganda stunt no one takes seriously", 5)
    assert {r.title for r in results} == {"Hook visits Riyadh", "Week in quotes"}
    assert all(r.copies == [] for r in results)


def test_a_changed_article_is_not_a_near_copy_of_its_own_old_version(service: Service) -> None:
    old = Article(title="Story", text=WIRE, url="https://example.org/story")
    service.ingest([old])
    report = service.ingest([Article(title="Story", text=WIRE + " Updated.", url=old.url)])
    assert report.replaced == ["Story"] and report.near_copies == []


def test_a_copy_of_a_replaced_article_points_at_its_new_version(service: Service) -> None:
    old = Article(title="Story", text=WIRE, url="https://example.org/story")
    service.ingest([old])
    new = Article(title="Story", text=WIRE + " Updated.", url=old.url)
    service.ingest([new])  # the old version's band keys are gone with it
    report = service.ingest([Article(title="Copy", text=republished(WIRE) + " Updated.")])
    assert [(t, o) for t, _, o in report.near_copies] == [("Copy", new.id)]


@pytest.mark.parametrize("layout", ["fingerprints", "bands"])
def test_band_keys_kept_apart_are_moved_by_the_doctor(service: Service, layout: str) -> None:
    """Stores before kept band keys apart from the documents: by document id in
    ``-fingerprints``, then a record per key in ``-bands``."""
    original, copy = original_and_copy()
    service.ingest([original])
    store = service.store
    bands = Fingerprint.of(original.text, 0.7).bands
    store.docs(lambda c: c.update(ids=[original.id], metadatas=[dict.fromkeys(bands)]))
    name = f"{service.settings.collection}-{layout}"
    old = store.client.get_or_create_collection(name, embedding_function=None)
    if layout == "fingerprints":  # "gone": a deleted article's
        old.upsert(
            ids=[original.id, "gone"], embeddings=np.ones((2, 1), np.float32), metadatas=[bands] * 2
        )
    else:
        keys = [f"{k}={v}" for k, v in bands.items()]
        old.upsert(
            ids=keys,
            embeddings=np.ones((len(keys), 1), np.float32),
            metadatas=[{"document_id": original.id}] * len(keys),
        )
    assert service.ingest([copy]).near_copies == []  # not found until moved
    service.store.delete(copy.id)
    count = 2 if layout == "fingerprints" else 1
    assert check(store).lines() == [f"found {count} fingerprint(s) kept the old way"]
    assert repair(store) == [f"moved {count} fingerprint(s) kept the old way"]
    assert check(store).lines() == []
    assert name not in {c.name for c in store.client.list_collections()}
    report = service.ingest([copy])
    assert [(t, o) for t, _, o in report.near_copies] == [(copy.title, original.id)]


def test_retrieval_shows_the_story_once_and_the_answer_cites_both_outlets(
    service: Service,
) -> None:
    service.ingest(original_and_copy())
    results = service.search("Who announced that Trump faces murder and terrorism charges?", 3)
    top = results[0]
    assert {top.source, *(c.source for c in top.copies)} == {"Daily Planet", "Gulf Wire"}
    # every passage once: as a result or as one of a result's copies, never both
    shown = [p.chunk_id for r in results for p in (r, *r.copies)]
    assert len(shown) == len(set(shown))
    answer = service.chain.invoke(
        Question(text="Who announced that Trump faces murder and terrorism charges?")
    )
    assert answer.answered and answer.short_answer and "Algasimehr" in answer.short_answer
    cited = {c.source for c in answer.citations}
    assert cited == {"Daily Planet", "Gulf Wire"}
    assert "[1][2]" in answer.answer
    for c in answer.citations:
        text = service.document(c.document_id).text
        assert text[c.start : c.end] == c.quote
        assert c.answer_start is not None and c.answer_end is not None
        assert text[c.answer_start : c.answer_end] == answer.short_answer


def test_the_api_reports_near_copies(settings: Settings, embedder: Embedder) -> None:
    with TestClient(create_app(settings, service=build_service(settings, embedder))) as client:
        original, copy = (a.model_dump(mode="json", exclude_none=True) for a in original_and_copy())
        first = client.post("/documents", json=original).json()
        added = client.post("/documents", json=copy)
        assert added.status_code == 201, added.text
        (copy_id,) = added.json()["document_ids"]
        assert added.json()["near_copies"] == [
            {
                "document_id": copy_id,
                "title": "Tehran wants Trump held",
                "near_duplicate_of": first["document_ids"][0],
            }
        ]
        detail = client.get(f"/documents/{copy_id}").json()
        assert detail["near_duplicate_of"] == first["document_ids"][0]
        listed = {
            d["id"]: d["near_duplicate_of"] for d in client.get("/documents").json()["documents"]
        }
        assert listed == {first["document_ids"][0]: None, copy_id: first["document_ids"][0]}
