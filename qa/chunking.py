"""Sentence-aware chunking with exact character offsets.

Sentences come from pysbd (abbreviation-aware: "U.S." and "Gen." do not end a sentence),
never cross a line break, and are located in the original text so that
``text[start:end]`` is always the sentence or chunk itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

from qa.models import Chunk, content_id

_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Span:
    """A [start, end) range of a text, trimmed of surrounding white space."""

    start: int
    end: int


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[Span]:
    """The sentences of ``text`` as offsets into it, in order."""
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        cursor = line.start()
        for piece in _segmenter().segment(line.group()):
            piece = piece.strip()
            if not piece:
                continue
            start = text.find(piece, cursor, line.end())
            if start < 0:  # pysbd altered the text; fall back to the rest of the line
                start, piece = cursor, text[cursor : line.end()].strip()
            spans.append(Span(start, start + len(piece)))
            cursor = start + len(piece)
    return [s for s in spans if text[s.start : s.end].strip()]


def chunk(document_id: str, text: str, max_chars: int = 700, overlap: int = 1) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_chars`` (a longer sentence stands
    alone), each sharing its first ``overlap`` sentences with the previous chunk."""
    spans = sentences(text)
    chunks: list[Chunk] = []
    first = 0
    while first < len(spans):
        last = first
        while last + 1 < len(spans) and spans[last + 1].end - spans[first].start <= max_chars:
            last += 1
        start, end = spans[first].start, spans[last].end
        chunks.append(
            Chunk(
                id=content_id(document_id, str(start), str(end)),
                document_id=document_id,
                start=start,
                end=end,
                text=text[start:end],
            )
        )
        if last + 1 >= len(spans):
            break
        first = max(last + 1 - overlap, first + 1)
    return chunks
