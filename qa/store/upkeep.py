"""What an interrupted write leaves in the store, found (``check``) and removed (``repair``):
chunks without their document record, and documents whose chunks are not all there; band
keys kept apart from the documents, as stores did before, are moved onto them. ``qa doctor``
runs them."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.models import Document
from qa.store.store import Store


@dataclass
class Damage:
    """Inconsistencies found by ``check``."""

    orphans: dict[str, list[str]] = field(default_factory=dict)  # document id -> chunk ids
    incomplete: list[Document] = field(default_factory=list)
    old_fingerprints: dict[str, dict[str, str]] = field(default_factory=dict)  # kept apart

    def lines(self, verb: str = "found") -> list[str]:
        out = [f"{verb} {len(ids)} orphaned chunk(s) of {i}" for i, ids in self.orphans.items()]
        for doc in self.incomplete:
            out.append(f"{verb} incomplete document {doc.id} ({doc.title}); re-ingest it")
        if self.old_fingerprints:
            moved = "moved" if verb == "removed" else "found"
            out.append(f"{moved} {len(self.old_fingerprints)} fingerprint(s) kept the old way")
        return out


def check(store: Store) -> Damage:
    """What an interrupted write left: chunks without their document record, and
    documents whose chunks are not all there. Changes nothing."""
    committed = {d.id: d for d in store.documents()}
    per_doc: dict[str, list[str]] = {}
    for cid, meta in store.chunk_metadata():
        per_doc.setdefault(str(meta["document_id"]), []).append(cid)
    orphans = {d: ids for d, ids in per_doc.items() if d not in committed}
    incomplete = [d for i, d in committed.items() if len(per_doc.get(i, [])) != d.chunks]
    return Damage(orphans, incomplete, store.bands.old())


def repair(store: Store, damage: Damage | None = None) -> list[str]:
    """Remove chunks of uncommitted documents and documents missing chunks (as found
    by ``check``, or ``damage``). Returns a line for each thing fixed; re-ingesting
    restores removed documents. Run it while no ingest is under way: a write in
    progress looks like orphaned chunks."""
    damage = check(store) if damage is None else damage
    orphans = [i for ids in damage.orphans.values() for i in ids]
    if orphans:
        store.chunks(lambda c: c.delete(ids=orphans))
    for doc in damage.incomplete:
        store.delete(doc.id)
    if damage.old_fingerprints:
        store.bands.move_old(damage.old_fingerprints)
    return damage.lines("removed")
