"""How much a passage's place in the retrieval ranking, and the question's words around a
span, weigh against the reader's margin when it picks the answer.

The reader scores each passage on its own; retrieval knows which passages match the
question best, and the sentence around a right answer usually repeats the question's
words (``qa.text.shared_words``). The two weights (logits per place down the ranking;
logits for the whole question's words around the span) are chosen together on the
questions of SQuAD articles 32-35 asked of the whole SQuAD corpus (every paragraph a
document, the benchmark's cached store), as ``/chat`` asks them: never on the seeds gold,
never on the held-out articles 36-47, with every question answered: which questions are
answered is the threshold's part, chosen after these (``eval.train_reader.tune``).
Written to ``reader.json`` as ``rank_weight`` and ``overlap_weight``; run by
``eval.train_reader``'s tune phase, or alone:

    .venv/bin/python -m eval.rank_weight [--out qa/answer/reader]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from bench.data import load_squad
from bench.metrics import best_f1
from bench.stores import build_ours, settings_for, store_dir
from eval.reader_data import DATASET, TUNE, questions
from eval.reader_weights import write_config
from eval.span_rules import overlaps, preferred
from qa.answer.reader import Reader, Span
from qa.encoders.embeddings import Embedder
from qa.service import build_service

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
OVERLAP_WEIGHTS = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
Row = tuple[tuple[str, ...], list[Span], dict[Span, float]]


def read_open(out: Path, dataset: Path) -> list[Row]:
    """Each tuning question's gold answers, the reader's spans over the passages the service
    retrieves for it from the whole corpus, and the question's words around each span."""
    squad = load_squad(dataset)
    directory = store_dir(squad, fresh=False)
    embedder = Embedder()
    build_ours(squad, directory, embedder)
    service = build_service(settings_for(directory, squad.name), embedder)
    reader = Reader.load(out)
    rows = []
    for q in questions(dataset, TUNE):
        passages = [p.text for p in service.search(q.question)]
        spans = reader.read(q.question, passages)
        rows.append((q.answers, spans, overlaps(q.question, passages, spans)))
    return rows


def rank_weight(out: Path, dataset: Path = DATASET) -> dict:
    """The weights that give the best F1 of the answer's span; of equal ones, the smallest."""
    rows = read_open(out, dataset)

    def f1(weights: tuple[float, float]) -> float:
        scores = []
        for answers, found, overlap in rows:
            span = preferred(found, -math.inf, *weights, overlap.__getitem__)
            scores.append(best_f1(span.text, list(answers)) if span else 0.0)
        return float(np.mean(scores))

    grid = [(r, o) for r in WEIGHTS for o in OVERLAP_WEIGHTS]
    scores = {w: f1(w) for w in grid}
    best = max(grid, key=lambda w: (round(scores[w], 4), -w[1], -w[0]))
    figures = {
        "rank_weight": best[0],
        "overlap_weight": best[1],
        "rank_weight_f1_by_weight": {str(r): round(100 * scores[r, 0.0], 2) for r in WEIGHTS},
        "overlap_weight_f1_by_weight": {
            str(o): round(100 * scores[best[0], o], 2) for o in OVERLAP_WEIGHTS
        },
    }
    write_config(out, figures)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--out", type=Path, default=Path("qa/answer/reader"))
    args = parser.parse_args()
    print(json.dumps(rank_weight(args.out, args.dataset)), flush=True)


if __name__ == "__main__":
    main()
