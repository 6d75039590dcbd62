"""The one place that composes: each part built from the settings by a small factory, and
the ``Service`` that holds the finished parts for the CLI and the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from qa.answer import ExtractiveAnswerer, Reader, condense
from qa.answerer import Answerer, Condenser
from qa.chain import Chain
from qa.encoders import Embedder
from qa.ingest import Ingestor, Report
from qa.models import Article, Document, Filters, Passage
from qa.search import Keywords, Retriever
from qa.settings import Settings
from qa.store import Catalog, Store


@dataclass(frozen=True)
class Service:
    """The store, the models, the retriever, the chain and the ingestor, built once, and the
    library's listing (``catalog``), kept per revision of the store."""

    settings: Settings
    store: Store
    embedder: Embedder
    retriever: Retriever
    chain: Chain
    ingestor: Ingestor
    catalog: Catalog

    def ingest_paths(self, paths: Iterable[Path]) -> Report:
        return self.ingestor.ingest_paths(paths, self.settings.max_file_bytes)

    def ingest(self, articles: list[Article]) -> Report:
        return self.ingestor.ingest(articles)

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None
    ) -> list[Passage]:
        return self.retriever.search(query, k, filters)

    def documents(self, text: bool = True) -> list[Document]:
        return self.store.documents(text=text)

    def document(self, document_id: str) -> Document:
        return self.store.document(document_id)

    def delete(self, document_id: str) -> None:
        self.store.document(document_id)  # NotFound for an unknown id
        self.store.delete(document_id)


def build_service(
    settings: Settings, embedder: Embedder | None = None, chat_model: BaseChatModel | None = None
) -> Service:
    """Every part from ``settings``; ``embedder`` reuses a loaded model, ``chat_model``
    replaces the client built from the ``QA_LLM_*`` settings (tests)."""
    store = Store.of(settings)
    embedder = embedder or Embedder.from_settings(settings)
    retriever = Retriever(
        store=store,
        embedder=embedder,
        keywords=Keywords(store, settings.keyword_folder),
        near_duplicate=settings.near_duplicate_threshold,
        k=settings.k,
        rrf_k=settings.rrf_k,
        article_share=settings.article_share,
    )
    chain = Chain(
        make_condenser(settings, chat_model),
        retriever,
        make_answerer(settings, embedder, chat_model),
        (settings.max_history_turns, settings.max_message_chars),
    )
    ingestor = Ingestor(
        store,
        embedder,
        settings.chunk_max_chars,
        settings.chunk_overlap_sentences,
        settings.near_duplicate_threshold,
    )
    return Service(settings, store, embedder, retriever, chain, ingestor, Catalog(store))


def make_extractive(settings: Settings) -> ExtractiveAnswerer:
    reader = Reader.from_settings(settings)
    return ExtractiveAnswerer(reader, settings.answer_threshold, settings.span_threshold)


def make_answerer(
    settings: Settings, embedder: Embedder, chat_model: BaseChatModel | None = None
) -> Answerer:
    """The extractive answerer, or with ``QA_ANSWERER=llm`` the language model's (with the
    extractive one as its fallback when ``QA_LLM_FALLBACK=extractive``)."""
    if settings.answerer != "llm":
        return make_extractive(settings)
    from qa.generate import CitationChecker, LLMAnswerer, client, load_prompt, prompts_dir

    s = settings
    checker = CitationChecker(embedder, s.citation_min_similarity, s.citation_min_overlap)
    fallback = make_extractive(s) if s.llm_fallback == "extractive" else None
    model = chat_model or client(s)
    return LLMAnswerer(
        model,
        load_prompt(prompts_dir(s.prompts_dir) / "answer.txt"),
        checker,
        fallback,
        s.llm_base_url,
    )


def make_condenser(settings: Settings, chat_model: BaseChatModel | None = None) -> Condenser:
    """The rules of ``qa.answer.history``, or the language model's rewriting (with the rules as
    its fallback) when ``QA_ANSWERER=llm`` and ``QA_LLM_CONDENSE``."""
    s = settings
    if s.answerer != "llm" or not s.llm_condense:
        return condense
    from qa.generate import LLMCondenser, client, load_prompt, prompts_dir

    model = chat_model or client(s, s.llm_condense_max_tokens)
    return LLMCondenser(
        model, load_prompt(prompts_dir(s.prompts_dir) / "condense.txt"), condense, s.llm_base_url
    )
