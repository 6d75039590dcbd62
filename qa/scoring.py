"""Does this sentence answer this question? Features and a small learned scorer.

Each (question, sentence) pair gets a few features: embedding similarity (absolute and
relative to the best candidate), weighted word overlap with the sentence and with the
passage around it, the share of the question's words found nowhere in the candidates,
and whether the sentence holds the kind of thing asked for (a name, a date, a number).
A logistic regression over them, trained on SQuAD v1.1 (``eval/train_scorer.py``; the
weights are in ``qa/scorer.json``), gives the probability that the sentence answers.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.embeddings import Embedder

WEIGHTS = Path(__file__).with_name("scorer.json")
FEATURES = (
    "similarity",
    "similarity_gap",
    "overlap",
    "overlap_gap",
    "context_overlap",
    "bigram_overlap",
    "missing_terms",
    "kind_expected",
    "kind_missing",
    "passage_similarity",
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
    "thousands?|millions?|billions?|several|half|twice|once"
)
_EXPECT = [  # (kind, question pattern, pattern the supporting sentence must contain)
    ("year", r"\b(what|which) year\b", r"\b(1\d\d\d|20\d\d)s?\b"),
    (
        "date",
        r"^when\b|\b(what|which) (date|day|month|century|decade)\b|\bwhat time\b",
        rf"\b({_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
        r"yesterday|today|tomorrow|last (week|month|year)|century)\b|\b(1\d\d\d|20\d\d)s?\b",
    ),
    (
        "number",
        r"\bhow (many|much|old|long|far|large|big|tall|high)\b|\bwhat (number|percentage|age)\b",
        rf"\d|\b({_NUMBER_WORDS})\b",
    ),
    ("name", r"^(who|whom|whose)\b|\b(who|whom|whose)\b", ""),
    (
        "name",
        r"^where\b|\b(what|which) (\w+ )?(city|country|countries|state|place|town|region|"
        r"agency|organi[sz]ation|group|outlet|newspaper|body|unit|force|person|official)\b",
        "",
    ),
]
# capitalised words that name no one in particular
_COMMON_CAPS = {
    "government", "president", "administration", "the", "a", "an", "u", "s", "us", "however",
    "according", "in", "on", "after", "before", "back", "related", "article", "one", "this",
    "that", "there", "it", "he", "she", "they", "we", "i", "but", "and", "at", "as",
}  # fmt: skip
_GENERIC = {"name", "kind", "type", "exact", "exactli", "happen", "specif", "actual"}
Tokenizer = Callable[[list[str]], list[list[str]]]


def expected_kind(question: str) -> tuple[str, re.Pattern[str]] | None:
    """What kind of thing the question asks for, and how to spot it in a sentence."""
    lowered = question.lower().strip()
    for kind, asks, holds in _EXPECT:
        if re.search(asks, lowered):
            return kind, re.compile(holds, re.IGNORECASE)
    return None


def holds(kind: tuple[str, re.Pattern[str]] | None, sentence: str, question: str) -> bool:
    """Whether the sentence contains an answer of the expected kind not already asked about."""
    if kind is None:
        return True
    name, pattern = kind
    if name == "name":
        asked = {w.lower() for w in re.findall(r"[A-Za-z]+", question)}
        words = re.findall(r"\b[A-Z][A-Za-z-]+", sentence)
        return any(w.lower() not in asked and w.lower() not in _COMMON_CAPS for w in words)
    return pattern.search(sentence) is not None


@dataclass(frozen=True)
class Candidates:
    """Sentences to score, each with the passage it comes from."""

    sentences: Sequence[str]
    passages: Sequence[str]


def features(
    question: str, cands: Candidates, embedder: Embedder, tokenize: Tokenizer
) -> np.ndarray:
    """An (n, len(FEATURES)) array for the n candidate sentences."""
    n = len(cands.sentences)
    if n == 0:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    unique_passages = list(dict.fromkeys(cands.passages))
    vectors = embedder.encode([question, *cands.sentences, *unique_passages])
    sim = vectors[1 : n + 1] @ vectors[0]
    p_sim = dict(zip(unique_passages, vectors[n + 1 :] @ vectors[0], strict=True))
    q_terms = [t for t in dict.fromkeys(tokenize([question])[0]) if t not in _GENERIC]
    s_terms = [set(t) for t in tokenize(list(cands.sentences))]
    p_terms = dict(zip(unique_passages, (set(t) for t in tokenize(unique_passages)), strict=True))
    idf = {t: math.log((n + 1) / (0.5 + sum(t in s for s in s_terms))) + 1 for t in q_terms}
    total = sum(idf.values()) or 1.0
    everywhere = set().union(*p_terms.values())
    missing = sum(idf[t] for t in q_terms if t not in everywhere) / total
    q_bigrams = _bigrams(q_terms)
    kind = expected_kind(question)
    rows = []
    for text, passage, terms in zip(cands.sentences, cands.passages, s_terms, strict=True):
        overlap = sum(idf[t] for t in q_terms if t in terms) / total
        context = sum(idf[t] for t in q_terms if t not in terms and t in p_terms[passage]) / total
        bigram = len(q_bigrams & _bigrams(tokenize([text])[0])) / max(1, len(q_bigrams))
        rows.append(
            [0.0, 0.0, overlap, 0.0, context, bigram, missing, float(kind is not None),
             float(not holds(kind, text, question)), float(p_sim[passage])]
        )  # fmt: skip
    out = np.array(rows, dtype=np.float32)
    out[:, 0] = sim
    out[:, 1] = sim - sim.max()
    out[:, 3] = out[:, 2] - out[:, 2].max()
    return out


def _bigrams(terms: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(terms))


@dataclass(frozen=True)
class Scorer:
    """A logistic regression over ``FEATURES``: the chance a sentence answers."""

    weights: np.ndarray
    bias: float
    threshold: float

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> Scorer:
        data = json.loads(path.read_text())
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path} was trained on other features; retrain it")
        return cls(np.array(data["weights"], dtype=np.float32), data["bias"], data["threshold"])

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(rows @ self.weights + self.bias)))


@lru_cache(maxsize=1)
def default_scorer() -> Scorer:
    return Scorer.load()
