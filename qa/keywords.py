"""The keyword side of retrieval: a BM25 index (bm25s) over every committed chunk of the
store, built once per revision of the store and shared.

Whoever first needs the index of a revision (``qa ingest`` at its end, else the first
search) builds it page by page from the store and saves it in a folder named after the
revision; every other process, and the same one after a restart, memory-maps those files
(BM25 matrix, chunk ids, and the metadata the filters need) instead of building it again,
so a worker holds neither the archive's text nor its tokens. A write by any process
changes the revision, so the next search sees it. ``qa doctor`` checks the index against
the documents.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
from bm25s.tokenization import Tokenized, Tokenizer

from qa.models import Filters, day_number
from qa.store import Store
from qa.text import stemmer, tokenize

FIELDS = ("chunk_ids", "document_ids", "sources", "days")
STALE_BUILD_S = 3600  # a half-written folder this old was left by a killed builder


@dataclass
class KeywordIndex:
    """BM25 over the chunks of the store at one revision, and per chunk (in the same order)
    its id, its document's id, source and publication day (0: none), for the filters."""

    revision: str
    chunk_ids: np.ndarray
    document_ids: np.ndarray
    sources: np.ndarray
    days: np.ndarray
    bm25: bm25s.BM25 | None

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @classmethod
    def build(cls, store: Store, revision: str) -> KeywordIndex:
        """Read the store a page at a time; only the tokens' ids are kept while reading."""
        tokenizer = Tokenizer(stopwords="en", stemmer=stemmer())
        tokens: list[list[int]] = []
        ids: list[str] = []
        documents: list[str] = []
        sources: list[str] = []
        days: list[int] = []
        for page in store.chunk_pages():
            texts = [text for _, text, _ in page]
            tokens += tokenizer.tokenize(texts, return_as="ids", show_progress=False)
            for chunk_id, _, meta in page:
                ids.append(chunk_id)
                documents.append(str(meta["document_id"]))
                sources.append(str(meta.get("source") or ""))
                days.append(int(meta.get("published_day") or 0))
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index(Tokenized(tokens, tokenizer.get_vocab_dict()), show_progress=False)
        ids_, documents_, sources_ = (np.array(a, dtype=str) for a in (ids, documents, sources))
        return cls(revision, ids_, documents_, sources_, np.array(days, dtype=np.int32), bm25)

    def save(self, folder: Path) -> Path:
        """Into ``folder/<revision>``, whole or not at all (written aside, then renamed)."""
        target = folder / self.revision
        aside = folder / f".building-{uuid.uuid4().hex}"
        aside.mkdir(parents=True)
        for name in FIELDS:
            np.save(aside / f"{name}.npy", getattr(self, name), allow_pickle=False)
        if self.bm25 is not None:
            self.bm25.save(aside / "bm25", show_progress=False)
        try:
            os.rename(aside, target)
        except OSError:  # another process saved the same revision first: keep its copy
            shutil.rmtree(aside, ignore_errors=True)
        return target

    @classmethod
    def load(cls, folder: Path, revision: str) -> KeywordIndex | None:
        """The saved index of ``revision``, memory-mapped; None when there is none."""
        where = folder / revision
        if not where.is_dir():
            return None
        ids, documents, sources, days = (
            np.load(where / f"{name}.npy", mmap_mode="r") for name in FIELDS
        )
        bm25 = None
        if (where / "bm25").is_dir():
            bm25 = bm25s.BM25.load(where / "bm25", mmap=True, show_progress=False)
        return cls(revision, ids, documents, sources, days, bm25)

    def search(self, query: str, n: int, filters: Filters | None = None) -> list[str]:
        """The ids of at most ``n`` chunks that share a term with ``query``, best first."""
        terms = tokenize([query])
        if self.bm25 is None or not terms[0]:
            return []
        mask = None if filters is None else self._admitted(filters).astype(np.float32)
        n = min(n, len(self))
        rows, scores = self.bm25.retrieve(terms, k=n, show_progress=False, weight_mask=mask)
        return [str(self.chunk_ids[i]) for i, s in zip(rows[0], scores[0], strict=True) if s > 0]

    def _admitted(self, f: Filters) -> np.ndarray:
        """Which chunks pass the filters, as the store's ``where`` would decide."""
        keep = np.ones(len(self), dtype=bool)
        if f.document_id:
            keep &= self.document_ids == f.document_id
        if f.source:
            keep &= self.sources == f.source
        if f.published_after:
            keep &= self.days >= day_number(f.published_after)
        if f.published_before:
            keep &= (self.days > 0) & (self.days <= day_number(f.published_before))
        return keep

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
        self._index: KeywordIndex | None = None
        self._lock = threading.Lock()

    def current(self) -> KeywordIndex:
        revision = self.store.revision()
        with self._lock:
            if self._index is None or self._index.revision != revision:
                self._index = self._load_or_build(revision)
            return self._index

    def _load_or_build(self, revision: str) -> KeywordIndex:
        if self.folder is None:
            return KeywordIndex.build(self.store, revision)
        found = KeywordIndex.load(self.folder, revision)
        if found is not None:
            return found
        built = KeywordIndex.build(self.store, revision)
        built.save(self.folder)
        self._prune(revision)
        # the mapped copy, so that the built arrays are freed
        return KeywordIndex.load(self.folder, revision) or built

    def _prune(self, keep: str) -> None:
        """Remove the indexes of older revisions (a process that still maps one keeps its
        pages until it moves on) and what a killed builder left."""
        assert self.folder is not None
        for entry in self.folder.iterdir():
            building = entry.name.startswith(".building-")
            if entry.name == keep or (
                building and time.time() - entry.stat().st_mtime < STALE_BUILD_S
            ):
                continue
            shutil.rmtree(entry, ignore_errors=True)
