"""The rule between articles: which other articles are heard beside the one that answers
best, and whether one of them states a different fact (the articles differ). The answerer
(``qa.answer.extractive``) and its choices (``recipes/answer_tune.py``) both apply it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.answer.kinds import kind
from qa.answer.reading import Span
from qa.similarity import stemmed


def agree(a: str, b: str) -> bool:
    """The same answer: one's words contain the other's, word endings aside ("red notices"
    and "red notice"; ``qa.similarity.stemmed``)."""
    x, y = f" {stemmed(a)} ", f" {stemmed(b)} "
    return x.strip() != "" and y.strip() != "" and (x in y or y in x)


@dataclass(frozen=True)
class Other:
    """A sentence of another article likely enough to answer, as the rule between articles
    sees it: its article, its chance, its span and whether that span is sure."""

    document: str
    chance: float
    span: Span | None
    sure: bool


def heard(
    short: Span | None, chance: float, others: Sequence[Other], share: float, most: int
) -> tuple[list[tuple[int, bool]], bool]:
    """Which other articles are heard beside the best sentence (of ``chance``, its sure
    span ``short`` if any): per article (``others``, each sentence likely enough to join,
    likeliest first), at most ``most``, the index of its sentence whose span states the
    same answer as ``short`` (its span shown), else of its likeliest sentence, whose span
    is shown when it differs: at least ``share`` of ``chance``, sure of its span, and that
    span a fact of the same kind (two dates, numbers or names). Also whether one differs."""
    out: list[tuple[int, bool]] = []
    differ = False
    for doc in dict.fromkeys(o.document for o in others):
        if len(out) == most:
            break
        own = [i for i, o in enumerate(others) if o.document == doc]
        same = [
            i
            for i in own
            if short is not None and (x := others[i].span) is not None and agree(x.text, short.text)
        ]
        top = others[own[0]]
        differs = (
            not same
            and short is not None
            and top.sure
            and top.span is not None
            and top.chance >= share * chance
            and kind(top.span.text) is not None
            and kind(top.span.text) == kind(short.text)
        )
        out.append((same[0], True) if same else (own[0], differs))
        differ |= differs
    return out, differ
