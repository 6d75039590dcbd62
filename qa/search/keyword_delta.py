"""BM25 over the chunks written since the saved keyword index was built, held in memory
and scored with the statistics of both together (chunk count, mean length, document
frequencies), so its scores and the saved index's rank against each other.

``Added`` grows as writes come: each write's chunks are tokenised once, on the first search
after it, never again. A ``Delta`` is a prefix of it (the chunks written up to one revision
of the store), so a search that began before a write goes on seeing what it saw.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from qa.search.keyword_index import Hit, KeywordIndex, Row, best, columns
from qa.text import tokenize

K1, B = 1.5, 0.75  # bm25s's defaults, as the saved index uses them


class Added:
    """The chunks written since ``base`` was built, in the order they were taken in:
    append-only, so that every ``Delta`` taken from it stays as it was."""

    def __init__(self, base: KeywordIndex):
        self.base = base
        self.rows: list[Row] = []
        self.ids: set[str] = set()
        self.lengths: list[int] = []
        self.postings: dict[str, list[tuple[int, int]]] = {}  # term: (row, count) per row

    def append(self, rows: Sequence[Row]) -> Delta:
        """Take in ``rows`` (those not taken in yet); the delta up to them."""
        rows = [r for r in dict((r[0], r) for r in rows).values() if r[0] not in self.ids]
        for tokens in tokenize([t for _, t, _ in rows]) if rows else []:
            for term, tf in Counter(tokens).items():
                self.postings.setdefault(term, []).append((len(self.lengths), tf))
            self.lengths.append(len(tokens))
        self.rows += [(i, "", m) for i, _, m in rows]  # the text is not kept
        self.ids.update(i for i, _, _ in rows)
        return Delta(self, len(self.rows))


class Delta:
    """The first ``size`` chunks of ``added``: ``search`` scores them as if indexed with
    the saved ones."""

    def __init__(self, added: Added, size: int):
        self.added, self.size, self.base = added, size, added.base
        self.chunk_ids, self.document_ids, self.sources, self.days = columns(added.rows[:size])
        self.lengths = np.array(added.lengths[:size], dtype=np.float32)
        self.total = len(self.base) + size
        self.mean_length = (self.base.length + float(self.lengths.sum())) / max(self.total, 1)

    def __len__(self) -> int:
        return self.size

    @functools.cached_property
    def documents(self) -> frozenset[str]:
        return frozenset(self.document_ids.tolist())

    def _posting(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows of this prefix that hold ``term``, and how often."""
        found = np.array(self.added.postings.get(term, ()), dtype=np.int64).reshape(-1, 2)
        found = found[found[:, 0] < self.size]
        return found[:, 0], found[:, 1]

    def search(self, terms: list[str], n: int, mask: np.ndarray | None = None) -> list[Hit]:
        """At most ``n`` of these chunks (those ``mask`` admits) sharing a term, best first."""
        scores = np.zeros(self.size, dtype=np.float32)
        norm = K1 * ((1 - B) + B * self.lengths / max(self.mean_length, 1e-9))
        for term in terms:  # a repeated query term counts again, as in bm25s
            rows, tf = self._posting(term)
            if len(rows):
                df = self.base.frequency(term) + len(rows)
                idf = math.log(1 + (self.total - df + 0.5) / (df + 0.5))  # Lucene's
                scores[rows] += idf * tf / (norm[rows] + tf)
        if mask is not None:
            scores *= mask
        return [(str(self.chunk_ids[i]), float(scores[i])) for i in best(scores, n)]
