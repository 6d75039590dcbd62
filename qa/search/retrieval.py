"""Hybrid retrieval as a LangChain retriever: dense (the store's cosine search) and keyword
(``qa.search.keywords``, BM25) fused by reciprocal rank, with optional filters. A passage is
shown once: a repeat is dropped, and the same passage in a near-copy of its article
(``qa.ingest.duplicates``: another outlet carrying the story) joins it as one of its ``copies``.

``search`` gives ``Passage`` records, which the chain (``qa.chain``) and the service use.
As a LangChain ``BaseRetriever``, ``invoke`` gives LangChain ``Document``s whose metadata are
the passage's fields (``as_passage`` turns one back): that is the boundary where LangChain
users meet us, so the retriever fits any LangChain pipeline:
``retriever.invoke("Who was killed?", k=3, filters=Filters(source="BBC"))``.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.encoders import Embedder
from qa.errors import EmptyStore
from qa.models import Chunk, Document, Filters, Passage
from qa.search.keywords import Keywords, View
from qa.similarity import is_duplicate, normalized, resemblance
from qa.store import Store, chunk_of, heading_of

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
    article_share: float = 0.5  # of the k passages, at most this part from one article

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
        # the keyword side runs while the query is embedded (both release the GIL); both
        # sides give ids only, and only the best of the fused ids are read from the store
        side = _KEYWORD_SIDE.submit(self._keyword, query, filters)
        dense = self.store.nearest(self.embedder.encode_query(query), self.fetch, filters)
        index, keyword = side.result()
        if not len(index):
            raise EmptyStore()
        fused: dict[str, float] = {}
        for ranked in (dense, keyword):
            for rank, chunk_id in enumerate(ranked):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        ranked = sorted(fused, key=lambda c: -fused[c])
        want = k or self.k
        # the best candidates first; the rest only when those run short
        for head in (ranked[: 2 * want], ranked):
            chunks, documents = self._read(head, index)
            committed = [c for c in head if c in chunks and chunks[c].document_id in documents]
            passages = self._distinct(committed, chunks, fused, documents, want)
            if len(passages) == want or len(head) == len(ranked):
                break
        return passages

    def _read(self, ids: list[str], index: View) -> tuple[dict[str, Chunk], dict[str, Document]]:
        """These chunks (those stored), and their documents as the chunks show them: only
        documents committed at the index's revision (one may be deleted while this runs)."""
        rows = [r for r in self.store.chunk_rows(ids) if index.holds(str(r[2]["document_id"]))]
        chunks = {i: chunk_of(i, t, m) for i, t, m in rows}
        documents = {d.id: d for _, _, m in rows if (d := heading_of(m)) is not None}
        if older := [c.document_id for c in chunks.values() if c.document_id not in documents]:
            documents |= self.store.documents_by_id(older)  # stored before chunks showed them
        return chunks, documents

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
        best, want = 2.0 / (self.rrf_k + 1), k or self.k
        share = max(1, math.ceil(want * self.article_share))
        kept: list[tuple[Passage, str, str]] = []  # passage, family, normalised text
        later: list[tuple[Passage, str, str]] = []  # past their article's share
        for chunk_id in ranked:
            chunk, doc = chunks[chunk_id], documents[chunks[chunk_id].document_id]
            passage = Passage.of(chunk, doc, fused[chunk_id] / best)
            family = doc.near_duplicate_of or doc.id
            twin = next((p for p, f, _ in kept if f == family and self._same(p, passage)), None)
            if twin is not None:
                twin.copies.append(passage)
                continue
            norm = normalized(chunk.text)
            if is_duplicate(norm, [n for _, _, n in kept + later]):
                continue
            full = sum(p.document_id == doc.id for p, _, _ in kept) >= share
            (later if full else kept).append((passage, family, norm))
            if len(kept) == want:
                break
        # other articles first; an article's passages past its share only when they run short
        chosen = kept + later[: want - len(kept)]
        return [p for p, _, _ in sorted(chosen, key=lambda c: -c[0].score)]

    def _same(self, kept: Passage, other: Passage) -> bool:
        """``other`` is ``kept`` as a near-copy of its article carries it."""
        return (
            other.document_id != kept.document_id
            and all(c.document_id != other.document_id for c in kept.copies)
            and resemblance(kept.text, other.text) >= self.near_duplicate
        )

    def _keyword(self, query: str, filters: Filters | None) -> tuple[View, list[str]]:
        """The keyword index now, and the ids of its best chunks."""
        index = self.keywords.current()
        return index, index.search(query, self.fetch, filters)


__all__ = ["Retriever", "as_document", "as_passage"]
