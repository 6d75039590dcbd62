"""The keyword side of retrieval: BM25 over every committed chunk of the store, kept up to
date without rebuilding it on a search.

It is a saved index (``qa.search.keyword_index``: built once, saved in a folder beside the store,
memory-mapped by every process that shares the folder) plus what the store's log of
writes says happened since: the chunks added since, held in memory (``qa.search.keyword_delta``,
scored with the saved index's statistics), and the documents deleted since, masked out.
A write changes the store's revision; the next search reads only the log records it has
not taken in and the chunks they name, whatever the archive's size, and tokenises each
new chunk once. A writer (``qa ingest`` at its end) compacts: when the chunks added since
are many, it builds and saves a new index, which records the log records it took in, and
removes the old index. ``qa doctor`` checks the index against the store.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.models import Filters
from qa.search.keyword_delta import Added, Delta
from qa.search.keyword_index import Hit, KeywordIndex, admitted
from qa.store import Store
from qa.text import tokenize

STALE_BUILD_S = 3600  # a half-written folder this old was left by a killed builder
COMPACT_AT = 2000  # chunks added since the saved index, at least, for a writer to rebuild it


@dataclass
class View:
    """The keyword index at one revision of the store: the saved index and the chunks
    added since (``delta``), less the rows of documents deleted since (``gone``)."""

    revision: str
    base: KeywordIndex
    delta: Delta
    gone: frozenset[str] = frozenset()  # the documents deleted since

    def __post_init__(self) -> None:
        gone = list(self.gone)
        self.live = (
            ~np.isin(self.base.document_ids, gone),
            ~np.isin(self.delta.document_ids, gone),
        )
        self.size = int(self.live[0].sum() + self.live[1].sum())  # once, not per search

    def __len__(self) -> int:
        return self.size

    def holds(self, document_id: str) -> bool:
        """Whether the document was committed, and not deleted, at this revision."""
        if document_id in self.gone:
            return False
        return document_id in self.delta.documents or document_id in self.base.documents

    @property
    def chunk_ids(self) -> np.ndarray:
        return np.concatenate([side.chunk_ids[live] for side, live in self._sides()])

    @property
    def document_ids(self) -> np.ndarray:
        return np.concatenate([side.document_ids[live] for side, live in self._sides()])

    def _sides(self) -> tuple[tuple[KeywordIndex | Delta, np.ndarray], ...]:
        return (self.base, self.live[0]), (self.delta, self.live[1])

    def search(self, query: str, n: int, filters: Filters | None = None) -> list[str]:
        """The ids of at most ``n`` chunks that share a term with ``query``, best first."""
        terms = tokenize([query])[0]
        hits: list[Hit] = []
        for side, live in self._sides():
            if filters is not None:
                live = live & admitted(filters, side.document_ids, side.sources, side.days)
            hits += side.search(terms, n, live)
        return [i for i, _ in sorted(hits, key=lambda h: -h[1])[:n]]

    def problems(self, store: Store) -> list[str]:
        """Where the index disagrees with the store's committed chunks (for ``qa doctor``)."""
        stored = {
            i: str(m["document_id"]) for page in store.chunk_pages(text=False) for i, _, m in page
        }
        indexed = dict(zip(self.chunk_ids.tolist(), self.document_ids.tolist(), strict=True))
        out = []
        for what, ids in (
            ("passage(s) not in the store", indexed.keys() - stored.keys()),
            ("passage(s) missing from it", stored.keys() - indexed.keys()),
        ):
            per = Counter(indexed.get(i) or stored[i] for i in ids)
            out += [f"keyword index: {d} has {n} {what}" for d, n in sorted(per.items())]
        return out


class Keywords:
    """The keyword index of a store as it is now, shared by the threads of a process and,
    through ``folder``, by every process that uses the same folder."""

    def __init__(self, store: Store, folder: Path | None = None):
        self.store = store
        self.folder = folder
        self._view: View | None = None
        self._base: KeywordIndex | None = None
        # what the log said since ``_base`` was built: the chunks added (tokenised once),
        # the log records taken in, the documents deleted
        self._added: Added | None = None
        self._taken: set[str] = set()
        self._deleted: set[str] = set()
        self._lock = threading.Lock()

    def current(self, compact: bool = False) -> View:
        """The index at the store's revision; with ``compact`` (a writer), a new saved
        index first when many chunks were added since the saved one."""
        revision = self.store.revision()
        with self._lock:
            if compact and self._outgrown():
                self._view = self._over(revision, self._build(revision))
            elif self._view is None or self._view.revision != revision:
                self._view = self._read(revision)
            return self._view

    def _outgrown(self) -> bool:
        """Whether the chunks added since the saved index are many (or there is none),
        counted from the log, without reading them."""
        base = self._newest()
        if base is None:
            return True
        unread = self.store.writes(set(base.writes.tolist()))
        added = sum(len(w.ids) for w in unread if w.kind == "added")
        return added >= max(COMPACT_AT, len(base) // 10)

    def _read(self, revision: str) -> View:
        base = self._newest()
        return self._over(revision, base or self._build(revision))

    def _over(self, revision: str, base: KeywordIndex) -> View:
        """``base`` with what the log says was written since it was built; only the log
        records not taken in before are read, and only the chunks they name."""
        if self._added is None or self._added.base is not base:
            self._added, self._taken, self._deleted = Added(base), set(base.writes.tolist()), set()
        writes = self.store.writes(self._taken)
        self._deleted |= {i for w in writes if w.kind == "deleted" for i in w.ids}
        named = {i for w in writes if w.kind == "added" for i in w.ids} - self._added.ids
        rows = self.store.chunk_rows(sorted(named - base.ids) if named else [])
        committed = self.store.existing([str(m["document_id"]) for _, _, m in rows])
        delta = self._added.append([r for r in rows if r[2]["document_id"] in committed])
        # a write whose document is not committed yet (one under way) is read again next time
        waiting = {i for i, _, m in rows if m["document_id"] not in committed}
        self._taken |= {w.id for w in writes if waiting.isdisjoint(w.ids)}
        gone = self._deleted - self.store.existing(list(self._deleted))
        return View(revision, base, delta, frozenset(gone))

    def _newest(self) -> KeywordIndex | None:
        """The most recently saved index (the one this process holds, if that is it)."""
        if self.folder is None or not self.folder.is_dir():
            return self._base
        saved = [p for p in self.folder.iterdir() if not p.name.startswith(".")]
        for where in sorted(saved, key=lambda p: (p.stat().st_mtime, p.name), reverse=True):
            if self._base is not None and self._base.name == where.name:
                return self._base
            try:
                self._base = KeywordIndex.load(where)
            except (OSError, ValueError, KeyError):  # half gone: removed by a compaction
                continue
            return self._base
        return None

    def _build(self, revision: str) -> KeywordIndex:
        """A new saved index of every committed chunk, which takes in the log records read
        before it whose chunks it holds (a write committed while it read is taken in
        later); older saved indexes removed."""
        log = self.store.writes()
        built = KeywordIndex.build(self.store.chunk_pages(), revision)
        taken = [w.id for w in log if w.kind == "deleted" or built.ids.issuperset(w.ids)]
        built.writes = np.array(taken, dtype=str)
        if self.folder is not None:
            built.save(self.folder)
            self._prune(revision)
            built = KeywordIndex.load(self.folder / revision) or built  # mapped: frees arrays
        self._base = built
        return built

    def _prune(self, keep: str) -> None:
        """Remove older saved indexes (a process that still maps one keeps its pages until
        it moves on) and what a killed builder left."""
        assert self.folder is not None
        for entry in self.folder.iterdir():
            building = entry.name.startswith(".building-")
            if entry.name == keep or (
                building and time.time() - entry.stat().st_mtime < STALE_BUILD_S
            ):
                continue
            shutil.rmtree(entry, ignore_errors=True)
