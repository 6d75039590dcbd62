"""The answer's choices, made on news and on SQuAD, never on the seeds gold: the weights of
``qa.answer.evidence.SentenceModel`` (which sentence answers), its ``answer`` threshold (whether any
does), its ``span`` threshold (whether the span leads as the short answer), its ``join``
threshold (whether another article is heard beside it) and its ``differ`` share (when
another article's answer makes "the articles differ").

The questions are SQuAD articles 32-35 (each also without the passages that answer it)
and RealTime QA's weeks 2022-06-17 to 2022-08-26, asked as ``/chat`` asks them
(``recipes.answer_data``).

Each question's sentences and their evidence are cached; the fit reads them. Written to
``qa/answer/reader/reader.json`` as ``sentences``:

    .venv/bin/python -m recipes.answer_tune [--out qa/answer/reader] [--fresh]
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from qa.answer import FEATURES, SHIPPED, Other, fits, heard, is_open
from recipes.answer_data import Row, collect
from recipes.reader_weights import write_config

FOLDS = 5
GRID = tuple(round(0.01 * i, 2) for i in range(1, 100))  # answer thresholds tried
SHARES = tuple(round(0.1 * i, 1) for i in range(11))  # "differ" shares tried
MAX_DIFFER = 0.03  # "the articles differ" said falsely on at most this share of SQuAD's answers
MARGINS = tuple(float(m) for m in range(-4, 13))  # span thresholds tried (logits)


# -- the choices ---------------------------------------------------------------------------
Chances = list[np.ndarray]  # per row, each candidate's chance


def design(rows: list[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every candidate's evidence, whether it holds an answer, its question (the SQuAD pairs
    of a question together) and its weight: each set counts alike, and in it each question."""
    per_set = Counter(r.set for r in rows)
    x, y, group, weight = [], [], [], []
    for r in rows:
        for c, holds in zip(r.candidates, r.holds, strict=True):
            x.append(c.features)
            y.append(holds)
            group.append(f"{r.set}:{r.question}")
            weight.append(1.0 / per_set[r.set] / len(r.candidates))
    groups = np.unique(group, return_inverse=True)[1]
    w = np.array(weight)
    return np.array(x), np.array(y), groups, w * len(w) / w.sum()


def fit(rows: list[Row]) -> tuple[LogisticRegression, Chances]:
    """The model over all rows, and each candidate's chance from a model that did not see its
    question (5 folds by question), for the thresholds."""
    x, y, groups, w = design(rows)
    held = np.zeros(len(y))
    for train, test in GroupKFold(FOLDS).split(x, y, groups):
        model = LogisticRegression(C=1.0, max_iter=5000).fit(x[train], y[train], w[train])
        held[test] = model.predict_proba(x[test])[:, 1]
    model = LogisticRegression(C=1.0, max_iter=5000).fit(x, y, w)
    bounds = np.cumsum([0, *(len(r.candidates) for r in rows)])
    return model, [held[a:b] for a, b in itertools.pairwise(bounds)]


def balanced(rows: list[Row], chances: Chances) -> float:
    """The answer threshold: where the share of answerable questions answered equals the share
    of unanswerable ones abstained, each the mean over the two sets."""
    best: dict[str, list[tuple[bool, float]]] = {r.set: [] for r in rows}
    for r, p in zip(rows, chances, strict=True):
        best[r.set].append((r.answerable, float(p.max()) if len(p) else 0.0))

    def gap(t: float) -> float:
        answered = np.mean([np.mean([p >= t for a, p in v if a]) for v in best.values()])
        abstained = np.mean([np.mean([p < t for a, p in v if not a]) for v in best.values()])
        return abs(float(answered - abstained))

    return min(GRID, key=gap)


def span_threshold(rows: list[Row], chances: Chances, answer: float) -> float:
    """The least margin at which the short answers shown are right (SQuAD's exact match)
    for at least half of the answerable questions answered with one: the mean of the two
    sets' shares."""
    shown: dict[str, list[tuple[float, bool]]] = {r.set: [] for r in rows}
    for r, p in zip(rows, chances, strict=True):
        if r.answerable and len(p) and p.max() >= answer:
            best = int(np.argmax(p))
            c = r.candidates[best]
            if c.span is not None and not is_open(r.question) and fits(r.question, c.span.text):
                shown[r.set].append((c.span.margin, r.span_f1[best] == 1.0))
    for least in MARGINS:
        kept = [[right for margin, right in v if margin >= least] for v in shown.values()]
        if all(kept) and np.mean([np.mean(k) for k in kept]) >= 0.5:
            return least
    return MARGINS[-1]


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
    if _sure(r, first, span):
        return first, [first]
    if c.span is not None and c.span.margin >= span and not is_open(r.question):
        same = [i for i in order[1:] if r.candidates[i].passage == c.passage]
        named = next((i for i in same if _sure(r, i, span)), None)
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
        Other(_doc(r, i), float(p[i]), r.candidates[i].span, _sure(r, i, span)) for i in likely
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


def _sure(r: Row, i: int, span: float) -> bool:
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


def choose(rows: list[Row]) -> dict:
    """The weights and thresholds, and what they give on these questions."""
    model, chances = fit(rows)
    answer = balanced(rows, chances)
    span = span_threshold(rows, chances, answer)
    scores = {t: join_scores(rows, chances, (answer, span, t, 1.0)) for t in GRID}
    join = max(GRID, key=lambda t: (scores[t]["all"], -t))
    rates = {x: differ_rate(rows, chances, (answer, span, join, x)) for x in SHARES}
    differ = min((x for x in SHARES if rates[x]["squad"] <= MAX_DIFFER), default=SHARES[-1])
    return {
        "features": list(FEATURES),
        "weights": [round(float(w), 5) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 5),
        "answer_threshold": answer,
        "span_threshold": span,
        "join": join,
        "differ": differ,
        "tune": {
            "join_f1_by_threshold": {str(t): v for t, v in scores.items() if t <= 0.5},
            "differ_rate_by_share": {str(x): v for x, v in rates.items()},
            "questions": dict(
                Counter(f"{r.set} {'answerable' if r.answerable else 'unanswerable'}" for r in rows)
            ),
            "held_out_folds": simulate(rows, chances, (answer, span, join, differ)),
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="recipes.answer_tune", description=__doc__)
    parser.add_argument("--out", type=Path, default=SHIPPED)
    parser.add_argument("--fresh", action="store_true", help="ask the questions again")
    args = parser.parse_args(argv)
    chosen = choose(collect(args.fresh))
    write_config(args.out, {"sentences": chosen})
    print(json.dumps(chosen, indent=2))


if __name__ == "__main__":
    main()
