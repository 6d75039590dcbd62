"""How alike two texts are, in one place: a normalised form of words (for spotting the
same passage twice), their stems (for "red notices" and "red notice"), and the Jaccard
resemblance of their word 3-grams (``qa.ingest.duplicates`` fingerprints articles by them;
retrieval compares passages by them)."""

from __future__ import annotations

import re

from qa.text import stemmer

_NON_WORD = re.compile(r"\[\s*(?:\.\.\.|…)\s*\]|[^\w]+")
SHINGLE = 3  # words


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


def shingles(text: str) -> set[str]:
    """The text's word 3-grams (normalised words; the words themselves when fewer)."""
    words = normalized(text).split()
    if len(words) < SHINGLE:
        return set(words)
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def resemblance(a: str, b: str) -> float:
    """The exact Jaccard similarity of two short texts' 3-grams (for passages)."""
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y) if x and y else 0.0
