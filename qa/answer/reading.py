"""What one pass of the reader saw: spans with their scores, every window's logits, and
from them the best span within any part of a passage and how much of the reader's belief
lies there (the evidence ``qa.answer.evidence`` weighs each sentence on)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tokenizers import Encoding


@dataclass(frozen=True)
class Span:
    """An answer span in passage ``passage`` (``text == passages[passage][start:end]``)."""

    passage: int
    start: int
    end: int
    text: str
    score: float  # start + end logit
    null: float  # the passage's no-answer score ([CLS] start + end)

    @property
    def margin(self) -> float:
        """How far the span beats "no answer" in its own passage (ranks spans)."""
        return self.score - self.null


@dataclass(frozen=True)
class Window:
    """One window of a passage as the model read it: its tokens and their start and end
    logits."""

    passage: int
    text: str
    encoding: Encoding
    start: np.ndarray
    end: np.ndarray


@dataclass(frozen=True)
class Reading:
    """What one pass of the reader saw: the best spans (``Reader.read``), each passage's
    no-answer score, and every window's logits."""

    spans: list[Span]
    windows: list[Window]
    nulls: dict[int, float]
    longest: int  # tokens in a span at most
    _totals: dict = field(default_factory=dict, compare=False)

    def mass(self, passage: int, start: int, end: int) -> tuple[float, float]:
        """How much of the reader's belief that the answer starts and ends in ``[start, end)``
        of the passage (a sentence) it holds: the log of the start and end probabilities
        summed over its tokens, against the passage's own tokens and its "no answer"
        (``local``), and against every token of every passage read (``overall``)."""
        local = overall = -30.0
        for w in (w for w in self.windows if w.passage == passage):
            at = _tokens(w.encoding, start, end)
            if not at:
                continue
            idx = np.array(at)
            both = []
            for logits, total in (
                (w.start, self._total("start", w)),
                (w.end, self._total("end", w)),
            ):
                both.append(
                    (_logsumexp(logits[idx]) - total[0], _logsumexp(logits[idx]) - total[1])
                )
            local = max(local, both[0][0] + both[1][0])
            overall = max(overall, both[0][1] + both[1][1])
        return local, overall

    def _total(self, which: str, w: Window) -> tuple[float, float]:
        """The log-sum-exp of a window's start (or end) logits over its passage's tokens and
        "no answer", and over every passage's tokens."""
        key = (which, id(w))
        if key not in self._totals:

            def context(v: Window) -> np.ndarray:
                logits = v.start if which == "start" else v.end
                ids = np.array(v.encoding.sequence_ids[: len(logits)]) == 1
                return logits[: len(ids)][ids]

            own = np.concatenate([[(w.start if which == "start" else w.end)[0]], context(w)])
            every = np.concatenate([context(v) for v in self.windows])
            self._totals[key] = (_logsumexp(own), _logsumexp(every))
        return self._totals[key]

    def within(self, passage: int, start: int, end: int) -> Span | None:
        """The best span whose tokens all lie in ``[start, end)`` of passage ``passage`` (a
        sentence), with its passage's no-answer score; None when no token does."""
        best: tuple[float, int, int] | None = None
        for w in (w for w in self.windows if w.passage == passage):
            at = _tokens(w.encoding, start, end)
            if not at:
                continue
            idx = np.array(at)
            scores = w.start[idx][:, None] + w.end[idx][None, :]
            gap = idx[None, :] - idx[:, None]
            scores = np.where((gap >= 0) & (gap < self.longest), scores, -np.inf)
            s, e = divmod(int(np.argmax(scores)), len(idx))
            if best is None or scores[s, e] > best[0]:
                offsets = w.encoding.offsets
                best = (float(scores[s, e]), offsets[idx[s]][0], offsets[idx[e]][1])
        if best is None:
            return None
        text = next(w.text for w in self.windows if w.passage == passage)
        a, b = whole_words(text, best[1], best[2])
        a, b = max(a, start), min(b, end)
        return Span(passage, a, b, text[a:b], best[0], self.nulls[passage])


def _tokens(encoding: Encoding, start: int, end: int) -> list[int]:
    """The passage's tokens that lie within ``[start, end)`` of its text."""
    pairs = zip(encoding.sequence_ids, encoding.offsets, strict=True)
    return [t for t, (sid, (a, b)) in enumerate(pairs) if sid == 1 and start <= a < b <= end]


def _logsumexp(values: np.ndarray) -> float:
    top = float(np.max(values))
    return top + float(np.log(np.sum(np.exp(values - top))))


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """The span widened to whole words ("Soleiman" of "Soleimani" is "Soleimani"), less an
    unmatched bracket or a comma, colon or semicolon at either end ("35 others)")."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    while end > start and (
        text[end - 1] in ",;: " or (text[end - 1] == ")" and "(" not in text[start:end])
    ):
        end -= 1
    while start < end and (
        text[start] in ",;: " or (text[start] == "(" and ")" not in text[start:end])
    ):
        start += 1
    return start, end


def distinct(spans: list[Span]) -> list[Span]:
    """Spans that do not overlap a better one."""
    kept: list[Span] = []
    for s in spans:
        if all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return kept
