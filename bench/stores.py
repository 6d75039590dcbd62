"""The benchmark's own stores, apart from the service's: ours (``Service.ingest``) and the
naive LangChain one, cached under ``.cache/bench-<dataset>-<key>`` between runs.

The key hashes the articles (every field), the chunking settings and the model, so a
change to any of them builds new stores. Ours is re-ingested on every run (idempotent:
unchanged articles are skipped; an interrupted run is finished); the LangChain collection
is rebuilt unless it holds exactly the expected chunks.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import chromadb
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings

from bench.data import ROOT, Dataset
from qa.encoders.embeddings import Embedder
from qa.models import content_id
from qa.service import build_service
from qa.settings import Settings
from qa.store.upkeep import repair

CACHE = ROOT / ".cache"
if TYPE_CHECKING:
    from langchain_chroma import Chroma

LC_CHUNK, LC_OVERLAP, LC_COLLECTION = 1000, 200, "langchain-naive"
FORMAT = "bench-1"  # bump when the way stores are built changes
LC_BATCH = 256


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


def langchain_documents(dataset: Dataset) -> list[LCDocument]:
    """The tutorial's split: RecursiveCharacterTextSplitter(1000, 200), article id kept."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter  # the bench extra

    splitter = RecursiveCharacterTextSplitter(chunk_size=LC_CHUNK, chunk_overlap=LC_OVERLAP)
    texts = [a.text for a in dataset.articles]
    return splitter.create_documents(texts, metadatas=[{"article": a.id} for a in dataset.articles])


class LangChainEmbeddings(Embeddings):
    """Our embedder as LangChain's ``Embeddings``, for the naive pipeline's Chroma."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode_query(text).tolist()


def langchain_store(directory: Path, embedder: Embedder) -> Chroma:
    """The naive pipeline's Chroma collection (in its own folder), queried with ``embedder``."""
    from langchain_chroma import Chroma  # the bench extra

    client = chromadb.PersistentClient(path=str(directory / "langchain"))
    functions = LangChainEmbeddings(embedder)
    return Chroma(collection_name=LC_COLLECTION, embedding_function=functions, client=client)


def build_langchain(dataset: Dataset, directory: Path, embedder: Embedder) -> Built:
    """Split, embed and add every article, unless the collection already holds them all."""
    docs = langchain_documents(dataset)
    ids = [content_id(d.metadata["article"], str(i)) for i, d in enumerate(docs)]
    client = chromadb.PersistentClient(path=str(directory / "langchain"))
    started = time.perf_counter()
    written = 0
    if client.get_or_create_collection(LC_COLLECTION).count() != len(docs):
        client.delete_collection(LC_COLLECTION)
        store = langchain_store(directory, embedder)
        for at in range(0, len(docs), LC_BATCH):
            store.add_documents(docs[at : at + LC_BATCH], ids=ids[at : at + LC_BATCH])
        written = len(docs)
    seconds = round(time.perf_counter() - started, 1)
    return Built(len(dataset.articles), len(docs), seconds, written)


def describe(built: Built) -> dict[str, Any]:
    return {
        "documents": built.documents,
        "chunks": built.chunks,
        "build_seconds": built.seconds,
        "written_this_run": built.built_now,
    }
