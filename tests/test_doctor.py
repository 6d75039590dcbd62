"""``qa doctor``: finds what an interrupted write left (chunks without their document
record, a document whose chunks are missing) and, with ``--fix``, removes it; the keyword
index, built as a server builds it, then agrees with the documents again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.encoders.embeddings import Embedder
from qa.models import Article
from qa.service import Service, build_service
from qa.settings import Settings, get_settings
from qa.store.client import Guarded
from tests.helpers import copy_store

T = TypeVar("T")
INTERRUPTED = Article(
    title="Ferry strike",
    text="The ferry crews went on strike on Monday. No boats left the harbour all day.",
    source="Harbour Post",
)


class Killed:
    """A collection whose process is killed when it writes (between the chunks and the
    document record, for the documents collection)."""

    def __init__(self, collection: Any):
        self.collection = collection

    def upsert(self, **_: Any) -> None:
        raise RuntimeError("killed before the document record was written")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.collection, name)


class CrashOnCommit(Guarded):
    def __init__(self, docs: Guarded):
        self.docs = docs

    def __call__(self, operation: Callable[[Any], T]) -> T:
        return self.docs(lambda collection: operation(Killed(collection)))


def damage(service: Service) -> tuple[str, str]:
    """An interrupted ingest and a document that lost a chunk: (orphaned id, incomplete id)."""
    store = service.store
    committed = store.docs
    store.docs = CrashOnCommit(committed)
    with pytest.raises(RuntimeError, match="killed"):
        service.ingest([INTERRUPTED])
    store.docs = committed
    victim = store.documents()[0]
    service.retriever.keywords.current()  # saved, as a server would have, before the loss
    chunk_ids = [c.id for c, _ in store.all_chunks() if c.document_id == victim.id]
    store.chunks(lambda c: c.delete(ids=chunk_ids[:1]))
    return INTERRUPTED.id, victim.id


def doctor_runner(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``run(env, *args)``: ``qa doctor`` with these ``QA_*`` variables (the caller clears
    the settings cache once done)."""

    def run(env: dict[str, str], *args: str) -> Any:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return CliRunner().invoke(app, ["doctor", *args])

    return run


@pytest.fixture
def doctor(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield doctor_runner(monkeypatch)
    get_settings.cache_clear()


def check_doctor_repairs(doctor: Any, env: dict[str, str], service: Service) -> None:
    orphaned, incomplete = damage(service)
    assert orphaned not in {d.id for d in service.documents()}  # never visible
    left = len(service.store.chunks(lambda c: c.get(where={"document_id": orphaned}))["ids"])
    assert left > 0
    found = doctor(env)
    assert found.exit_code == 1, found.output
    assert f"found {left} orphaned chunk(s) of {orphaned}" in found.output
    assert f"found incomplete document {incomplete}" in found.output
    assert f"keyword index: {incomplete} has 1 passage(s) not in the store" in found.output
    assert "qa doctor --fix" in found.output

    fixed = doctor(env, "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert f"removed {left} orphaned chunk(s) of {orphaned}" in fixed.output
    assert f"removed incomplete document {incomplete}" in fixed.output
    assert "ok: 1 document(s)" in fixed.output and "keyword index consistent" in fixed.output
    assert service.store.chunks(lambda c: c.get(where={"document_id": orphaned}))["ids"] == []

    service.ingest_paths([Path(__file__).resolve().parent.parent / "seeds"])  # re-ingest
    service.ingest([INTERRUPTED])
    again = doctor(env)
    assert again.exit_code == 0 and "ok: 3 document(s)" in again.output, again.output
    assert {a.id for a in service.documents()} >= {orphaned, incomplete}


def test_doctor_finds_and_fixes_an_interrupted_ingest(
    doctor: Any, tmp_path: Path, seeded_dir: Path, embedder: Embedder
) -> None:
    store = copy_store(seeded_dir, tmp_path / "store")
    service = build_service(Settings(vectorstore_dir=store), embedder)
    check_doctor_repairs(doctor, {"QA_VECTORSTORE_DIR": str(store)}, service)


def test_doctor_on_a_healthy_store_and_an_unreachable_one(
    doctor: Any, seeded_dir: Path, tmp_path: Path
) -> None:
    healthy = doctor({"QA_VECTORSTORE_DIR": str(copy_store(seeded_dir, tmp_path / "s"))})
    assert healthy.exit_code == 0 and "ok: 2 document(s)" in healthy.output, healthy.output
    away = doctor({"QA_CHROMA_URL": "http://127.0.0.1:9"})
    assert away.exit_code == 1 and "unavailable" in away.output
