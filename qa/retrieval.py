"""Hybrid retrieval as a LangChain retriever: dense (the store's cosine search) and keyword
(``qa.keywords``, BM25) fused by reciprocal rank, with duplicate passages collapsed and
optional filters.

``search`` gives ``Passage`` records; as a LangChain ``BaseRetriever``, ``invoke`` gives
LangChain ``Document``s whose metadata are the passage's fields (``as_passage`` turns one
back), so the retriever fits any LangChain pipeline:
``retriever.invoke("Who was killed?", k=3, filters=Filters(source="BBC"))``.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.embeddings import Embedder
from qa.errors import EmptyStore
from qa.keywords import KeywordIndex, Keywords
from qa.models import Chunk, Filters, Passage
from qa.store import Store
from qa.text import is_duplicate, normalized


def as_document(passage: Passage) -> LCDocument:
    """A passage as a LangChain document: its text, and every field as metadata."""
    return LCDocument(page_content=passage.text, metadata=passage.model_dump())


def as_passage(document: LCDocument) -> Passage:
    return Passage.model_validate({**document.metadata, "text": document.page_content})


class Retriever(BaseRetriever):
    """``search(query, k, filters)`` over a store, dense and keyword, fused."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Store
    embedder: Embedder
    keywords: Keywords
    k: int = 6
    rrf_k: int = 60
    fetch: int = 30  # candidates from each side

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> list[LCDocument]:
        return [as_document(p) for p in self.search(query, k, filters)]

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None
    ) -> list[Passage]:
        """The ``k`` best passages (default ``self.k``), each once."""
        index = self.keywords.current()
        if not index.chunks:
            raise EmptyStore()
        fused: dict[str, float] = {}
        by_id: dict[str, Chunk] = {}
        for ranked in (
            self._dense(query, index, filters),
            index.search(query, self.fetch, filters),
        ):
            for rank, chunk in enumerate(ranked):
                fused[chunk.id] = fused.get(chunk.id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
                by_id[chunk.id] = chunk
        return self._distinct(sorted(fused, key=lambda c: -fused[c]), by_id, fused, index, k)

    def _distinct(
        self,
        ranked: list[str],
        by_id: dict[str, Chunk],
        fused: dict[str, float],
        index: KeywordIndex,
        k: int | None,
    ) -> list[Passage]:
        """The first ``k`` of ``ranked`` that repeat no passage before them."""
        best = 2.0 / (self.rrf_k + 1)
        passages: list[Passage] = []
        seen: list[str] = []
        for chunk_id in ranked:
            chunk = by_id[chunk_id]
            norm = normalized(chunk.text)
            if is_duplicate(norm, seen):
                continue
            seen.append(norm)
            doc = index.documents[chunk.document_id]
            passages.append(Passage.of(chunk, doc, fused[chunk_id] / best))
            if len(passages) == (k or self.k):
                break
        return passages

    def _dense(self, query: str, index: KeywordIndex, filters: Filters | None) -> list[Chunk]:
        hits = self.store.query(self.embedder.encode_query(query), self.fetch, filters)
        return [c for c, _ in hits if c.document_id in index.documents]


__all__ = ["Retriever", "as_document", "as_passage"]
