"""How documents and chunks are laid out as Chroma records: their metadata (Chroma takes
no None values, and compares numbers, not dates), and back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from qa.errors import StoreUnavailable
from qa.models import Chunk, Document, day_number

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Include

Metadata = dict[str, Any]
T = TypeVar("T")


def clean(meta: Mapping[str, Any]) -> Metadata:
    """Chroma takes no None values: leave those keys out."""
    return {k: v for k, v in meta.items() if v is not None}


def chunk_meta(document: Document, chunk: Chunk) -> Metadata:
    day = day_number(document.published) if document.published else None
    shared = {"document_id": document.id, "source": document.source, "published_day": day}
    return clean({**shared, "start": chunk.start, "end": chunk.end})


def upsert_chunks(
    collection: Collection, part: Sequence[tuple[Document, Chunk]], vectors: np.ndarray
) -> None:
    collection.upsert(
        ids=[c.id for _, c in part],
        embeddings=vectors,
        documents=[c.text for _, c in part],
        metadatas=[chunk_meta(d, c) for d, c in part],
    )


def page(collection: Collection, include: Include, where: Any, limit: int, offset: int) -> Any:
    return collection.get(include=include, where=where, limit=limit, offset=offset)


def document_meta(document: Document, chunks: int) -> Metadata:
    return clean({**document.model_dump(exclude={"id", "text"}, mode="json"), "chunks": chunks})


def document_of(doc_id: str, text: str, meta: Mapping[str, Any]) -> Document:
    return Document(id=doc_id, text=text, **{k: v for k, v in meta.items() if k != "id"})


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
