"""Reading articles from files and writing them, chunked and embedded, to the store.

Readers turn a path into ``Article`` records or a clear rejection; ``Ingestor`` makes
ingest idempotent (content-derived ids), replaces changed articles (same url or path),
and writes each document only after its chunks, so nothing is left half-written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import frontmatter
from pydantic import ValidationError
from tqdm import tqdm

from qa.chunking import chunk
from qa.embeddings import Embedder
from qa.errors import InvalidInput, TooLarge, UnsupportedType
from qa.models import Article, Document
from qa.store import Store

SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl")
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


# -- reading ------------------------------------------------------------------------------
def decode(raw: bytes, name: str, limit: int) -> str:
    """UTF-8 text of a file's bytes, or a clear ``InvalidInput``."""
    if len(raw) > limit:
        raise TooLarge(f"{len(raw):,} bytes is over the limit of {limit:,} bytes")
    if b"\x00" in raw[:8192]:
        raise InvalidInput("binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise InvalidInput("empty file")
    return text


def _title_from(text: str, fallback: str) -> str:
    first = text.strip().split("\n", 1)[0].strip().lstrip("#").strip()
    return first if 0 < len(first) <= 150 else fallback


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise InvalidInput(f"published {value!r} is not a date (YYYY-MM-DD)") from exc


def article(fields: dict[str, Any], origin: str | None = None) -> Article:
    """An ``Article`` from loose fields (front matter, JSON), or ``InvalidInput``."""
    text = fields.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("the article has no text")
    title = fields.get("title") or _title_from(text, origin or "untitled")
    try:
        return Article(
            title=str(title).strip(),
            text=text,
            source=fields.get("source") or None,
            url=fields.get("url") or None,
            published=_as_date(fields.get("published")),
            language=fields.get("language") or None,
            origin=origin,
        )
    except ValidationError as exc:
        raise InvalidInput(f"bad article fields: {exc.errors()[0]['msg']}") from exc


def parse(name: str, raw: bytes, limit: int, origin: str | None = None) -> list[Article]:
    """The articles in one file's bytes; the suffix of ``name`` says how to read them."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UnsupportedType(
            f"unsupported file type {suffix or '(none)'!r}; use {', '.join(SUFFIXES)}"
        )
    text = decode(raw, name, limit)
    origin = origin or name
    if suffix == ".txt":
        return [article({"text": text, "title": _title_from(text, Path(name).stem)}, origin)]
    if suffix == ".md":
        post = frontmatter.loads(text)
        return [article({**post.metadata, "text": post.content}, origin)]
    if suffix in (".html", ".htm"):
        return [_html(text, origin)]
    return list(_jsonl(text, origin))


def _html(html: str, origin: str) -> Article:
    import trafilatura

    extracted = trafilatura.bare_extraction(html, with_metadata=True)
    doc = extracted if extracted is None or isinstance(extracted, dict) else extracted.as_dict()
    if not isinstance(doc, dict) or not (doc.get("text") or "").strip():
        raise InvalidInput("no article text found in the HTML")
    fields = {
        "title": doc.get("title"),
        "text": doc["text"],
        "source": doc.get("sitename") or doc.get("hostname"),
        "url": doc.get("url"),
        "published": doc.get("date"),
        "language": doc.get("language"),
    }
    return article(fields, origin)


def _jsonl(text: str, origin: str) -> Iterator[Article]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{origin}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {number} is not JSON: {exc.msg}") from exc
        if not isinstance(row, dict) or not row.get("title"):
            raise InvalidInput(f"line {number} needs a 'title' and a 'text'")
        yield article(row, row.get("url") or where)


def files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files named, and the files under the folders named, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        else:
            yield path


# -- writing ------------------------------------------------------------------------------
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
        return report

    def _batch(self, articles: list[Article], report: Report) -> None:
        known = set(self.store.document_ids())
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
        offset = 0
        for (item, old), chunks in zip(todo, chunked, strict=True):
            doc = Document(id=item.id, key=item.key, chunks=len(chunks), **item.model_dump())
            self.store.add(doc, chunks, vectors[offset : offset + len(chunks)])
            offset += len(chunks)
            for stale in old:
                self.store.delete(stale.id)
            (report.replaced if old else report.added).append(item.title)
