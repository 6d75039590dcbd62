"""Sentence-aware chunking with exact character offsets: ``text[start:end]`` is always
the chunk itself (sentences from ``qa.text``)."""

from __future__ import annotations

from qa.models import Chunk, content_id
from qa.text import sentences


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
