"""The answerer's rules replayed on the choice data's rows (``recipes.answer_data``): which
sentence leads, which other articles are heard and whether they differ, for one choice of
thresholds; and what that gives (how often "the articles differ" is said falsely, how well
other articles are heard, and held-out folds). ``recipes.answer_tune`` chooses by them."""

from __future__ import annotations

import numpy as np

from qa.answer import Other, fits, heard, is_open
from recipes.answer_data import Row

Chances = list[np.ndarray]  # per row, each candidate's chance


Choice = tuple[float, float, float, float]  # answer, span, join, differ


def lead(r: Row, p: np.ndarray, answer: float, span: float) -> tuple[int | None, list[int]]:
    """As the answerer chooses them (``ExtractiveAnswerer.choose``) on this answered row: the
    sentence whose span is the short answer (None: none), and the sentences that quote the
    first article: the likeliest; a sure span of the wrong kind gives way to the likeliest
    sentence of its passage sure of one of the right kind (both quoted); without a short
    answer, the article's next likeliest sentence too when likely enough on its own. A
    row holds each sentence's best span only, so where the answerer first looks for a span
    of the right kind inside the best sentence (``Reading.within``), this goes straight to
    the passage's other sentences: the choices see that rule a little less often."""
    order = [int(i) for i in np.argsort(-p)]
    first, c = order[0], r.candidates[order[0]]
    if sure(r, first, span):
        return first, [first]
    if c.span is not None and c.span.margin >= span and not is_open(r.question):
        same = [i for i in order[1:] if r.candidates[i].passage == c.passage]
        named = next((i for i in same if sure(r, i, span)), None)
        if named is not None:
            return named, [named, first]
    more = [i for i in order[1:2] if p[i] >= answer and _doc(r, i) == _doc(r, first)]
    return None, [first, *more]


def joined(r: Row, p: np.ndarray, choice: Choice) -> tuple[list[int], bool]:
    """As the answerer's rule between articles (``qa.answer.outlets.heard``) does it on
    this answered row: the sentences of the other articles heard, and whether they differ."""
    answer, span, join, share = choice
    named, quoted = lead(r, p, answer, span)
    first = int(np.argmax(p))
    likely = [i for i in map(int, np.argsort(-p)) if p[i] >= join]
    likely = [i for i in likely if _doc(r, i) != _doc(r, first)]
    others = [
        Other(_doc(r, i), float(p[i]), r.candidates[i].span, sure(r, i, span)) for i in likely
    ]
    short = r.candidates[named].span if named is not None else None
    heard_, differ = heard(short, float(p[first]), others, share, 3 - len(quoted))
    return [likely[i] for i, _ in heard_], differ


def _doc(r: Row, i: int) -> str:
    return r.documents[r.candidates[i].passage]


def answered(
    rows: list[Row], chances: Chances, answer: float, name: str
) -> list[tuple[Row, np.ndarray]]:
    """The answerable questions of set ``name`` that are answered at ``answer``."""
    return [
        (r, p)
        for r, p in zip(rows, chances, strict=True)
        if r.set == name and r.answerable and len(p) and p.max() >= answer
    ]


def differ_rate(rows: list[Row], chances: Chances, choice: Choice) -> dict[str, float]:
    """Per set, the share of the answered answerable questions that the answerer would say
    "the articles differ" on. SQuAD's paragraphs never contradict each other, so there
    every one is false."""
    rates = {}
    for name in dict.fromkeys(r.set for r in rows):
        said = [joined(r, p, choice)[1] for r, p in answered(rows, chances, choice[0], name)]
        rates[name] = round(float(np.mean(said)), 4) if said else 0.0
    return rates


def join_scores(rows: list[Row], chances: Chances, choice: Choice) -> dict[str, float]:
    """How well other articles are heard, per set and over both (``all``: their counts
    pooled, as RealTime QA has about ten questions another article answers, too few to
    weigh alike): the harmonic mean of the share of the sentences heard that hold an answer
    (precision) and of the answered questions with another article whose sentence holds
    one, the share in which one is heard (recall)."""
    counts: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(r.set for r in rows):
        heard_holds, found, could = 0, 0, 0
        total = 0
        for r, p in answered(rows, chances, choice[0], name):
            first = r.documents[r.candidates[int(np.argmax(p))].passage]
            holds = [r.holds[i] for i in joined(r, p, choice)[0]]
            heard_holds, total = heard_holds + sum(holds), total + len(holds)
            could += any(
                h and r.documents[c.passage] != first
                for c, h in zip(r.candidates, r.holds, strict=True)
            )
            found += any(holds)
        counts[name] = np.array([heard_holds, total, found, could], dtype=float)
    counts["all"] = sum(counts.values(), np.zeros(4))
    return {name: _f1(*c) for name, c in counts.items()}


def _f1(holds: float, heard: float, found: float, could: float) -> float:
    precision = holds / heard if heard else 0.0
    recall = found / could if could else 0.0
    return round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0


def simulate(rows: list[Row], chances: Chances, choice: Choice) -> dict:
    """Per set, as the answerer would do it: answered, right (a quoted sentence holds the
    answer), abstained when unanswerable, and the short answer's F1."""
    answer, span = choice[:2]
    out = {}
    for name in dict.fromkeys(r.set for r in rows):
        got = [(r, p) for r, p in zip(rows, chances, strict=True) if r.set == name]
        right: list[bool] = []
        f1s: list[float] = []
        answered: list[bool] = []
        abstained: list[bool] = []
        for r, p in got:
            says = len(p) > 0 and p.max() >= answer
            (answered if r.answerable else abstained).append(says if r.answerable else not says)
            if not r.answerable:
                continue
            if not says:
                right.append(False)
                f1s.append(0.0)
                continue
            named, quoted = lead(r, p, answer, span)
            right.append(any(r.holds[i] for i in [*quoted, *joined(r, p, choice)[0]]))
            f1s.append(r.span_f1[named] if named is not None else 0.0)
        out[name] = {
            "answered": _mean(answered), "right": _mean(right),
            "abstained_unanswerable": _mean(abstained), "short_answer_f1": _mean(f1s),
        }  # fmt: skip
    return out


def sure(r: Row, i: int, span: float) -> bool:
    """As ``SentenceModel.sure``."""
    c = r.candidates[i]
    return (
        c.span is not None
        and c.span.margin >= span
        and not is_open(r.question)
        and fits(r.question, c.span.text)
    )


def _mean(values: list) -> float:
    return round(float(np.mean(values)), 3) if values else 0.0
