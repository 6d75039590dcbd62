"""Text helpers shared by every stage: sentences with offsets (pysbd), and search tokens
(bm25s's tokenizer with a Snowball stemmer). How alike two texts are is
``qa.similarity``'s.

Sentences never cross a line break and are located in the original text, so that
``text[start:end]`` is always the sentence itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import bm25s
import pysbd
import Stemmer

_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Range:
    """A [start, end) range of a text, trimmed of surrounding white space."""

    start: int
    end: int


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[Range]:
    """The sentences of ``text`` as offsets into it, in order (abbreviation-aware: "U.S."
    and "Gen." do not end a sentence)."""
    spans: list[Range] = []
    for line in _LINE.finditer(text):
        cursor = line.start()
        # not pysbd's ``segment``: it finds each sentence again with a regex compiled for
        # that sentence (a third of its time, and it floods ``re``'s cache)
        for piece in _segmenter().processor(line.group()).process():
            piece = piece.strip()
            if not piece:
                continue
            start = text.find(piece, cursor, line.end())
            if start < 0:  # pysbd altered the text; fall back to the rest of the line
                start, piece = cursor, text[cursor : line.end()].strip()
            spans.append(Range(start, start + len(piece)))
            cursor = start + len(piece)
    return [s for s in spans if text[s.start : s.end].strip()]


@lru_cache(maxsize=1)
def stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens (bm25s's tokenizer, Snowball stemmer)."""
    out = bm25s.tokenize(
        texts, stopwords="en", stemmer=stemmer(), return_ids=False, show_progress=False
    )
    return [list(t) for t in out]


@lru_cache(maxsize=256)
def passage_sentences(text: str) -> tuple[Range, ...]:
    """``sentences`` of a retrieved passage, kept for the passages of the last questions:
    the words around each of its spans and the answer's quote look them up."""
    return tuple(sentences(text))
