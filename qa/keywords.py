"""The keyword side of retrieval: a BM25 index (bm25s) over every committed chunk of the
store, built again whenever the store's revision changes, so that a write by any process
is seen by the next search. ``qa doctor`` checks it against the documents.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import bm25s
import numpy as np

from qa.models import Chunk, Document, Filters
from qa.store import Metadata, Store
from qa.text import tokenize


@dataclass
class KeywordIndex:
    """The chunks of the store at one revision, their metadata and documents, and BM25."""

    revision: str
    chunks: list[Chunk]
    metas: list[Metadata]
    documents: dict[str, Document]
    bm25: bm25s.BM25 | None

    @classmethod
    def build(cls, store: Store, revision: str) -> KeywordIndex:
        # Documents first, then only their chunks: a document deleted (by any process)
        # between the two reads must not leave passages without their document.
        documents = {d.id: d for d in store.documents()}
        rows = [(c, m) for c, m in store.all_chunks() if c.document_id in documents]
        chunks = [c for c, _ in rows]
        bm25 = None
        if chunks:
            bm25 = bm25s.BM25()
            bm25.index(tokenize([c.text for c in chunks]), show_progress=False)
        return cls(revision, chunks, [m for _, m in rows], documents, bm25)

    def search(self, query: str, n: int, filters: Filters | None = None) -> list[Chunk]:
        """At most ``n`` chunks that share a term with ``query``, best first."""
        terms = tokenize([query])
        if self.bm25 is None or not terms[0]:
            return []
        mask = None
        if filters is not None:
            mask = np.array([filters.admits(m) for m in self.metas], dtype=np.float32)
        n = min(n, len(self.chunks))
        ids, scores = self.bm25.retrieve(terms, k=n, show_progress=False, weight_mask=mask)
        return [self.chunks[i] for i, s in zip(ids[0], scores[0], strict=True) if s > 0]

    def problems(self) -> list[str]:
        """Where the index disagrees with the documents (for ``qa doctor``)."""
        indexed: dict[str, int] = {}
        for chunk in self.chunks:
            indexed[chunk.document_id] = indexed.get(chunk.document_id, 0) + 1
        out = [
            f"keyword index: passages of unknown document {d}"
            for d in indexed.keys() - self.documents.keys()
        ]
        for doc in self.documents.values():
            if indexed.get(doc.id, 0) != doc.chunks:
                out.append(
                    f"keyword index: {doc.id} has {indexed.get(doc.id, 0)} of {doc.chunks} passages"
                )
        return out


class Keywords:
    """The keyword index of a store as it is now, shared by the threads of a process."""

    def __init__(self, store: Store):
        self.store = store
        self._index: KeywordIndex | None = None
        self._lock = threading.Lock()

    def current(self) -> KeywordIndex:
        revision = self.store.revision()
        with self._lock:
            if self._index is None or self._index.revision != revision:
                self._index = KeywordIndex.build(self.store, revision)
            return self._index
