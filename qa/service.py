"""Builds the components from settings once, and offers what the CLI and the API need."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from qa.answering import Answerer, ExtractiveAnswerer
from qa.chain import Chain
from qa.embeddings import Embedder
from qa.history import Condenser, condense
from qa.ingest import Ingestor, Report
from qa.models import Article, Document, Filters, Passage
from qa.reader import Reader, resolve_reader
from qa.retrieval import Retriever
from qa.settings import Settings
from qa.store import Store


class Service:
    """The store, the model, the retriever, the answerer and the chain, built once."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        chat_model: BaseChatModel | None = None,
    ):
        """``chat_model`` replaces the client built from the ``QA_LLM_*`` settings (tests)."""
        self.settings = settings
        self.store = Store.of(settings)
        self.embedder = embedder or Embedder(
            settings.embedding_model, settings.embedding_batch_size
        )
        self.retriever = Retriever(self.store, self.embedder, settings.rrf_k)
        self.answerer: Answerer = ExtractiveAnswerer(
            Reader.load(resolve_reader(settings.reader_model), settings.reader_threads),
            threshold=settings.reader_threshold,
            differ_gap=settings.differ_gap,
            max_sentences=settings.max_answer_sentences,
            max_chars=settings.max_answer_chars,
        )
        self.condense: Condenser = condense
        if settings.answerer == "llm":
            self._use_language_model(chat_model)
        self.chain = Chain(self.condense, self.retriever, self.answerer, settings.k)
        self.ingestor = Ingestor(
            self.store, self.embedder, settings.chunk_max_chars, settings.chunk_overlap_sentences
        )

    def _use_language_model(self, model: BaseChatModel | None) -> None:
        """The LLM answerer (and condenser) over the client built from the settings, with
        the extractive answerer as its fallback when ``QA_LLM_FALLBACK=extractive``."""
        from qa.citations import CitationChecker
        from qa.llm import LLMAnswerer, LLMCondenser, chat_model, load_prompt, prompts_dir

        s = self.settings
        prompts = prompts_dir(s.prompts_dir)
        checker = CitationChecker(
            self.embedder, self.retriever.tokens, s.citation_min_similarity, s.citation_min_overlap
        )
        fallback = self.answerer if s.llm_fallback == "extractive" else None
        where = s.llm_base_url
        self.answerer = LLMAnswerer(
            model or chat_model(s), load_prompt(prompts / "answer.txt"), checker, fallback, where
        )
        if s.llm_condense:
            self.condense = LLMCondenser(
                model or chat_model(s, s.llm_condense_max_tokens),
                load_prompt(prompts / "condense.txt"),
                condense,
                where,
            )

    def ingest_paths(self, paths: Iterable[Path]) -> Report:
        return self.ingestor.ingest_paths(paths, self.settings.max_file_bytes)

    def ingest(self, articles: list[Article]) -> Report:
        return self.ingestor.ingest(articles)

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None
    ) -> list[Passage]:
        return self.retriever.search(query, k or self.settings.k, filters)

    def documents(self, text: bool = True) -> list[Document]:
        return self.store.documents(text=text)

    def document(self, document_id: str) -> Document:
        return self.store.document(document_id)

    def delete(self, document_id: str) -> None:
        self.store.document(document_id)  # NotFound for an unknown id
        self.store.delete(document_id)
