"""The LSH band keys that near-copies are found by (``qa.ingest.duplicates``), kept in Chroma.

Each article's band keys are metadata of its own document record (``lsh<b>x<r>_<i>``:
the band's value), so they are written and deleted with it and cost no record of their
own; a batch's candidates are found by one metadata lookup on the documents (an ``$in``
per band: ``where``, which ``Store.related`` joins with the lookup of earlier versions).
Stores made before kept them apart: by document id in ``<name>-fingerprints``, then as a
record per key in ``<name>-bands``; ``qa doctor --fix`` moves both onto the documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from qa.store.client import Guarded
from qa.store.records import rows

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

WRITE_BATCH = 1000  # document records a move updates at once


class Bands:
    """Band keys on the document records, and those stores kept apart before."""

    def __init__(self, docs: Guarded, client: ClientAPI, collection: str, where: str):
        self.docs, self._client, self._where = docs, client, where
        self._old = (f"{collection}-fingerprints", f"{collection}-bands")

    @staticmethod
    def where(keys: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
        """Chroma ``where`` clauses (any of them) for the documents with any of these band
        keys and values."""
        return [{k: {"$in": sorted(set(v))}} for k, v in keys.items() if v]

    def old(self) -> dict[str, dict[str, str]]:
        """Band keys kept apart from the documents (by document id; none if the store has
        no such collection)."""
        out: dict[str, dict[str, str]] = {}
        for name in self._present():
            kept = Guarded(partial(self._client.get_collection, name), self._where)
            for i, _, meta in rows(kept, ["metadatas"]):
                if name.endswith("-fingerprints"):  # a record per document: its keys
                    out.setdefault(i, {}).update({k: str(v) for k, v in meta.items()})
                else:  # a record per key ("key=value"), naming its newest document
                    key, _, value = i.partition("=")
                    out.setdefault(str(meta["document_id"]), {})[key] = value
        return out

    def move_old(self, prints: Mapping[str, Mapping[str, str]]) -> None:
        """These band keys onto the records of those of their documents still stored,
        then the collections that kept them dropped."""
        ids = list(prints)
        for at in range(0, len(ids), WRITE_BATCH):
            self._move({i: prints[i] for i in ids[at : at + WRITE_BATCH]})
        for name in self._present():
            self._client.delete_collection(name)

    def _move(self, prints: Mapping[str, Mapping[str, str]]) -> None:
        found = list(self.docs(lambda c: c.get(ids=list(prints), include=[]))["ids"])
        metas: Any = [dict(prints[i]) for i in found]
        if found:
            self.docs(lambda c: c.update(ids=found, metadatas=metas))

    def _present(self) -> list[str]:
        names = {c.name for c in self._client.list_collections()}
        return [n for n in self._old if n in names]
