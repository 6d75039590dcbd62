"""The library's listing: every stored article's record (without its text), by title, held
in memory at one revision of the store. A page of it costs one lookup of the revision,
whatever the archive's size. After a write (through any process) the next page reads only
what the store's log says was written since: the records of the documents it names (all
of them again after a large ingest). Offsets, not cursors, so a scrolled list can jump to
any row.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from qa.models import Document
from qa.store.records import Write
from qa.store.store import Store

REREAD_AT = 2000  # chunks added since, at least, for the records to be read again in full


@dataclass(frozen=True)
class Page:
    """``documents`` from ``offset`` on, of ``total`` that match a title search (all of
    them without one), of ``stored`` articles in all; ``originals``: the titles of the
    stored articles they are near-copies of, by id."""

    documents: list[Document]
    total: int
    offset: int
    stored: int
    originals: dict[str, str]


@dataclass
class Listing:
    """The records at one revision, sorted by title (case-folded), then id."""

    revision: str
    documents: list[Document]
    taken: frozenset[str]  # the log's records that these documents take in
    folded: list[str] = field(init=False)
    titles: dict[str, str] = field(init=False)
    sources: list[tuple[str, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.documents.sort(key=lambda d: (d.title.casefold(), d.id))
        self.folded = [d.title.casefold() for d in self.documents]
        self.titles = {d.id: d.title for d in self.documents}
        counts = Counter(d.source for d in self.documents if d.source)
        self.sources = sorted(counts.items(), key=lambda item: item[0].casefold())


class Catalog:
    """Pages of the store's articles; shared by the threads of a process."""

    def __init__(self, store: Store):
        self.store = store
        self._listing: Listing | None = None
        self._lock = threading.Lock()

    def page(self, offset: int = 0, limit: int = 100, search: str = "") -> Page:
        """At most ``limit`` articles from ``offset`` on, by title; with ``search``, only
        those whose title holds it (case-insensitive)."""
        listing = self.current()
        found = listing.documents
        if needle := " ".join(search.split()).casefold():
            found = [d for d, t in zip(found, listing.folded, strict=True) if needle in t]
        shown = found[offset : offset + limit]
        copied = {d.near_duplicate_of for d in shown if d.near_duplicate_of}
        originals = {i: listing.titles[i] for i in copied if i in listing.titles}
        return Page(shown, len(found), offset, len(listing.documents), originals)

    def sources(self) -> list[tuple[str, int]]:
        """Every outlet named by a stored article, with its count, by name."""
        return self.current().sources

    def current(self) -> Listing:
        revision = self.store.revision()
        with self._lock:
            if self._listing is None:
                self._listing = self._read(revision)
            elif self._listing.revision != revision:
                self._listing = self._update(self._listing, revision)
            return self._listing

    def _read(self, revision: str) -> Listing:
        taken = frozenset(self.store.log())  # first: a write after it is taken in later
        return Listing(revision, self.store.documents(text=False), taken)

    def _update(self, listing: Listing, revision: str) -> Listing:
        """``listing`` with the documents that the log's unread records name, as the store
        holds them now; a write whose document is not committed yet is read again later."""
        writes = self.store.writes(listing.taken)
        chunks = [i for w in writes if w.kind == "added" for i in w.ids]
        if len(chunks) >= REREAD_AT:
            return self._read(revision)
        owner = {i: str(m["document_id"]) for i, _, m in self.store.chunk_rows(chunks)}
        named = set(owner.values()) | {i for w in writes if w.kind == "deleted" for i in w.ids}
        found = self.store.documents_by_id(sorted(named))
        kept = [d for d in listing.documents if d.id not in named]
        taken = {w.id for w in writes if self._committed(w, owner, found)}
        return Listing(revision, kept + list(found.values()), listing.taken | taken)

    @staticmethod
    def _committed(write: Write, owner: dict[str, str], found: dict[str, Document]) -> bool:
        """Whether a write is all in: a deletion, or chunks whose documents are stored
        (or gone again: chunks no longer stored)."""
        return write.kind == "deleted" or all(owner[i] in found for i in write.ids if i in owner)
