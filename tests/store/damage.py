"""What an interrupted write leaves in a store, made on purpose, and ``qa doctor`` run
over it: shared by the doctor's tests here and in server mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.models import Article
from qa.service import Service
from qa.settings import get_settings
from qa.store.client import Guarded
from tests.conftest import SEEDS

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

    service.ingest_paths([SEEDS])  # re-ingest
    service.ingest([INTERRUPTED])
    again = doctor(env)
    assert again.exit_code == 0 and "ok: 3 document(s)" in again.output, again.output
    assert {a.id for a in service.documents()} >= {orphaned, incomplete}
