"""Hybrid retrieval: dense (Chroma, cosine) and keyword (BM25, bm25s) fused by reciprocal
rank, with duplicate passages collapsed and optional filters.

The keyword index is built from the store and rebuilt whenever the store's revision
changes, so a write by any process is seen by the next search.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import bm25s
import numpy as np
import Stemmer

from qa.embeddings import Embedder
from qa.errors import EmptyStore
from qa.models import Chunk, Document, Filters, Passage
from qa.store import Metadata, Store, matches

Tokenizer = Callable[[list[str]], list[list[str]]]
_NON_WORD = re.compile(r"\[\s*(?:\.\.\.|…)\s*\]|[^\w]+")


def normalized(text: str) -> str:
    """Lower case words only, for spotting the same passage twice."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def is_duplicate(text: str, seen: list[str]) -> bool:
    """Whether ``text`` (normalized) equals or is contained in one already seen."""
    return any(text in other for other in seen)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens (bm25s's tokenizer, Snowball stemmer)."""
    out = bm25s.tokenize(
        texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return [list(t) for t in out]


@dataclass
class KeywordIndex:
    revision: str
    chunks: list[Chunk]
    metas: list[Metadata]
    documents: dict[str, Document]
    bm25: bm25s.BM25 | None


class Retriever:
    """``search(query, k, filters)`` over a store, dense and keyword, fused."""

    def __init__(self, store: Store, embedder: Embedder, rrf_k: int = 60, fetch: int = 30):
        self.store = store
        self.embedder = embedder
        self.rrf_k = rrf_k
        self.fetch = fetch
        self._index: KeywordIndex | None = None
        self._lock = threading.Lock()

    @staticmethod
    def tokens(texts: list[str]) -> list[list[str]]:
        return tokenize(texts)

    def index(self) -> KeywordIndex:
        """The keyword index for the store as it is now."""
        revision = self.store.revision()
        with self._lock:
            if self._index is None or self._index.revision != revision:
                self._index = self._build(revision)
            return self._index

    def _build(self, revision: str) -> KeywordIndex:
        # Documents first, then only their chunks: a document deleted (by any process)
        # between the two reads must not leave passages without their document.
        documents = {d.id: d for d in self.store.documents()}
        rows = [(c, m) for c, m in self.store.all_chunks() if c.document_id in documents]
        chunks = [c for c, _ in rows]
        bm25 = None
        if chunks:
            bm25 = bm25s.BM25()
            bm25.index(self.tokens([c.text for c in chunks]), show_progress=False)
        return KeywordIndex(revision, chunks, [m for _, m in rows], documents, bm25)

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        index = self.index()
        if not index.chunks:
            raise EmptyStore("the store is empty: run `qa ingest` first")
        fused: dict[str, float] = {}
        by_id: dict[str, Chunk] = {}
        for ranked in (self._dense(query, index, filters), self._keyword(query, index, filters)):
            for rank, chunk in enumerate(ranked):
                fused[chunk.id] = fused.get(chunk.id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
                by_id[chunk.id] = chunk
        best = 2.0 / (self.rrf_k + 1)
        passages: list[Passage] = []
        seen: list[str] = []
        for chunk_id in sorted(fused, key=lambda c: -fused[c]):
            chunk = by_id[chunk_id]
            norm = normalized(chunk.text)
            if is_duplicate(norm, seen):
                continue
            seen.append(norm)
            doc = index.documents[chunk.document_id]
            passages.append(Passage.of(chunk, doc, fused[chunk_id] / best))
            if len(passages) == k:
                break
        return passages

    def _dense(self, query: str, index: KeywordIndex, filters: Filters | None) -> list[Chunk]:
        hits = self.store.query(self.embedder.embed_query(query), self.fetch, filters)
        return [c for c, _ in hits if c.document_id in index.documents]

    def _keyword(self, query: str, index: KeywordIndex, filters: Filters | None) -> list[Chunk]:
        terms = self.tokens([query])
        if index.bm25 is None or not terms[0]:
            return []
        mask: Any = None
        if filters is not None:
            mask = np.array([matches(m, filters) for m in index.metas], dtype=np.float32)
        n = min(self.fetch, len(index.chunks))
        ids, scores = index.bm25.retrieve(terms, k=n, show_progress=False, weight_mask=mask)
        return [index.chunks[i] for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
