"""Chroma clients, and collections whose failures to reach the store raise ``StoreUnavailable``.

With ``QA_CHROMA_URL`` the store is a ``chroma run`` server (or any Chroma behind that
address) reached over HTTP; without it, an embedded ``PersistentClient`` in a directory.
A server that goes away makes every call fail at once with ``StoreUnavailable`` (the API
answers 503), and the next call after it is back works again: collections are looked up
anew after a failure, so a restarted (even an emptied) server is picked up by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlparse

import chromadb
import httpx
from chromadb import FtsIndexConfig, Schema, VectorIndexConfig
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import HnswIndexConfig
from chromadb.errors import ChromaError

from qa.errors import StoreUnavailable

# chromadb's HTTP client waits forever by default: a hung server would hang every request.
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# Chroma errors that say the store is away or refuses us, not that the request was wrong.
_AWAY_CODES = {401, 403, 404, 429}
T = TypeVar("T")
# Chroma saves a collection's vector index every ``sync_threshold`` records written, and
# until it does, every write costs more the more records were written since the last save
# (Chroma 1.5.9: 3 chunks written in 9 ms right after a save, in 34 ms 900 records later;
# one article's record among 10k in 13 ms, then 64). Chroma saves every 1,000; qa saves a
# small collection every 50 records (a save of the documents' index: a few ms), and the
# chunks every ``SAVE_CHUNKS_EVERY`` (a save of 100k chunks' index: 0.1-0.4 s).
SAVE_EVERY = 50
SAVE_CHUNKS_EVERY = 100


def connect(
    directory: Path,
    url: str | None,
    tenant: str = chromadb.DEFAULT_TENANT,
    database: str = chromadb.DEFAULT_DATABASE,
    headers: Mapping[str, str] | None = None,
) -> ClientAPI:
    """A Chroma client: HTTP to ``url`` (in ``tenant``/``database``, sending ``headers``
    with every request) if given, else embedded in ``directory``."""
    if not url:
        directory.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(directory))
    parsed = urlparse(url)
    client = chromadb.HttpClient(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or (443 if parsed.scheme == "https" else 8000),
        ssl=parsed.scheme == "https",
        headers=dict(headers or {}),
        tenant=tenant,
        database=database,
    )
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = HTTP_TIMEOUT
    return client


def open_collection(
    client: ClientAPI, name: str, cosine: bool = False, save_every: int = SAVE_EVERY
) -> Collection:
    """The collection ``name``, made if missing with Chroma's full-text index of the
    documents turned off in its schema (qa never searches them there: its keyword index is
    its own). Chroma 1.5.9's embedded store writes every text into its SQLite FTS5 index
    all the same (a chunk's upsert into a 108k-chunk store: 2.4 ms, 1.9 with the text as
    a metadata string instead; a ``chroma run`` server not measured). ``cosine``: its
    vectors compared so.
    A collection made before keeps the indexes it was made with, but not how often its
    vector index is saved (``save_every`` records written: see ``SAVE_EVERY``)."""
    schema = Schema().delete_index(config=FtsIndexConfig(), key="#document")
    hnsw = HnswIndexConfig(sync_threshold=save_every, batch_size=min(save_every, 100))
    space: Literal["cosine", "l2"] = "cosine" if cosine else "l2"
    schema.create_index(config=VectorIndexConfig(space=space, embedding_function=None, hnsw=hnsw))
    collection = client.get_or_create_collection(name, embedding_function=None, schema=schema)
    saved = (collection.configuration_json or {}).get("hnsw") or {}  # none: not HNSW (Cloud)
    if saved and saved.get("sync_threshold") != save_every:
        collection.modify(configuration={"hnsw": {"sync_threshold": save_every}})
    return collection


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the store cannot be reached (rather than a bug of ours)."""
    if isinstance(exc, httpx.TransportError | httpx.HTTPStatusError | ConnectionError):
        return True
    if isinstance(exc, TimeoutError):
        return True
    if isinstance(exc, ChromaError):
        code = exc.code()
        return code >= 500 or code in _AWAY_CODES
    # chromadb raises a bare Exception for an HTTP error without a Chroma body (a proxy's 502)
    return type(exc) is Exception


class Guarded:
    """A Chroma collection, used as ``collection(lambda c: c.get(...))``: a store that
    cannot be reached raises ``StoreUnavailable``, and the collection is opened again on
    the next call."""

    def __init__(self, open_collection: Callable[[], Collection], where: str):
        self._open = open_collection
        self._where = where
        self._collection: Collection | None = None
        self._collection = self(lambda c: c)

    def __call__(self, operation: Callable[[Collection], T]) -> T:
        try:
            collection = self._collection
            if collection is None:
                collection = self._collection = self._open()
            return operation(collection)
        except Exception as exc:
            if not unavailable(exc):
                raise
            self._collection = None
            raise StoreUnavailable.because(exc, self._where) from exc
