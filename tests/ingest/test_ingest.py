"""Ingest against a real Chroma in a temporary directory with the real model."""

from pathlib import Path

import chromadb
import pytest

from qa.encoders.embeddings import Embedder
from qa.errors import InvalidInput, TooLarge, UnsupportedType
from qa.ingest.readers import parse
from qa.service import Service, build_service
from qa.settings import Settings
from qa.store.client import SAVE_CHUNKS_EVERY, SAVE_EVERY
from tests.conftest import SEEDS
from tests.helpers import BAD_FILES

ARTICLE = "Alpha Corp opened a plant in Lyon. The plant employs 300 people. It opened in May."


def test_seeds_ingest_idempotently(service: Service) -> None:
    first = service.ingest_paths([SEEDS])
    assert len(first.added) == 2 and not first.rejected
    docs, chunks = service.store.counts()
    again = service.ingest_paths([SEEDS])
    assert len(again.unchanged) == 2 and not again.added
    assert service.store.counts() == (docs, chunks)


def test_seed_metadata_and_full_text_are_kept(service: Service) -> None:
    service.ingest_paths([SEEDS])
    docs = {d.title: d for d in service.documents()}
    doc = docs["Iran Asks Interpol for Help in Arresting Donald Trump"]
    assert doc.language == "en"
    # kept verbatim: the seed file's body, after its front matter
    seed = (SEEDS / "003_3143e0bdbba5e541.md").read_text()
    assert doc.text == seed.split("\n---\n", 1)[1]
    for chunk, _ in service.store.all_chunks():
        assert service.document(chunk.document_id).text[chunk.start : chunk.end] == chunk.text
    listed = service.documents(text=False)  # a listing reads no texts, all else the same
    assert [d.model_dump(exclude={"text"}) for d in listed] == [
        d.model_dump(exclude={"text"}) for d in service.documents()
    ]
    assert all(d.text == "" for d in listed)


def test_changed_file_replaces_its_chunks(service: Service, tmp_path: Path) -> None:
    path = tmp_path / "plant.md"
    path.write_text(f"---\ntitle: Plant\nsource: Gazette\n---\n{ARTICLE}")
    service.ingest_paths([path])
    old = service.documents()[0]
    path.write_text(f"---\ntitle: Plant\nsource: Gazette\n---\n{ARTICLE} It closed in June.")
    report = service.ingest_paths([path])
    assert report.replaced == ["Plant"]
    (new,) = service.documents()
    assert new.id != old.id and "June" in new.text
    assert {c.document_id for c, _ in service.store.all_chunks()} == {new.id}
    assert service.store.counts() == (1, new.chunks)


def test_bad_files_are_reported_and_the_rest_goes_on(service: Service, tmp_path: Path) -> None:
    folder = tmp_path / "in"  # the store is in tmp_path
    folder.mkdir()
    for name, (raw, _) in BAD_FILES.items():
        (folder / name).write_bytes(raw)
    (folder / "huge.txt").write_text("word " * 1_100_000)
    (folder / "good.txt").write_text(ARTICLE)
    (folder / "good.md").write_text(f"---\ntitle: Good\npublished: 2024-02-29\n---\n{ARTICLE}!")
    report = service.ingest_paths([folder])
    reasons = {Path(where).name: why for where, why in report.rejected}
    for name, (_, word) in BAD_FILES.items():
        assert word.lower() in reasons.pop(name).lower(), name
    assert "limit" in reasons.pop("huge.txt")
    assert reasons == {}
    assert len(report.added) == 2  # good.txt and good.md; a bad .jsonl is rejected whole
    assert service.store.counts()[0] == 2


def test_parse_formats() -> None:
    md = parse("a.md", b"---\ntitle: T\npublished: 2020-06-30\nsource: S\n---\nBody text.", 100)
    assert (md[0].title, str(md[0].published), md[0].source, md[0].text) == (
        "T",
        "2020-06-30",
        "S",
        "Body text.",
    )
    html = (
        b"<html><head><title>Big news</title><meta property='og:site_name' content='Planet'>"
        b"</head><body><article><h1>Big news</h1><p>First paragraph of the article is long "
        b"enough to keep, surely it is.</p><p>Second &lt;script&gt; paragraph.</p></article>"
        b"</body></html>"
    )
    (page,) = parse("p.html", html, 10_000)
    assert page.title == "Big news" and page.source == "Planet" and "<script>" in page.text
    rows = parse(
        "x.jsonl",
        b'{"title":"A","text":"One.","url":"http://a"}\n\n{"title":"B","text":"Two."}',
        999,
    )
    assert [r.title for r in rows] == ["A", "B"] and rows[0].key == "http://a"
    with pytest.raises(UnsupportedType):
        parse("x.pdf", b"%PDF", 100)
    with pytest.raises(TooLarge):
        parse("x.txt", b"a" * 101, 100)
    with pytest.raises(InvalidInput):
        parse("x.jsonl", b'{"title": "no text"}', 100)


def test_every_write_changes_the_revision_and_reads_do_not(service: Service) -> None:
    store = service.store
    empty = store.revision()
    report = service.ingest_paths([SEEDS])
    first, second = report.document_ids
    written = store.revision()
    assert written != empty and store.revision() == written  # reading changes nothing
    assert store.existing([first, "unknown", first]) == {first}
    assert store.existing([]) == set()
    service.delete(first)
    deleted = store.revision()
    assert deleted != written and store.existing([first, second]) == {second}
    service.ingest_paths([SEEDS])  # re-adds the deleted one
    assert store.revision() != deleted and store.existing([first, second]) == {first, second}


@pytest.mark.parametrize("made_before", [False, True])
def test_the_store_saves_its_vector_indexes_often(
    made_before: bool, settings: Settings, embedder: Embedder
) -> None:
    """Chroma's default (a save every 1,000 records) makes each write cost more the more
    records came since the last save; a store made so before is set to save more often."""
    names = [f"{settings.collection}-{n}" for n in ("chunks", "documents", "meta")]
    if made_before:
        client = chromadb.PersistentClient(path=str(settings.vectorstore_dir))
        for name in names:
            client.create_collection(name, embedding_function=None)
    service = build_service(settings, embedder)
    intervals = {
        c.name: c.configuration_json["hnsw"]["sync_threshold"]
        for c in service.store.client.list_collections()
    }
    assert intervals == dict(zip(names, [SAVE_CHUNKS_EVERY, SAVE_EVERY, SAVE_EVERY], strict=True))
    service.ingest_paths([SEEDS])
    assert service.store.counts()[0] == 2 and service.search("Soleimani", 3)
