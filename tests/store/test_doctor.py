"""``qa doctor``: finds what an interrupted write left (chunks without their document
record, a document whose chunks are missing) and, with ``--fix``, removes it; the keyword
index, built as a server builds it, then agrees with the documents again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.encoders.embeddings import Embedder
from qa.service import build_service
from qa.settings import Settings
from tests.helpers import copy_store
from tests.store.damage import check_doctor_repairs


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
