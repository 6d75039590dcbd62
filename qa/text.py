"""Text helpers shared by every stage: sentences with offsets (pysbd), search tokens
(bm25s's tokenizer with a Snowball stemmer), the question's words around a candidate
answer, a normalised form for comparing passages, and whether two short answers agree and
what kind of fact each is.

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

_MONTH = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday)\b|\b(?:1[5-9]|20)\d\d\b"
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundreds?|thousands?|millions?|billions?|dozens?)\b",
    re.IGNORECASE,
)
_SMALL = {"of", "the", "and", "for", "de", "al", "bin", "von", "van", "la", "le", "'s"}
_LINE = re.compile(r"[^\n]+")
_NON_WORD = re.compile(r"\[\s*(?:\.\.\.|…)\s*\]|[^\w]+")


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


def shared_words(question: str, text: str, start: int, end: int) -> float:
    """The share of the question's search tokens (``tokenize``) that the sentence(s) holding
    ``text[start:end]`` have outside it: how well the words around a candidate answer
    match the question."""
    around = [r for r in passage_sentences(text) if r.start < end and r.end > start]
    lo, hi = (around[0].start, around[-1].end) if around else (start, end)
    asked, near = (set(t) for t in tokenize([question, f"{text[lo:start]} {text[end:hi]}"]))
    return len(asked & near) / len(asked) if asked else 0.0


def normalized(text: str) -> str:
    """Lower case words only, for spotting the same passage twice."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def stemmed(text: str) -> str:
    """``normalized`` words, each Snowball-stemmed (none left out): "red notices" and "red
    notice" read the same."""
    return " ".join(stemmer().stemWords(normalized(text).split()))


def is_duplicate(text: str, seen: list[str]) -> bool:
    """Whether ``text`` (normalized) equals or is contained in one already seen."""
    return any(text in other for other in seen)


def agree(a: str, b: str) -> bool:
    """The same answer: one's words contain the other's, word endings aside ("red notices"
    and "red notice"; ``qa.text.stemmed``)."""
    x, y = f" {stemmed(a)} ", f" {stemmed(b)} "
    return x.strip() != "" and y.strip() != "" and (x in y or y in x)


def kind(text: str) -> str | None:
    """What kind of fact a short answer is: "date", "number", "name" (every word
    capitalised), or None (anything else, which no other answer can contradict)."""
    if _MONTH.search(text):
        return "date"
    if _NUMBER.search(text):
        return "number"
    words = [w for w in text.split() if w.lower() not in _SMALL]
    return "name" if words and all(w[:1].isupper() for w in words) else None
