"""The sentence that answers: every sentence of the retrieved passages, weighed on all the
evidence there is for it, as a search engine's featured snippet is chosen.

The evidence for a sentence: the reader's best span inside it and that span's margin over
its passage's "no answer" (``qa.answer.reader.Reading.within``), the passage's own "no answer"
score, the passage's place in the retrieval ranking, the share of the question's words in
the sentence and around the span, whether it holds its passage's best span, and whether
the question is one that no span answers in a word (yes/no, why). A logistic model
over these (``SentenceModel``, its weights in ``reader.json`` beside the reader's, fitted
by ``recipes/answer_tune.py`` on SQuAD articles 32-35 and RealTime QA's weeks to 2022-08-26)
gives each sentence the chance that it answers the question; its two thresholds say when
a sentence answers at all and when its span is sure enough to lead as the short answer.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.answer.kinds import fits
from qa.answer.reader import Reading, Span
from qa.similarity import normalized
from qa.text import passage_sentences, tokenize

# questions that no span answers in a word: yes/no and why (a "how" question may want a
# word, "How did the U.S. label him?", or a clause: the reader's certainty tells)
_OPEN = re.compile(
    r"^\s*(?:is|are|was|were|do|does|did|can|could|will|would|has|have|had|should|why)\b",
    re.IGNORECASE,
)
FLOOR = -20.0  # the margin of a sentence the reader finds no span in, and the lowest kept
FEATURES = (
    "margin",  # the best span's margin over its passage's "no answer" (logits)
    "certainty",  # minus the passage's "no answer" score
    "rank",  # the passage's place in the retrieval ranking (0 first)
    "overlap",  # the share of the question's words in the sentence
    "around",  # the share of the question's words in the sentence outside the span
    "top",  # 1 when the sentence holds its passage's best span
    "open",  # 1 for a yes/no or why question
    "open_margin",  # margin, for an open question
    "open_overlap",  # overlap, for an open question
    "short",  # 1 for a sentence under 40 characters (a headline, a byline)
    "behind",  # how far its margin is behind the best sentence's (logits)
    "rare",  # overlap, each word weighed by how few of the sentences have it
    "place",  # its place among the sentences by margin (0 first, at most 10)
    "local",  # the log of the reader's start and end probability in it, in its passage
    "overall",  # the same, against every passage read
)


def is_open(question: str) -> bool:
    """A yes/no or why question."""
    return _OPEN.match(question) is not None


@dataclass(frozen=True)
class Candidate:
    """A sentence of retrieved passage ``passage``, ``[start, end)`` in its text, the
    reader's best span in it, and the evidence for it (``FEATURES``, in order)."""

    passage: int
    start: int
    end: int
    span: Span | None
    features: tuple[float, ...]


def candidates(question: str, texts: Sequence[str], reading: Reading) -> list[Candidate]:
    """Every sentence of the passages once (the first time it is seen: passages overlap by a
    sentence, and near-copies repeat them), with its evidence."""
    where = _sentences(texts)
    spans = [reading.within(i, a, b) for i, a, b in where]
    pieces = [texts[i][a:b] for i, a, b in where]
    outside = [
        f"{texts[i][a : s.start]} {texts[i][s.end : b]}" if s else texts[i][a:b]
        for (i, a, b), s in zip(where, spans, strict=True)
    ]
    asked, *tokens = (set(t) for t in tokenize([question, *pieces, *outside]))
    n = len(where)
    rarity = {t: math.log((n + 1) / (sum(t in x for x in tokens[:n]) + 0.5)) for t in asked}
    margins = [max(FLOOR, min(-FLOOR, s.margin)) if s else FLOOR for s in spans]
    order = {k: place for place, k in enumerate(sorted(range(n), key=lambda k: -margins[k]))}
    tops, best, weight = _tops(reading), max(margins, default=FLOOR), sum(rarity.values())
    flag = float(is_open(question))
    out = []
    for k, ((i, a, b), span) in enumerate(zip(where, spans, strict=True)):
        top = i in tops and a <= tops[i].start and tops[i].end <= b
        rare = sum(rarity[t] for t in asked & tokens[k]) / (weight or 1.0)
        local, overall = reading.mass(i, a, b)
        share = _share(asked, tokens[k])
        row = (
            margins[k], -reading.nulls.get(i, -FLOOR), float(i), share,
            _share(asked, tokens[n + k]), float(top), flag, flag * margins[k], flag * share,
            float(b - a < 40), best - margins[k], rare, float(min(order[k], 10)),
            max(local, -30.0), max(overall, -30.0),
        )  # fmt: skip
        out.append(Candidate(i, a, b, span, row))
    return out


def _tops(reading: Reading) -> dict[int, Span]:
    """Each passage's best span."""
    tops: dict[int, Span] = {}
    for s in reading.spans:  # best first
        tops.setdefault(s.passage, s)
    return tops


def _sentences(texts: Sequence[str]) -> list[tuple[int, int, int]]:
    """(passage, start, end) of every sentence, each text once."""
    where: list[tuple[int, int, int]] = []
    seen: set[str] = set()
    for i, text in enumerate(texts):
        for r in passage_sentences(text):
            norm = normalized(text[r.start : r.end])
            if norm and norm not in seen:
                seen.add(norm)
                where.append((i, r.start, r.end))
    return where


def _share(asked: set[str], words: set[str]) -> float:
    return len(asked & words) / len(asked) if asked else 0.0


@dataclass(frozen=True)
class SentenceModel:
    """The chance that a sentence answers (a logistic model over ``FEATURES``), the least
    chance that answers at all (``answer_threshold``), the least margin of its span over
    "no answer" for that span to lead as the short answer (``span_threshold``), the least
    chance at which another article's sentence joins the answer (``join``), and the least
    share of the best sentence's chance at which another article's sure answer of the same
    kind makes "the articles differ" (``differ``)."""

    weights: tuple[float, ...] = (0.14, 0.08, -0.2, 1.1, 1.1, 0.2, 0.0, 0.0, 0.2, 0.1) + (0.0,) * 5
    bias: float = -3.0
    answer_threshold: float = 0.3
    span_threshold: float = 2.0
    differ: float = 0.5  # another article's answer differs only at this share of the chance
    join: float = 0.3
    tune: dict = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls, folder: Path) -> SentenceModel:
        """``reader.json``'s ``sentences``, else the defaults."""
        path = folder / "reader.json"
        data = json.loads(path.read_text()).get("sentences") if path.exists() else None
        if not data or tuple(data.get("features", ())) != FEATURES:
            return cls()
        return cls(
            tuple(data["weights"]),
            data["bias"],
            data["answer_threshold"],
            data["span_threshold"],
            data.get("differ", cls.differ),
            data.get("join", data["answer_threshold"]),
            data.get("tune", {}),
        )

    def chance(self, c: Candidate) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, c.features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def sure(self, c: Candidate, question: str, threshold: float | None = None) -> bool:
        """Whether the sentence's span leads as the short answer: its margin over "no
        answer" is at least ``threshold`` (default ``span_threshold``), the question is not one that
        no span answers in a word, and the span is of the kind it asks for."""
        least = self.span_threshold if threshold is None else threshold
        return (
            c.span is not None
            and c.span.margin >= least
            and not is_open(question)
            and fits(question, c.span.text)
        )
