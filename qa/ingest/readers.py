"""Reading articles from files: each suffix its reader (front matter for Markdown through
python-frontmatter, HTML through trafilatura, JSON lines), each file a list of ``Article``
records or a clear ``InvalidInput``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from pydantic import ValidationError

from qa.errors import InvalidInput, TooLarge, UnsupportedType
from qa.models import Article

SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl")


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
        metadata, content = _front_matter(text)
        return [article({**metadata, "text": content}, origin)]
    if suffix in (".html", ".htm"):
        return [_html(text, origin)]
    return list(_jsonl(text, origin))


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    """A Markdown file's front matter and body, or ``InvalidInput`` saying what is wrong
    with the front matter (YAML that does not parse; a value no date can be, 2024-13-45)."""
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InvalidInput(f"the front matter is not valid YAML: {problem}{where}") from exc
    except (ValueError, TypeError) as exc:  # YAML that parses to no value: a 13th month
        raise InvalidInput(f"the front matter holds an impossible value: {exc}") from exc
    return dict(post.metadata), post.content


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
