"""Grading an answer's text by SQuAD's official rules (normalisation, token F1), with the
length rule every answer must keep (at most 3 sentences and 500 characters)."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

from qa.answer import MAX_CHARS, MAX_SENTENCES
from qa.text import sentences

_MARKER = re.compile(r"\[\d+\]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize(text: str) -> str:
    """Lower case, no punctuation, no a/an/the, single spaces (SQuAD's normalize_answer)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def strip_markers(text: str) -> str:
    """The answer without its citation markers (``[1]``)."""
    return " ".join(_MARKER.sub("", text).split())


def contains(text: str, accepted: Sequence[str]) -> bool:
    """Whether a normalised accepted answer occurs in the normalised text, as whole words."""
    padded = f" {normalize(text)} "
    return any(n and f" {n} " in padded for n in map(normalize, accepted))


def is_correct(answer: str, accepted: Sequence[str]) -> bool:
    """Contains an accepted answer, in at most 3 sentences and 500 characters."""
    answer = strip_markers(answer)
    if len(answer) > MAX_CHARS or len(sentences(answer)) > MAX_SENTENCES:
        return False
    return contains(answer, accepted)


def versions(text: str, accepted: Sequence[str]) -> int:
    """How many different accepted answers the text names: "Ali Algasimehr" and
    "Algasimehr" are one version (one contains the other), "Qassem" and "Qasem" two."""
    found = [normalize(a) for a in accepted if contains(text, [a])]
    return sum(not any(f != g and f" {f} " in f" {g} " for g in found) for f in set(found))


def f1(prediction: str, truth: str) -> float:
    """SQuAD's token F1 of two strings."""
    predicted, expected = normalize(prediction).split(), normalize(truth).split()
    same = sum((Counter(predicted) & Counter(expected)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(expected)
    return 2 * precision * recall / (precision + recall)


def exact_match(answer: str, accepted: Sequence[str]) -> bool:
    """SQuAD's EM: the normalised answer equals a normalised accepted answer."""
    given = normalize(strip_markers(answer))
    return any(given == normalize(a) for a in accepted)


def best_f1(answer: str, accepted: Sequence[str]) -> float:
    """SQuAD's token F1 against the best-matching accepted answer."""
    return max((f1(strip_markers(answer), a) for a in accepted), default=0.0)
