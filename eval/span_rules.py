"""The span rules of the answerer before the sentence tiers (``qa.answer.extractive``): pick the
span with the best margin, less a cost for its passage's place in the ranking, plus a
credit for the question's words around it, and answer only from a passage whose "no
answer" score is low enough. ``make train-reader`` still chooses their weights and
threshold on SQuAD articles 32-35 (``eval.rank_weight``, ``eval.reader_tune``), as a
measure of the reader: ``reader.json``'s ``tune.auc`` and the figures in ``eval/README.md``
come from them. The service no longer uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qa.answer.reading import Span
from qa.text import agree, shared_words


def preferred(
    spans: Sequence[Span],
    threshold: float,
    rank_weight: float,
    overlap_weight: float = 0.0,
    overlap: Callable[[Span], float] | None = None,
) -> Span | None:
    """Of the spans the reader is sure of (``sure``), the one with the best margin less
    ``rank_weight`` for each place its passage is down the retrieval ranking (passages in
    the order they were retrieved), plus ``overlap_weight`` times ``overlap(span)`` (the
    share of the question's words around it, ``qa.text.shared_words``: from 0 to 1); None
    when it is sure of none."""

    def credit(s: Span) -> float:
        return overlap_weight * overlap(s) if overlap is not None and overlap_weight else 0.0

    # the credit is at most overlap_weight: a passage sure that it holds no answer is skipped
    # before its overlap is worked out, and each overlap is worked out once
    credits = {s: credit(s) for s in spans if sure(s, threshold, max(overlap_weight, 0.0))}
    return max(
        (s for s, c in credits.items() if sure(s, threshold, c)),
        key=lambda s: s.margin - rank_weight * s.passage + credits[s],
        default=None,
    )


def certainty(span: Span, credit: float = 0.0) -> float:
    """How sure the reader is that the span's passage answers: minus its no-answer score,
    plus ``credit`` (for the question's words around the span). It tells answerable
    questions from unanswerable ones better than the best span's margin (SQuAD articles
    32-35: ROC AUC 0.881 against 0.847, ``reader.json``'s ``tune.auc``)."""
    return credit - span.null


def sure(span: Span, threshold: float, credit: float = 0.0) -> bool:
    """Whether the reader is sure enough that the span's passage answers: its
    ``certainty`` is at least ``threshold``."""
    return certainty(span, credit) >= threshold


def corroborating(best: Span, own: list[Span]) -> Span | None:
    """The span of another article (``own``: its spans, best first) that states ``best``'s
    answer: its own best span when that agrees, or another agreeing span of it that beats
    its passage's "no answer"; None when it does not corroborate ``best``."""
    same = [s for s in own if agree(s.text, best.text)]
    return same[0] if same and (same[0] is own[0] or same[0].margin > 0) else None


def overlaps(question: str, passages: list[str], spans: list[Span]) -> dict[Span, float]:
    """Each span's share of the question's words around it (``qa.text.shared_words``)."""
    return {s: shared_words(question, passages[s.passage], s.start, s.end) for s in spans}
