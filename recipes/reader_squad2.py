"""The reader on SQuAD 2.0, each question given its paragraph: whether it tells the questions
its paragraph answers from the ones written to look answerable that it does not.

The reader answers when its best span beats the paragraph's "no answer" by at least a
threshold (SQuAD 2.0's ``null_score_diff_threshold``), chosen on articles 32-35 (answerable
and unanswerable) for the best SQuAD 2.0 F1, then measured on the held-out articles 36-47:
the share of unanswerable questions declined, and SQuAD 2.0's EM and F1, which score "no
answer" as right for an unanswerable question and wrong for the others. Written to
``reader.json`` as ``squad2`` (phase ``evaluate`` of ``recipes.train_reader``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from corpora import SQUAD, SQUAD_V2, TEST, TUNE, Squad2, squad2
from qa.answer import Reader
from recipes.reader_weights import write_config


def _read(reader: Reader, rows: list[Squad2]) -> tuple[list[str], np.ndarray]:
    """Each question's best span and its margin over its paragraph's "no answer"."""
    texts, margins = [], []
    for question, context, _ in rows:
        spans = reader.read(question, [context])
        texts.append(spans[0].text if spans else "")
        margins.append(spans[0].margin if spans else -np.inf)
    return texts, np.array(margins)


def _scores(
    rows: list[Squad2], texts: list[str], margins: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """SQuAD 2.0's EM and F1 of each question at ``threshold``."""
    from qa.evaluation import best_f1, exact_match

    em, f1 = [], []
    for (_, _, answers), text, margin in zip(rows, texts, margins, strict=True):
        said = text if margin >= threshold else ""
        if not answers:
            em.append(float(said == ""))
            f1.append(float(said == ""))
        else:
            em.append(exact_match(said, list(answers)) if said else 0.0)
            f1.append(best_f1(said, list(answers)) if said else 0.0)
    return np.array(em), np.array(f1)


def measure(out: Path, v2: Path = SQUAD_V2, dev: Path = SQUAD) -> dict:
    """The threshold chosen on articles 32-35 and the held-out figures on 36-47."""
    reader = Reader.load(out)
    tune_rows, test_rows = squad2(v2, dev, TUNE), squad2(v2, dev, TEST)
    texts, margins = _read(reader, tune_rows)
    candidates = np.quantile(margins[np.isfinite(margins)], np.linspace(0.01, 0.99, 99))
    tuned = {float(t): float(_scores(tune_rows, texts, margins, t)[1].mean()) for t in candidates}
    threshold = max(tuned, key=lambda t: tuned[t])
    texts, margins = _read(reader, test_rows)
    em, f1 = _scores(test_rows, texts, margins, threshold)
    has = np.array([bool(answers) for _, _, answers in test_rows])
    figures = {
        "squad2": {
            "threshold": round(threshold, 3),
            "tune": {
                "articles": "32-35",
                "questions": len(tune_rows),
                "f1": round(100 * tuned[threshold], 1),
            },
            "held_out": {
                "articles": "36-47",
                "questions": len(test_rows),
                "unanswerable": int((~has).sum()),
                "declined_unanswerable": round(float((margins[~has] < threshold).mean()), 3),
                "answered_answerable": round(float((margins[has] >= threshold).mean()), 3),
                "em": round(100 * float(em.mean()), 1),
                "f1": round(100 * float(f1.mean()), 1),
                "has_answer_f1": round(100 * float(f1[has].mean()), 1),
            },
        }
    }
    write_config(out, figures)
    return figures
