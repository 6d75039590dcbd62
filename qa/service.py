"""Builds the components from settings once, and offers what the CLI and the API need."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from qa.answering import Answerer, ExtractiveAnswerer
from qa.chain import Chain
from qa.embeddings import Embedder
from qa.history import condense
from qa.ingest import Ingestor, Report
from qa.models import Article, Document, Filters, Passage
from qa.retrieval import Retriever
from qa.settings import Settings
from qa.store import Store


class Service:
    """The store, the model, the retriever, the answerer and the chain, built once."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.store = Store(settings.vectorstore_dir, settings.collection, settings.chroma_url)
        self.embedder = embedder or Embedder(
            settings.embedding_model, settings.embedding_batch_size
        )
        self.retriever = Retriever(self.store, self.embedder, settings.rrf_k)
        self.answerer: Answerer = ExtractiveAnswerer(
            self.embedder,
            self.retriever.tokens,
            min_support=settings.min_support,
            margin=settings.second_source_margin,
            max_sentences=settings.max_answer_sentences,
            max_chars=settings.max_answer_chars,
        )
        self.chain = Chain(condense, self.retriever, self.answerer, settings.k)
        self.ingestor = Ingestor(
            self.store, self.embedder, settings.chunk_max_chars, settings.chunk_overlap_sentences
        )

    def ingest_paths(self, paths: Iterable[Path]) -> Report:
        return self.ingestor.ingest_paths(paths, self.settings.max_file_bytes)

    def ingest(self, articles: list[Article]) -> Report:
        return self.ingestor.ingest(articles)

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None
    ) -> list[Passage]:
        return self.retriever.search(query, k or self.settings.k, filters)

    def documents(self) -> list[Document]:
        return self.store.documents()

    def document(self, document_id: str) -> Document:
        return self.store.document(document_id)

    def delete(self, document_id: str) -> None:
        self.store.document(document_id)  # NotFound for an unknown id
        self.store.delete(document_id)
