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

    def summary(self) -> str:
        line = (
            f"added {len(self.added)}, unchanged {len(self.unchanged)}, "
            f"replaced {len(self.replaced)}, rejected {len(self.rejected)}"
        )
        return "\n".join([line, *(f"  rejected {w}: {why}" for w, why in self.rejected)])


class Ingestor:
    """Chunks, embeds and stores articles; safe to run again on the same input."""

    def __init__(self, store: Store, embedder: Embedder, max_chars: int = 700, overlap: int = 1):
        self.store = store
        self.embedder = embedder
        self.max_chars = max_chars
        self.overlap = overlap

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
        todo: list[tuple[Article, list[Document]]] = []
        for item in articles:
            report.document_ids.append(item.id)
            if item.id in known:
                report.unchanged.append(item.title)
                continue
            known.add(item.id)
            todo.append((item, [d for d in self.store.documents(item.key) if d.id != item.id]))
        if not todo:
            return
        chunked = [chunk(a.id, a.text, self.max_chars, self.overlap) for a, _ in todo]
        vectors = self.embedder.encode([c.text for cs in chunked for c in cs])
        documents = [
            Document(id=item.id, key=item.key, chunks=len(chunks), **item.model_dump())
            for (item, _), chunks in zip(todo, chunked, strict=True)
        ]
        self.store.add(list(zip(documents, chunked, strict=True)), vectors)
        for item, old in todo:
            for stale in old:
                self.store.delete(stale.id)
            (report.replaced if old else report.added).append(item.title)
