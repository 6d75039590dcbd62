"""What one pass of the reader saw: spans with their scores, every window's logits, and
from them the best span within any part of a passage and how much of the reader's belief
lies there (the evidence ``qa.answer.evidence`` weighs each sentence on)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

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
    """One window of a passage as the model read it: where each token lies in the passage
    (``first``, ``last``: -1 for the question's and the special tokens), its start and end
    logits, and their log-sum-exp over "no answer" and the passage's tokens (``own``)."""

    passage: int
    text: str
    first: np.ndarray
    last: np.ndarray
    start: np.ndarray
    end: np.ndarray
    own: tuple[float, float]

    @classmethod
    def of(
        cls, passage: int, text: str, encoding: Encoding, start: np.ndarray, end: np.ndarray
    ) -> Window:
        n = len(encoding.ids)
        context = np.array([sid == 1 for sid in encoding.sequence_ids])
        offsets = np.array(encoding.offsets).reshape(n, 2)
        first, last = (np.where(context, offsets[:, k], -1) for k in (0, 1))
        start, end = start[:n], end[:n]
        own = (_logsumexp(start[context | (np.arange(n) == 0)]),
               _logsumexp(end[context | (np.arange(n) == 0)]))  # fmt: skip
        return cls(passage, text, first, last, start, end, own)

    def tokens(self, start: int, end: int) -> np.ndarray:
        """The passage's tokens that lie within ``[start, end)`` of its text."""
        return np.nonzero((self.first >= start) & (self.last > self.first) & (self.last <= end))[0]

    @property
    def context(self) -> np.ndarray:
        return self.first >= 0


@dataclass(frozen=True)
class Reading:
    """What one pass of the reader saw: the best spans (``Reader.read``), each passage's
    no-answer score, and every window's logits."""

    spans: list[Span]
    windows: list[Window]
    nulls: dict[int, float]
    longest: int  # tokens in a span at most

    @cached_property
    def _of(self) -> dict[int, list[Window]]:
        """Each passage's windows."""
        out: dict[int, list[Window]] = {}
        for w in self.windows:
            out.setdefault(w.passage, []).append(w)
        return out

    @cached_property
    def _every(self) -> float:
        """The log-sum-exp of the start logits over every passage's tokens, plus that of
        the end logits."""
        return sum(
            _logsumexp(np.concatenate([getattr(w, which)[w.context] for w in self.windows]))
            for which in ("start", "end")
        )

    def mass(self, passage: int, start: int, end: int) -> tuple[float, float]:
        """How much of the reader's belief that the answer starts and ends in ``[start, end)``
        of the passage (a sentence) it holds: the log of the start and end probabilities
        summed over its tokens, against the passage's own tokens and its "no answer"
        (``local``), and against every token of every passage read (``overall``)."""
        local = overall = -30.0
        for w in self._of.get(passage, []):
            at = w.tokens(start, end)
            if len(at):
                both = _logsumexp(w.start[at]) + _logsumexp(w.end[at])
                local = max(local, both - w.own[0] - w.own[1])
                overall = max(overall, both - self._every)
        return local, overall

    def within(
        self, passage: int, start: int, end: int, accept: Callable[[str], bool] | None = None
    ) -> Span | None:
        """The best span whose tokens all lie in ``[start, end)`` of passage ``passage`` (a
        sentence), with its passage's no-answer score; None when no token does. With
        ``accept``, the best of the ten best in each window whose text it accepts."""
        text = self._of[passage][0].text if passage in self._of else ""
        best: tuple[float, int, int] | None = None
        for w in self._of.get(passage, []):
            idx = w.tokens(start, end)
            if not len(idx):
                continue
            scores = w.start[idx][:, None] + w.end[idx][None, :]
            gap = idx[None, :] - idx[:, None]
            scores = np.where((gap >= 0) & (gap < self.longest), scores, -np.inf)
            # the hot path (every sentence, no test) takes the best; a test tries ten
            tried = np.argsort(-scores, axis=None)[:10] if accept else [np.argmax(scores)]
            for flat in tried:
                s, e = divmod(int(flat), len(idx))
                a, b = self._clipped(text, int(w.first[idx[s]]), int(w.last[idx[e]]), start, end)
                if np.isfinite(scores[s, e]) and (accept is None or accept(text[a:b])):
                    if best is None or scores[s, e] > best[0]:
                        best = (float(scores[s, e]), a, b)
                    break
        if best is None:
            return None
        return Span(
            passage, best[1], best[2], text[best[1] : best[2]], best[0], self.nulls[passage]
        )

    @staticmethod
    def _clipped(text: str, a: int, b: int, start: int, end: int) -> tuple[int, int]:
        a, b = whole_words(text, a, b)
        return max(a, start), min(b, end)


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
