"""The answer's choices, made on news and on SQuAD, never on the seeds gold: the weights of
``qa.answer.evidence.SentenceModel`` (which sentence answers), its ``answer_threshold``
(whether any does), its ``span_threshold`` (whether the span leads as the short answer),
its ``join`` threshold (whether another article is heard beside it) and its ``differ``
share (when another article's answer makes "the articles differ").

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

from qa.answer import FEATURES, SHIPPED, fits, is_open
from recipes.answer_data import Row, collect
from recipes.answer_simulation import Chances, differ_rate, join_scores, simulate
from recipes.reader_weights import write_config

FOLDS = 5
GRID = tuple(round(0.01 * i, 2) for i in range(1, 100))  # answer thresholds tried
SHARES = tuple(round(0.1 * i, 1) for i in range(11))  # "differ" shares tried
MAX_DIFFER = 0.03  # "the articles differ" said falsely on at most this share of SQuAD's answers
MARGINS = tuple(float(m) for m in range(-4, 13))  # span thresholds tried (logits)


# -- the choices ---------------------------------------------------------------------------


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
