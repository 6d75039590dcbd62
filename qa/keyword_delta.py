"""BM25 over the few chunks written since the saved keyword index was built, held in
memory and scored with the statistics of both together (chunk count, mean length,
document frequencies), so its scores and the saved index's rank against each other."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from qa.keyword_index import Hit, KeywordIndex, Row, columns
from qa.text import tokenize

K1, B = 1.5, 0.75  # bm25s's defaults, as the saved index uses them


class Delta:
    """The chunks ``rows`` beside ``base``: ``search`` scores them as if indexed with it."""

    def __init__(self, rows: Sequence[Row], base: KeywordIndex):
        self.chunk_ids, self.document_ids, self.sources, self.days = columns(rows)
        self.documents = frozenset(self.document_ids.tolist())
        tokens = tokenize([t for _, t, _ in rows]) if rows else []
        postings: dict[str, list[tuple[int, int]]] = {}
        for row, counts in enumerate(Counter(t) for t in tokens):
            for term, tf in counts.items():
                postings.setdefault(term, []).append((row, tf))
        # per term: the rows that hold it and how often
        self.postings = {t: np.array(p, dtype=np.int64).T for t, p in postings.items()}
        self.lengths = np.array([len(t) for t in tokens], dtype=np.float32)
        self.base = base
        self.total = len(base) + len(rows)
        self.mean_length = (base.length + float(self.lengths.sum())) / max(self.total, 1)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def idf(self, term: str) -> float:
        """Lucene's inverse document frequency over the saved chunks and these."""
        df = self.base.frequency(term) + self.postings[term].shape[1]
        return math.log(1 + (self.total - df + 0.5) / (df + 0.5))

    def search(self, terms: list[str], n: int, mask: np.ndarray | None = None) -> list[Hit]:
        """At most ``n`` of these chunks (those ``mask`` admits) sharing a term, best first."""
        scores = np.zeros(len(self), dtype=np.float32)
        norm = K1 * ((1 - B) + B * self.lengths / max(self.mean_length, 1e-9))
        for term in terms:  # a repeated query term counts again, as in bm25s
            if term in self.postings:
                rows, tf = self.postings[term]
                scores[rows] += self.idf(term) * tf / (norm[rows] + tf)
        if mask is not None:
            scores *= mask
        best = np.argsort(-scores, kind="stable")[:n]
        return [(str(self.chunk_ids[i]), float(scores[i])) for i in best if scores[i] > 0]
