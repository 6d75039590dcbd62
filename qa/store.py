"""The vector store: wraps Chroma (embedded ``PersistentClient`` or a ``chroma run`` server).

Two collections: ``<name>-chunks`` holds the passages with their embeddings (cosine) and
``<name>-documents`` the full text and metadata of each article. A document is written
after its chunks and deleted before them, so its record is the commit marker: readers see
only chunks of committed documents, and ``repair`` removes what an interrupted write left.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import NotFound, StoreUnavailable
from qa.models import Chunk, Document, Filters
from qa.store_client import Guarded, connect

if TYPE_CHECKING:
    from chromadb.api.types import Include

    from qa.settings import Settings

Metadata = dict[str, Any]


def _day(value: date) -> int:
    return value.year * 10_000 + value.month * 100 + value.day


def _clean(meta: dict[str, Any]) -> Metadata:
    """Chroma takes no None values: leave those keys out."""
    return {k: v for k, v in meta.items() if v is not None}


def where(filters: Filters | None) -> Metadata | None:
    """A Chroma ``where`` clause for the chunk metadata, or None for no restriction."""
    if filters is None:
        return None
    clauses: list[Metadata] = []
    if filters.document_id:
        clauses.append({"document_id": filters.document_id})
    if filters.source:
        clauses.append({"source": filters.source})
    if filters.published_after:
        clauses.append({"published_day": {"$gte": _day(filters.published_after)}})
    if filters.published_before:
        clauses.append({"published_day": {"$lte": _day(filters.published_before)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def matches(meta: Metadata, filters: Filters | None) -> bool:
    """The same test as ``where`` applied in Python, for the keyword side."""
    clause = where(filters)
    parts = [] if clause is None else clause.get("$and", [clause])
    for part in parts:
        for key, cond in part.items():
            value = meta.get(key)
            if isinstance(cond, dict):
                op, bound = next(iter(cond.items()))
                if value is None or (value < bound if op == "$gte" else value > bound):
                    return False
            elif value != cond:
                return False
    return True


@dataclass
class Damage:
    """Inconsistencies found by ``Store.check``."""

    orphans: dict[str, list[str]] = field(default_factory=dict)  # document id -> chunk ids
    incomplete: list[Document] = field(default_factory=list)

    def lines(self, verb: str = "found") -> list[str]:
        out = [f"{verb} {len(ids)} orphaned chunk(s) of {i}" for i, ids in self.orphans.items()]
        for doc in self.incomplete:
            out.append(f"{verb} incomplete document {doc.id} ({doc.title}); re-ingest it")
        return out


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
            raise StoreUnavailable(f"the vector store at {where_} is unavailable: {exc}") from exc
        # Every call through these raises StoreUnavailable if the store cannot be reached.
        self.chunks: Any = Guarded(
            lambda: self.client.get_or_create_collection(
                f"{collection}-chunks",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            ),
            where_,
        )
        self.docs: Any = Guarded(
            lambda: self.client.get_or_create_collection(
                f"{collection}-documents", embedding_function=None
            ),
            where_,
        )

    # -- writes -------------------------------------------------------------------------
    def add(self, document: Document, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        """Write the chunks, then the document record that makes them visible."""
        shared = {
            "document_id": document.id,
            "source": document.source,
            "published_day": _day(document.published) if document.published else None,
        }
        if chunks:
            self.chunks.upsert(
                ids=[c.id for c in chunks],
                embeddings=embeddings.tolist(),
                documents=[c.text for c in chunks],
                metadatas=[_clean({**shared, "start": c.start, "end": c.end}) for c in chunks],
            )
        meta = document.model_dump(exclude={"id", "text"}, mode="json")
        self.docs.upsert(
            ids=[document.id],
            embeddings=[[1.0]],
            documents=[document.text],
            metadatas=[_clean({**meta, "chunks": len(chunks)})],
        )

    def delete(self, document_id: str) -> None:
        """Remove the document record first, so its chunks vanish from reads at once."""
        self.docs.delete(ids=[document_id])
        self.chunks.delete(where={"document_id": document_id})

    # -- reads --------------------------------------------------------------------------
    def document(self, document_id: str) -> Document:
        got = self.docs.get(ids=[document_id], include=["documents", "metadatas"])
        if not got["ids"]:
            raise NotFound(f"no document with id {document_id!r}")
        return self._document(got["ids"][0], got["documents"][0], got["metadatas"][0])

    def documents(self, key: str | None = None, text: bool = True) -> list[Document]:
        """Every document (or those with the given key) by title; with ``text=False`` the
        texts are not read (``text`` is empty), for listings."""
        include: Include = ["documents", "metadatas"] if text else ["metadatas"]
        got = self.docs.get(where={"key": key} if key else None, include=include)
        texts = got["documents"] if text else None
        found = [
            self._document(i, texts[n] if texts else "", m)
            for n, (i, m) in enumerate(zip(got["ids"], got["metadatas"], strict=True))
        ]
        return sorted(found, key=lambda d: (d.title.lower(), d.id))

    def document_ids(self) -> list[str]:
        return sorted(self.docs.get(include=[])["ids"])

    def revision(self) -> str:
        """Changes whenever a document is added or removed, by any process."""
        ids = self.document_ids()
        return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16] + f"-{len(ids)}"

    def all_chunks(self) -> list[tuple[Chunk, Metadata]]:
        """Every chunk of a committed document, with its metadata."""
        committed = set(self.document_ids())
        got = self.chunks.get(include=["documents", "metadatas"])
        out = []
        for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            if meta is not None and text is not None and meta["document_id"] in committed:
                out.append((self._chunk(cid, text, meta), dict(meta)))
        return out

    def query(
        self, embedding: Sequence[float], n: int, filters: Filters | None = None
    ) -> list[tuple[Chunk, float]]:
        """The ``n`` nearest chunks and their cosine similarity, best first."""
        total = self.chunks.count()
        if total == 0:
            return []
        got = self.chunks.query(
            query_embeddings=[list(embedding)],
            n_results=min(n, total),
            where=where(filters),
            include=["documents", "metadatas", "distances"],
        )
        rows = zip(
            got["ids"][0],
            got["documents"][0],
            got["metadatas"][0],
            got["distances"][0],
            strict=True,
        )
        # A chunk deleted while the query ran comes back without metadata or text: skip it.
        return [
            (self._chunk(i, t, m), 1.0 - float(d))
            for i, t, m, d in rows
            if m is not None and t is not None
        ]

    def counts(self) -> tuple[int, int]:
        """(documents, chunks)."""
        return self.docs.count(), self.chunks.count()

    # -- upkeep -------------------------------------------------------------------------
    def check(self) -> Damage:
        """What an interrupted write left: chunks without their document record, and
        documents whose chunks are not all there. Changes nothing."""
        committed = {d.id: d for d in self.documents()}
        got = self.chunks.get(include=["metadatas"])
        per_doc: dict[str, list[str]] = {}
        for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
            per_doc.setdefault(str(meta["document_id"]), []).append(cid)
        orphans = {d: ids for d, ids in per_doc.items() if d not in committed}
        incomplete = [d for i, d in committed.items() if len(per_doc.get(i, [])) != d.chunks]
        return Damage(orphans, incomplete)

    def repair(self, damage: Damage | None = None) -> list[str]:
        """Remove chunks of uncommitted documents and documents missing chunks (as found
        by ``check``, or ``damage``). Returns a line for each thing fixed; re-ingesting
        restores removed documents. Run it while no ingest is under way: a write in
        progress looks like orphaned chunks."""
        damage = self.check() if damage is None else damage
        for ids in damage.orphans.values():
            self.chunks.delete(ids=ids)
        for doc in damage.incomplete:
            self.delete(doc.id)
        return damage.lines("removed")

    @staticmethod
    def _document(doc_id: str, text: str, meta: Metadata) -> Document:
        return Document(id=doc_id, text=text, **{k: v for k, v in meta.items() if k != "id"})

    @staticmethod
    def _chunk(chunk_id: str, text: str, meta: Metadata) -> Chunk:
        return Chunk(
            id=chunk_id,
            document_id=str(meta["document_id"]),
            start=int(meta["start"]),
            end=int(meta["end"]),
            text=text,
        )
