"""Writing articles, chunked and embedded, to the store (files are read by ``qa.ingest.readers``).

``Ingestor`` makes ingest idempotent (content-derived ids), replaces changed articles
(same url or path), and writes each document only after its chunks, so nothing is left
half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
from tqdm import tqdm

from qa.encoders import Embedder
from qa.errors import InvalidInput
from qa.ingest.chunking import chunk
from qa.ingest.duplicates import Fingerprint
from qa.ingest.readers import files, parse
from qa.models import Article, Chunk, Document
from qa.store import Store

BATCH = 64
T = TypeVar("T")
R = TypeVar("R")


def started(work: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, Future[R]]]:
    """Each item with ``work`` of it under way, in a thread of its own, started one item
    ahead of whoever takes them."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-ingest") as pool:
        pending: tuple[T, Future[R]] | None = None
        for item in items:
            current = (item, pool.submit(work, item))
            if pending is not None:
                yield pending
            pending = current
        if pending is not None:
            yield pending


def ahead(work: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``work`` of each item, in order, done in a thread of its own one item ahead of
    whoever takes the results."""
    return (future.result() for _, future in started(work, items))


@dataclass
class Prepared:
    """An article to write: its chunks and fingerprint, and the ids of its earlier
    versions, which it replaces."""

    article: Article
    chunks: list[Chunk]
    fingerprint: Fingerprint
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    old: list[str] = field(default_factory=list)


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
        """Write the articles a batch at a time, in a pipeline of three threads: while one
        batch is embedded (onnxruntime releases the GIL), the store is read for what it
        relates to (its earlier versions, the articles it is a near-copy of; after the
        batches before it are written), then it is written while the next is embedded and
        the one after it chunked."""
        report = report or Report()
        batches = [articles[at : at + BATCH] for at in range(0, len(articles), BATCH)]
        seen: set[str] = set()  # the ids this run has met, against repeats across batches
        with tqdm(total=len(articles), unit="article", disable=None, leave=False) as bar:
            for batch, embedding in started(self._embed, ahead(self._prepare, batches)):
                todo = self._new(batch, seen, report)
                # read while the batch is embedded: Chroma releases the GIL too
                related = self.store.related([p.article.key for p in todo], _bands(todo))
                embedding.result()
                if todo:
                    self._write(todo, related, report)
                bar.update(len(batch))
        if report.unchanged:  # a run after an interrupted one: what it wrote is seen
            self.store.touch()
        return report

    def _prepare(self, articles: list[Article]) -> list[Prepared | Article]:
        """Each article as it is when stored already, else with its chunks and fingerprint
        (all that needs no earlier batch written)."""
        known = self.store.existing([a.id for a in articles])
        return [
            a
            if a.id in known
            else Prepared(
                a,
                chunk(a.id, a.text, self.max_chars, self.overlap),
                Fingerprint.of(a.text, self.near_duplicate),
            )
            for a in articles
        ]

    def _embed(self, batch: list[Prepared | Article]) -> list[Prepared | Article]:
        """The batch with the vectors of its new articles' chunks."""
        new = [p for p in batch if isinstance(p, Prepared)]
        vectors = self.embedder.encode([c.text for p in new for c in p.chunks])
        at = 0
        for p in new:
            p.vectors, at = vectors[at : at + len(p.chunks)], at + len(p.chunks)
        return batch

    def _new(
        self, batch: list[Prepared | Article], seen: set[str], report: Report
    ) -> list[Prepared]:
        """The batch's articles that are neither stored nor met before in this run."""
        todo: list[Prepared] = []
        for item in batch:
            article = item if isinstance(item, Article) else item.article
            report.document_ids.append(article.id)
            if isinstance(item, Article) or article.id in seen:
                report.unchanged.append(article.title)
            else:
                todo.append(item)
            seen.add(article.id)
        return todo

    def _write(self, todo: list[Prepared], related: list[Document], report: Report) -> None:
        """Write the new articles (their earlier versions, among ``related``, replaced)."""
        for p in todo:
            p.old = [d.id for d in related if d.key == p.article.key and d.id != p.article.id]
        originals = self._originals(todo, related)
        vectors = np.concatenate([p.vectors for p in todo])
        documents = [
            Document(
                id=p.article.id,
                key=p.article.key,
                chunks=len(p.chunks),
                near_duplicate_of=o,
                **p.article.model_dump(),
            )
            for p, o in zip(todo, originals, strict=True)
        ]
        self.store.add(
            [(d, p.chunks) for d, p in zip(documents, todo, strict=True)],
            vectors,
            [p.fingerprint.bands for p in todo],
        )
        for item, original in zip(todo, originals, strict=True):
            for stale in item.old:
                self.store.delete(stale)
            (report.replaced if item.old else report.added).append(item.article.title)
            if original:
                report.near_copies.append((item.article.title, item.article.id, original))

    def _originals(self, todo: list[Prepared], related: list[Document]) -> list[str | None]:
        """For each new article, the article (stored, or earlier in the batch) that it is a
        near-copy of, or that one's own original when it is itself a copy."""
        stored = [
            (d.id, Fingerprint.of(d.text, self.near_duplicate), d.near_duplicate_of)
            for d in related
        ]
        earlier: list[tuple[str, Fingerprint, str | None]] = []
        for p in todo:
            mine = p.fingerprint
            scored = [
                (mine.similarity(fp), i, o)
                for i, fp, o in stored + earlier
                if i not in p.old and mine.shares_band(fp)  # its own old version: no other outlet
            ]
            alike = [x for x in scored if x[0] >= self.near_duplicate]
            best = max(alike, default=None)
            earlier.append((p.article.id, mine, best and (best[2] or best[1])))
        return [o for _, _, o in earlier]


def _bands(todo: list[Prepared]) -> dict[str, list[str]]:
    """The LSH band values of these articles, by band key."""
    bands: dict[str, list[str]] = {}
    for p in todo:
        for key, value in p.fingerprint.bands.items():
            bands.setdefault(key, []).append(value)
    return bands
