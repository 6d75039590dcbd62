"""The LSH band keys that near-copies are found by (``qa.duplicates``), kept in Chroma.

``<name>-bands`` holds one record per band key (``key=value``) that names the newest
article with it, so that a batch's candidates are one lookup by id, whatever the store's
size. Stores made before band keys kept each article's fingerprint under its id in
``<name>-fingerprints``; ``qa doctor --fix`` moves those here (``move_old``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

from qa.records import Metadata, rows, stored, upsert_records
from qa.store_client import Guarded

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

WRITE_BATCH = 1000  # records a write sends at once


class Bands:
    """Band keys, each naming the newest article that has it."""

    def __init__(self, records: Guarded, client: ClientAPI, old_name: str, where: str):
        self.records = records
        self._client, self._old_name, self._where = client, old_name, where

    def name(self, named: Mapping[str, str]) -> None:
        """Each band key (``key=value``) names this document id (the newest with it)."""
        ids = list(named)
        for at in range(0, len(ids), WRITE_BATCH):
            part = ids[at : at + WRITE_BATCH]
            metas: list[Metadata] = [{"document_id": named[i]} for i in part]
            self.records(partial(upsert_records, ids=part, metas=metas))

    def documents(self, keys: Mapping[str, Sequence[str]]) -> list[str]:
        """The ids of the documents named by any of these band keys and values: a lookup by
        record id (some may no longer be stored: see ``Store.documents_by_id``)."""
        ids = list(dict.fromkeys(f"{k}={v}" for k, values in keys.items() for v in values))
        if not ids:
            return []
        got = self.records(lambda c: c.get(ids=ids, include=["metadatas"]))
        return list(dict.fromkeys(str(m["document_id"]) for m in stored(got["metadatas"])))

    def forget(self, document_id: str) -> None:
        """The keys that name this document, gone with it."""
        self.records(lambda c: c.delete(where={"document_id": document_id}))

    def drop(self, keys: Sequence[str]) -> None:
        self.records(lambda c: c.delete(ids=list(keys)))

    def by_document(self) -> dict[str, list[str]]:
        """Every document a band key names, with those keys (for ``qa doctor``)."""
        out: dict[str, list[str]] = {}
        for i, _, meta in rows(self.records, ["metadatas"]):
            out.setdefault(str(meta["document_id"]), []).append(i)
        return out

    def old_fingerprints(self) -> dict[str, dict[str, str]]:
        """The fingerprints stored by document id before band keys were (none if that
        collection is not there)."""
        if self._old_name not in {c.name for c in self._client.list_collections()}:
            return {}
        old = Guarded(lambda: self._client.get_collection(self._old_name), self._where)
        return {i: {k: str(v) for k, v in m.items()} for i, _, m in rows(old, ["metadatas"])}

    def move_old(self, prints: Mapping[str, Mapping[str, str]], stored_ids: set[str]) -> None:
        """The old fingerprints of the documents still stored as band keys, then the old
        collection dropped."""
        self.name({f"{k}={v}": i for i in stored_ids for k, v in prints[i].items()})
        self._client.delete_collection(self._old_name)
