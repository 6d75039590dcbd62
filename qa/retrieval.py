"""Hybrid retrieval as a LangChain retriever: dense (the store's cosine search) and keyword
(``qa.keywords``, BM25) fused by reciprocal rank, with optional filters. A passage is
shown once: a repeat is dropped, and the same passage in a near-copy of its article
(``qa.duplicates``: another outlet carrying the story) joins it as one of its ``copies``.

``search`` gives ``Passage`` records; as a LangChain ``BaseRetriever``, ``invoke`` gives
LangChain ``Document``s whose metadata are the passage's fields (``as_passage`` turns one
back), so the retriever fits any LangChain pipeline:
``retriever.invoke("Who was killed?", k=3, filters=Filters(source="BBC"))``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.duplicates import resemblance
from qa.embeddings import Embedder
from qa.errors import EmptyStore
from qa.keywords import KeywordIndex, Keywords
from qa.models import Chunk, Document, Filters, Passage
from qa.store import Store
from qa.text import is_duplicate, normalized

_KEYWORD_SIDE = ThreadPoolExecutor(max_workers=8, thread_name_prefix="qa-keywords")


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
    near_duplicate: float = 0.7  # passages of near-copy articles this alike are shown once

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
        # the keyword side runs while the query is embedded (both release the GIL)
        side = _KEYWORD_SIDE.submit(self._keyword, query, filters)
        dense = self._dense(query, filters)
        index, keyword, chunks = side.result()
        if not len(index):
            raise EmptyStore()
        chunks |= {c.id: c for c in dense}
        fused: dict[str, float] = {}
        for ranked in ([c.id for c in dense], keyword):
            for rank, chunk_id in enumerate(ranked):
                if chunk_id in chunks:
                    fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        ranked = sorted(fused, key=lambda c: -fused[c])
        want = k or self.k
        # the documents of the best candidates first; of the rest only when those run short
        for head in (ranked[: 2 * want], ranked):
            # only chunks of committed documents (one may be deleted while this runs)
            documents = self.store.documents_by_id([chunks[c].document_id for c in head])
            committed = [c for c in head if chunks[c].document_id in documents]
            passages = self._distinct(committed, chunks, fused, documents, want)
            if len(passages) == want or len(head) == len(ranked):
                break
        return passages

    def _distinct(
        self,
        ranked: list[str],
        chunks: dict[str, Chunk],
        fused: dict[str, float],
        documents: dict[str, Document],
        k: int | None,
    ) -> list[Passage]:
        """The first ``k`` of ``ranked`` that repeat no passage before them; the same
        passage in a near-copy of a kept one's article joins it as one of its ``copies``."""
        best = 2.0 / (self.rrf_k + 1)
        kept: list[tuple[Passage, str, str]] = []  # passage, family, normalised text
        for chunk_id in ranked:
            chunk, doc = chunks[chunk_id], documents[chunks[chunk_id].document_id]
            passage = Passage.of(chunk, doc, fused[chunk_id] / best)
            family = doc.near_duplicate_of or doc.id
            twin = next((p for p, f, _ in kept if f == family and self._same(p, passage)), None)
            if twin is not None:
                twin.copies.append(passage)
                continue
            norm = normalized(chunk.text)
            if is_duplicate(norm, [n for _, _, n in kept]):
                continue
            kept.append((passage, family, norm))
            if len(kept) == (k or self.k):
                break
        return [p for p, _, _ in kept]

    def _same(self, kept: Passage, other: Passage) -> bool:
        """``other`` is ``kept`` as a near-copy of its article carries it."""
        return (
            other.document_id != kept.document_id
            and all(c.document_id != other.document_id for c in kept.copies)
            and resemblance(kept.text, other.text) >= self.near_duplicate
        )

    def _keyword(
        self, query: str, filters: Filters | None
    ) -> tuple[KeywordIndex, list[str], dict[str, Chunk]]:
        """The keyword index now, the ids of its best chunks, and those chunks."""
        index = self.keywords.current()
        ids = index.search(query, self.fetch, filters)
        return index, ids, self.store.chunks_by_id(ids)

    def _dense(self, query: str, filters: Filters | None) -> list[Chunk]:
        return [
            c for c, _ in self.store.query(self.embedder.encode_query(query), self.fetch, filters)
        ]


__all__ = ["Retriever", "as_document", "as_passage"]
