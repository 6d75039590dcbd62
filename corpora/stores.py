"""The stores the benchmarks and the recipes ask their questions of: our service's
(``Service.ingest``) over a dataset's articles, cached under ``.cache/bench-<dataset>-<key>``
between runs.

The key hashes the articles (every field), the chunking settings and the model (and the
naive LangChain baseline's split, which ``bench.stores`` keeps beside ours), so a change to
any of them builds new stores. Ours is re-ingested on every run (idempotent: unchanged
articles are skipped; an interrupted run is finished).
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from corpora.datasets import ROOT, Dataset
from qa.encoders import Embedder
from qa.service import build_service
from qa.settings import Settings
from qa.store import repair

CACHE = ROOT / ".cache"
LC_CHUNK, LC_OVERLAP = 1000, 200  # the naive LangChain baseline's split (bench.stores)
FORMAT = "bench-1"  # bump when the way stores are built changes


@dataclass
class Built:
    """A store ready for questions, and what building it took."""

    documents: int
    chunks: int
    seconds: float
    built_now: int  # articles (ours) or chunks (LangChain) written in this run


def corpus_key(dataset: Dataset, settings: Settings) -> str:
    digest = hashlib.sha256(FORMAT.encode())
    for article in dataset.articles:
        digest.update(article.model_dump_json().encode())
    knobs = (
        settings.chunk_max_chars,
        settings.chunk_overlap_sentences,
        settings.embedding_model,
        settings.embedding_backend,
    )
    digest.update(repr((knobs, LC_CHUNK, LC_OVERLAP)).encode())
    return digest.hexdigest()[:12]


def store_dir(dataset: Dataset, fresh: bool) -> Path:
    """The cache folder for this dataset and settings, or a new temporary one."""
    if fresh:
        return Path(tempfile.mkdtemp(prefix=f"bench-{dataset.name}-"))
    return CACHE / f"bench-{dataset.name}-{corpus_key(dataset, Settings())}"


def settings_for(directory: Path, name: str) -> Settings:
    """Our service's settings (defaults and ``QA_*``) over the benchmark's own store, with
    the offline extractive answerer (the BM25 baseline shares it)."""
    return Settings(
        vectorstore_dir=directory / "qa",
        collection=f"bench-{name}",
        chroma_url=None,
        answerer="extractive",
    )


def build_ours(dataset: Dataset, directory: Path, embedder: Embedder) -> Built:
    """Every article in our store through ``Service.ingest``."""
    service = build_service(settings_for(directory, dataset.name), embedder)
    started = time.perf_counter()
    repair(service.store)
    report = service.ingest(dataset.articles)
    seconds = time.perf_counter() - started
    documents, chunks = service.store.counts()
    expected = len({a.id for a in dataset.articles})
    if documents != expected:
        raise RuntimeError(f"{dataset.name}: {documents} documents stored, {expected} expected")
    return Built(documents, chunks, round(seconds, 1), len(report.added) + len(report.replaced))
