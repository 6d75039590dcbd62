"""How documents and chunks are laid out as Chroma records: their metadata (Chroma takes
no None values, and compares numbers, not dates), and back."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar

import numpy as np

from qa.errors import StoreUnavailable
from qa.models import Chunk, Document, day_number

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Include

Metadata = dict[str, Any]
PAGE = 5000  # records a read of a whole collection takes at once
T = TypeVar("T")


def clean(meta: Mapping[str, Any]) -> Metadata:
    """Chroma takes no None values: leave those keys out."""
    return {k: v for k, v in meta.items() if v is not None}


def chunk_meta(document: Document, chunk: Chunk) -> Metadata:
    """Its place, and what a search shows of its document, so that a search need not read
    the document records."""
    day = day_number(document.published) if document.published else None
    shared = {"document_id": document.id, "source": document.source, "published_day": day}
    shown = {"title": document.title, "near_duplicate_of": document.near_duplicate_of}
    return clean({**shared, **shown, "start": chunk.start, "end": chunk.end})


def heading_of(meta: Mapping[str, Any]) -> Document | None:
    """The document of a chunk as its metadata shows it (no text, no key), or None for a
    chunk stored before chunks carried their document's title."""
    if "title" not in meta:
        return None
    day = int(meta.get("published_day") or 0)
    published = date(day // 10_000, day // 100 % 100, day % 100) if day else None
    return Document(
        id=str(meta["document_id"]),
        title=str(meta["title"]),
        source=meta.get("source"),
        published=published,
        near_duplicate_of=meta.get("near_duplicate_of"),
        key="",
        text="",
    )


def upsert_chunks(
    collection: Collection, part: Sequence[tuple[Document, Chunk]], vectors: np.ndarray
) -> None:
    collection.upsert(
        ids=[c.id for _, c in part],
        embeddings=vectors,
        documents=[c.text for _, c in part],
        metadatas=[chunk_meta(d, c) for d, c in part],
    )


def upsert_record(collection: Collection, record_id: str, text: str, meta: Metadata) -> None:
    """One record without a vector of its own (Chroma wants one: a constant)."""
    one = np.ones((1, 1), dtype=np.float32)
    collection.upsert(ids=[record_id], embeddings=one, documents=[text], metadatas=[meta])


def by_ids(collection: Collection, ids: list[str]) -> Any:
    return collection.get(ids=ids, include=["documents", "metadatas"])


def rows_by_ids(
    read: Callable[[Callable[[Collection], Any]], Any], ids: Sequence[str]
) -> list[tuple[str, str, Metadata]]:
    """(id, text, metadata) of those of these records that are stored, a page at a time."""
    out: list[tuple[str, str, Metadata]] = []
    for at in range(0, len(ids), PAGE):
        out += triples(read(partial(by_ids, ids=list(ids[at : at + PAGE]))))
    return out


def page(collection: Collection, include: Include, where: Any, limit: int, offset: int) -> Any:
    return collection.get(include=include, where=where, limit=limit, offset=offset)


def document_meta(document: Document, chunks: int) -> Metadata:
    return clean({**document.model_dump(exclude={"id", "text"}, mode="json"), "chunks": chunks})


def document_of(doc_id: str, text: str, meta: Mapping[str, Any]) -> Document:
    """The document of a record (whose metadata also holds its band keys: left out)."""
    fields = {k: v for k, v in meta.items() if k in Document.model_fields and k != "id"}
    return Document(id=doc_id, text=text, **fields)


def chunk_of(chunk_id: str, text: str, meta: Mapping[str, Any]) -> Chunk:
    return Chunk(
        id=chunk_id,
        document_id=str(meta["document_id"]),
        start=int(meta["start"]),
        end=int(meta["end"]),
        text=text,
    )


def stored(values: list[T] | None) -> list[T]:
    """A field Chroma returned because it was asked for (typed as optional)."""
    if values is None:
        raise StoreUnavailable("the vector store left out a field it was asked for")
    return values


def rows(
    read: Callable[[Callable[[Collection], Any]], Any], include: Include, where: Any = None
) -> Iterator[tuple[str, str, Metadata]]:
    """Every record of a collection (``where`` it matches) as (id, text, metadata), read a
    page at a time: Chroma cannot return tens of thousands of metadata at once."""
    for offset in itertools.count(0, PAGE):
        got = read(partial(page, include=include, where=where, limit=PAGE, offset=offset))
        yield from triples(got, "documents" in include)
        if len(got["ids"]) < PAGE:
            return


def triples(got: Any, text: bool = True) -> list[tuple[str, str, Metadata]]:
    """A Chroma read as (id, text, metadata) per record (its text "" unless ``text``)."""
    texts = stored(got["documents"]) if text else [""] * len(got["ids"])
    found = zip(got["ids"], texts, stored(got["metadatas"]), strict=True)
    return [(i, t, dict(m)) for i, t, m in found if m is not None and t is not None]


Kind = Literal["added", "deleted"]
KINDS: tuple[Kind, ...] = ("added", "deleted")


class Write(NamedTuple):
    """One write as the log holds it: ``added`` chunk ids, or ``deleted`` document ids."""

    id: str
    kind: Kind
    ids: tuple[str, ...]
