"""How far can the scorer's features go on a gold file? A diagnostic, not a tuning step.

For each gold question, every candidate sentence the answerer would score gets the
features of ``qa.scoring`` (and whether it holds the kind of answer asked for); a
sentence is a positive if it contains an accepted answer. A logistic regression is then
fitted on these very questions (in-sample: the most favourable case) and the threshold
is swept. If even this cannot reach the quality bar (0.9 answered right, 0.8 abstained)
while answering with the single best sentence, no reweighting of these features will:
the missing information has to come from a new feature or model.

    QA_VECTORSTORE_DIR=.cache/eval-store .venv/bin/python eval/ceiling.py [--gold FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from qa.answering import ExtractiveAnswerer
from qa.eval import contains, load_gold
from qa.scoring import Candidates, expected_kind, features, holds
from qa.service import Service
from qa.settings import get_settings


def question_rows(service: Service, gold: Path) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """(features, is-answer labels, answerable) for each gold question's candidates."""
    answerer = service.answerer
    assert isinstance(answerer, ExtractiveAnswerer), "the ceiling is the extractive answerer's"
    out = []
    for row in load_gold(gold):
        question, passages = service.chain.passages(row.question, row.history)
        found = answerer.candidates(passages)
        cands = Candidates([c.text for c in found], [c.passage.text for c in found])
        x = features(question, cands, service.embedder, service.retriever.tokens)
        kind = expected_kind(question)
        typed = np.array([[float(holds(kind, c.text, question))] for c in found])
        labels = np.array([contains(c.text, row.answers) for c in found])
        out.append((np.hstack([x, typed]), labels, bool(row.answers)))
    return out


def sweep(model: LogisticRegression, rows: list) -> tuple[float, float, float, float]:
    """The share of answerable questions whose best sentence holds the answer, and the
    (answered right, abstained, threshold) closest to the bar over thresholds."""
    tops = [(p.max(), bool(labels[p.argmax()]), answerable) for p, labels, answerable in
            ((model.predict_proba(x)[:, 1], labels, a) for x, labels, a in rows)]  # fmt: skip
    first = float(np.mean([hit for _, hit, answerable in tops if answerable]))
    best = (0.0, 0.0, 0.0)
    for threshold in np.arange(0.05, 1.0, 0.01):
        right = np.mean([p >= threshold and hit for p, hit, a in tops if a])
        abstained = np.mean([p < threshold for p, _, a in tops if not a])
        found = (float(right), float(abstained), float(threshold))
        if min(found[0] / 0.9, found[1] / 0.8) > min(best[0] / 0.9, best[1] / 0.8):
            best = found
    return (first, *best)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gold", type=Path, default=Path("eval/gold-seeds.jsonl"))
    args = parser.parse_args()
    rows = question_rows(Service(get_settings()), args.gold)
    x = np.vstack([r[0] for r in rows])
    y = np.concatenate([r[1] for r in rows])
    for c in (0.1, 1.0, 10.0):
        model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y)
        first, right, abstained, threshold = sweep(model, rows)
        print(
            f"C={c}: best sentence right {first:.3f} (never abstaining); answered right "
            f"{right:.3f} and abstained {abstained:.3f} at threshold {threshold:.2f}"
        )


if __name__ == "__main__":
    main()
