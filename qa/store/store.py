"""The vector store: wraps Chroma (embedded ``PersistentClient`` or a ``chroma run`` server).
Three collections: ``<name>-chunks`` holds the passages with their embeddings (cosine),
``<name>-documents`` the full text and metadata of each article (with the LSH band keys it
is found by as a near-copy: ``qa.store.bands``), ``<name>-meta`` the revision and the log of
writes. A document is written after its chunks and deleted before them, so its record is
the commit marker: readers see only chunks of committed documents, and ``qa.store.upkeep``
removes what an interrupted write left. Every write logs what it touched (``writes``: the
chunk ids it added, the document ids it deleted) and ends with a new revision (``touch``),
read in one lookup. Collections are made with Chroma's full-text index turned off
(``qa.store.client.open_collection``).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import NotFound, StoreUnavailable
from qa.models import Chunk, Document, Filters
from qa.store.bands import Bands
from qa.store.client import SAVE_CHUNKS_EVERY, Guarded, connect, open_collection
from qa.store.records import (
    KINDS,
    PAGE,
    Kind,
    Metadata,
    Write,
    chunk_of,
    document_meta,
    document_of,
    rows,
    rows_by_ids,
    triples,
    upsert_chunks,
    upsert_record,
)

if TYPE_CHECKING:
    from chromadb.api.types import Include

    from qa.settings import Settings

WRITE_BATCH = 1000  # chunks a write sends at once (Chroma takes at most a few thousand)


class Store:
    """Documents and their chunks in Chroma."""

    @classmethod
    def of(cls, settings: Settings) -> Store:
        s = settings
        headers = {name: value.get_secret_value() for name, value in s.chroma_headers.items()}
        return cls(
            s.vectorstore_dir,
            s.collection,
            s.chroma_url,
            s.chroma_tenant,
            s.chroma_database,
            headers,
        )

    def __init__(
        self,
        directory: Path,
        collection: str = "articles",
        url: str | None = None,
        tenant: str = "default_tenant",
        database: str = "default_database",
        headers: Mapping[str, str] | None = None,
    ):
        where_ = f"{url} ({tenant}/{database})" if url else str(directory)
        try:
            self.client = connect(directory, url, tenant, database, headers)
        except Exception as exc:  # chromadb raises many kinds when the server is away
            raise StoreUnavailable.because(exc, where_) from exc
        # Every call through these raises StoreUnavailable if the store cannot be reached.
        self.chunks = Guarded(
            lambda: open_collection(
                self.client, f"{collection}-chunks", cosine=True, save_every=SAVE_CHUNKS_EVERY
            ),
            where_,
        )
        self.docs = Guarded(lambda: open_collection(self.client, f"{collection}-documents"), where_)
        # the revision, and the log of writes
        self.meta = Guarded(lambda: open_collection(self.client, f"{collection}-meta"), where_)
        self.bands = Bands(self.docs, self.client, collection, where_)

    # -- writes -------------------------------------------------------------------------
    def add(
        self,
        written: Sequence[tuple[Document, Sequence[Chunk]]],
        embeddings: np.ndarray,
        fingerprints: Sequence[Mapping[str, str]] = (),
    ) -> None:
        """Write the chunks of every document (``embeddings``: one row per chunk, in order)
        then the document records that make them visible, with their ``fingerprints`` (LSH
        band keys, one mapping per document, if any), then one new revision."""
        pairs = [(d, c) for d, chunks in written for c in chunks]
        for at in range(0, len(pairs), WRITE_BATCH):
            part = pairs[at : at + WRITE_BATCH]
            self.chunks(partial(upsert_chunks, part=part, vectors=embeddings[at : at + len(part)]))
        if not written:
            return
        # logged before the commit: a reader of the log keeps only what is committed
        self._log("added", [c.id for _, c in pairs])
        prints = list(fingerprints) or [{} for _ in written]
        self.docs(
            lambda c: c.upsert(
                ids=[d.id for d, _ in written],
                embeddings=np.ones((len(written), 1), dtype=np.float32),
                documents=[d.text for d, _ in written],
                metadatas=[
                    {**document_meta(d, len(chunks)), **bands}
                    for (d, chunks), bands in zip(written, prints, strict=True)
                ],
            )
        )
        self.touch()

    def delete(self, document_id: str) -> None:
        """Remove the document record first, so its chunks vanish from reads at once."""
        self.docs(lambda c: c.delete(ids=[document_id]))
        self.chunks(lambda c: c.delete(where={"document_id": document_id}))
        self._log("deleted", [document_id])
        self.touch()

    def touch(self) -> None:
        """A new revision, after every write: whoever derived something from the store
        (a keyword index, in any process) builds it again."""
        token, one = [uuid.uuid4().hex], np.ones((1, 1), dtype=np.float32)
        self.meta(lambda c: c.upsert(ids=["revision"], embeddings=one, documents=token))

    def _log(self, kind: Kind, ids: Sequence[str]) -> None:
        record = partial(
            upsert_record,
            record_id=f"{kind}-{uuid.uuid4().hex}",
            text=" ".join(ids),
            meta={"kind": kind},
        )
        self.meta(record)

    # -- reads --------------------------------------------------------------------------
    def document(self, document_id: str) -> Document:
        found = rows_by_ids(self.docs, [document_id])
        if not found:
            raise NotFound(f"no document with id {document_id!r}")
        return document_of(*found[0])

    def documents(self, key: str | None = None, text: bool = True) -> list[Document]:
        """Every document (or those with the given key) by title; with ``text=False`` the
        texts are not read (``text`` is empty), for listings."""
        include: Include = ["documents", "metadatas"] if text else ["metadatas"]
        found = [
            document_of(i, t, m)
            for i, t, m in rows(self.docs, include, {"key": key} if key else None)
        ]
        return sorted(found, key=lambda d: (d.title.lower(), d.id))

    def document_ids(self) -> list[str]:
        return sorted(self.docs(lambda c: c.get(include=[]))["ids"])

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of these documents are stored: one lookup, whatever the store's size."""
        unique = list(dict.fromkeys(ids))
        return set(self.docs(lambda c: c.get(ids=unique, include=[]))["ids"]) if unique else set()

    def related(self, keys: Sequence[str], bands: Mapping[str, Sequence[str]]) -> list[Document]:
        """The documents, with their text, stored under any of these keys (earlier versions
        of articles) or with any of these LSH band values (``qa.store.bands``: candidate
        near-copies). One lookup: Chroma reads every record for a ``where``, so a batch
        pays for it once."""
        clauses = Bands.where(bands)
        if keys:
            clauses.append({"key": {"$in": list(dict.fromkeys(keys))}})
        if not clauses:
            return []
        where: Any = clauses[0] if len(clauses) == 1 else {"$or": clauses}
        return [document_of(*r) for r in rows(self.docs, ["documents", "metadatas"], where)]

    def log(self) -> list[str]:
        """The ids of the log's records: one per write, oldest or newest first alike."""
        return [i for i, _, _ in rows(self.meta, ["metadatas"], {"kind": {"$in": list(KINDS)}})]

    def writes(self, taken: Collection[str] = ()) -> list[Write]:
        """The records of the log, less those ``taken`` in already."""
        ids = [i for i in self.log() if i not in taken]
        return [Write(i, m["kind"], tuple(t.split())) for i, t, m in rows_by_ids(self.meta, ids)]

    def revision(self) -> str:
        """Changes with every write, by any process (``touch``); one record read."""
        got = self.meta(lambda c: c.get(ids=["revision"], include=["documents"]))
        return next(iter(got["documents"] or []), None) or "0"

    def chunk_pages(
        self, size: int = PAGE, text: bool = True
    ) -> Iterator[list[tuple[str, str, Metadata]]]:
        """Every chunk of a committed document as (id, text, metadata), a page at a time
        (with ``text=False`` the texts are not read: "")."""
        committed = set(self.document_ids())
        include: Include = ["documents", "metadatas"] if text else ["metadatas"]
        kept = (r for r in rows(self.chunks, include) if r[2]["document_id"] in committed)
        while part := list(itertools.islice(kept, size)):
            yield part

    def chunk_metadata(self) -> Iterator[tuple[str, Metadata]]:
        """(id, metadata) of every chunk, committed or not (for ``qa.store.upkeep``)."""
        return ((i, m) for i, _, m in rows(self.chunks, ["metadatas"]))

    def all_chunks(self) -> list[tuple[Chunk, Metadata]]:
        """Every chunk of a committed document, with its metadata."""
        return [(chunk_of(i, t, m), m) for page in self.chunk_pages() for i, t, m in page]

    def chunk_rows(self, ids: Sequence[str]) -> list[tuple[str, str, Metadata]]:
        """(id, text, metadata) of those of these chunks that are stored."""
        return rows_by_ids(self.chunks, ids)

    def chunks_by_id(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """These chunks, those of them that are stored."""
        return {i: chunk_of(i, t, m) for i, t, m in self.chunk_rows(ids)}

    def documents_by_id(self, ids: Sequence[str]) -> dict[str, Document]:
        """The records of these documents (those that are committed), without their text."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        got = self.docs(lambda c: c.get(ids=unique, include=["metadatas"]))
        return {i: document_of(i, t, m) for i, t, m in triples(got, text=False)}

    def nearest(
        self, embedding: np.ndarray | Sequence[float], n: int, filters: Filters | None = None
    ) -> list[str]:
        """The ids of the ``n`` nearest chunks, best first (only ids: cheaper than ``query``)."""
        got = self.chunks(
            lambda c: c.query(
                query_embeddings=np.asarray([embedding], dtype=np.float32),
                n_results=n,
                where=filters.where() if filters else None,
                include=[],
            )
        )
        return list(got["ids"][0])

    def counts(self) -> tuple[int, int]:  # (documents, chunks)
        return self.docs(lambda c: c.count()), self.chunks(lambda c: c.count())
