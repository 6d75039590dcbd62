"""Writing articles, chunked and embedded, to the store (files are read by ``qa.readers``).

``Ingestor`` makes ingest idempotent (content-derived ids), replaces changed articles
(same url or path), and writes each document only after its chunks, so nothing is left
half-written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from qa.chunking import chunk
from qa.duplicates import Fingerprint
from qa.embeddings import Embedder
from qa.errors import InvalidInput
from qa.models import Article, Document
from qa.readers import files, parse
from qa.store import Store

BATCH = 64


@dataclass
class Report:
    """What an ingest run did, article by article."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    document_ids: list[str] = field(default_factory=list)
    # (title, id, the id of the stored article it is a near-copy of)
    near_copies: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        line = (
            f"added {len(self.added)}, unchanged {len(self.unchanged)}, "
            f"replaced {len(self.replaced)}, rejected {len(self.rejected)}, "
            f"near-copies {len(self.near_copies)}"
        )
        return "\n".join(
            [
                line,
                *(f"  near-copy {t} ({i}) of {o}" for t, i, o in self.near_copies),
                *(f"  rejected {w}: {why}" for w, why in self.rejected),
            ]
        )


class Ingestor:
    """Chunks, embeds and stores articles; safe to run again on the same input."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        max_chars: int = 700,
        overlap: int = 1,
        near_duplicate: float = 0.7,
    ):
        self.store = store
        self.embedder = embedder
        self.max_chars = max_chars
        self.overlap = overlap
        self.near_duplicate = near_duplicate  # Jaccard of word 3-grams: a near-copy

    def ingest_paths(self, paths: Iterable[Path], limit: int) -> Report:
        report = Report()
        articles: list[Article] = []
        for path in files(paths):
            try:
                if not path.exists():
                    raise InvalidInput("no such file or folder")
                articles.extend(parse(path.name, path.read_bytes(), limit, str(path.resolve())))
            except (InvalidInput, OSError) as exc:
                report.rejected.append((str(path), str(exc)))
        self.ingest(articles, report)
        return report

    def ingest(self, articles: list[Article], report: Report | None = None) -> Report:
        report = report or Report()
        with tqdm(total=len(articles), unit="article", disable=None, leave=False) as bar:
            for start in range(0, len(articles), BATCH):
                self._batch(articles[start : start + BATCH], report)
                bar.update(min(BATCH, len(articles) - start))
        if report.unchanged:  # a run after an interrupted one: what it wrote is seen
            self.store.touch()
        return report

    def _batch(self, articles: list[Article], report: Report) -> None:
        known = self.store.existing([a.id for a in articles])
        todo: list[Article] = []
        for item in articles:
            report.document_ids.append(item.id)
            if item.id in known:
                report.unchanged.append(item.title)
                continue
            known.add(item.id)
            todo.append(item)
        if not todo:
            return
        keyed = self.store.with_keys([a.key for a in todo])  # their earlier versions
        old = [[i for i, key in keyed if key == a.key and i != a.id] for a in todo]
        self._write(list(zip(todo, old, strict=True)), report)

    def _write(self, todo: list[tuple[Article, list[str]]], report: Report) -> None:
        prints = [Fingerprint.of(a.text, self.near_duplicate) for a, _ in todo]
        originals = self._originals(todo, prints)
        chunked = [chunk(a.id, a.text, self.max_chars, self.overlap) for a, _ in todo]
        vectors = self.embedder.encode([c.text for cs in chunked for c in cs])
        documents = [
            Document(id=a.id, key=a.key, chunks=len(cs), near_duplicate_of=o, **a.model_dump())
            for (a, _), cs, o in zip(todo, chunked, originals, strict=True)
        ]
        self.store.add(
            list(zip(documents, chunked, strict=True)), vectors, [p.bands for p in prints]
        )
        for (item, old), original in zip(todo, originals, strict=True):
            for stale in old:
                self.store.delete(stale)
            (report.replaced if old else report.added).append(item.title)
            if original:
                report.near_copies.append((item.title, item.id, original))

    def _originals(
        self, todo: list[tuple[Article, list[str]]], prints: list[Fingerprint]
    ) -> list[str | None]:
        """For each new article, the article (stored, or earlier in the batch) that it is a
        near-copy of, or that one's own original when it is itself a copy."""
        bands: dict[str, list[str]] = {}
        for mine in prints:
            for key, value in mine.bands.items():
                bands.setdefault(key, []).append(value)
        candidates = self.store.fingerprinted(bands)  # one lookup for the batch
        stored = [
            (d.id, Fingerprint.of(d.text, self.near_duplicate), d.near_duplicate_of)
            for d in self.store.documents_by_id(candidates, text=True).values()
        ]
        earlier: list[tuple[str, Fingerprint, str | None]] = []
        for (item, old), mine in zip(todo, prints, strict=True):
            scored = [
                (mine.similarity(fp), i, o)
                for i, fp, o in stored + earlier
                if i not in old and mine.shares_band(fp)  # its own old version: no other outlet
            ]
            alike = [x for x in scored if x[0] >= self.near_duplicate]
            best = max(alike, default=None)
            earlier.append((item.id, mine, best and (best[2] or best[1])))
        return [o for _, _, o in earlier]
