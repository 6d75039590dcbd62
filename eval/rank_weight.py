"""How much a passage's place in the retrieval ranking weighs against the reader's margin.

The reader scores each passage on its own; retrieval knows which passages match the
question best. The weight (logits per place down the ranking) is chosen on the questions
of SQuAD articles 32-35 asked of the whole SQuAD corpus (every paragraph a document, the
benchmark's cached store), as ``/chat`` asks them: never on the seeds gold, never on the
held-out articles 36-47. Written to ``reader.json`` as ``rank_weight``; run by
``eval.train_reader``'s tune phase, or alone:

    .venv/bin/python -m eval.rank_weight [--out qa/reader]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bench.data import load_squad
from bench.metrics import best_f1
from bench.stores import build_ours, settings_for, store_dir
from eval.train_reader import DATASET, TUNE, questions, write_config
from qa.embeddings import Embedder
from qa.reader import Reader, Span, preferred
from qa.service import build_service

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)


def read_open(out: Path, dataset: Path) -> list[tuple[tuple[str, ...], list[Span]]]:
    """Each tuning question's gold answers and the reader's spans over the passages the
    service retrieves for it from the whole corpus."""
    squad = load_squad(dataset)
    directory = store_dir(squad, fresh=False)
    embedder = Embedder()
    build_ours(squad, directory, embedder)
    service = build_service(settings_for(directory, squad.name), embedder)
    reader = Reader.load(out)
    rows = []
    for q in questions(dataset, TUNE):
        passages = [p.text for p in service.search(q.question)]
        rows.append((q.answers, reader.read(q.question, passages)))
    return rows


def rank_weight(out: Path, dataset: Path = DATASET) -> dict:
    """The weight that gives the best F1 of the answer's span (an abstention scores 0)."""
    threshold = Reader.load(out).config.threshold
    rows = read_open(out, dataset)

    def f1(weight: float) -> float:
        scores = []
        for answers, found in rows:
            span = preferred(found, threshold, weight)
            scores.append(best_f1(span.text, list(answers)) if span else 0.0)
        return float(np.mean(scores))

    scores = {w: f1(w) for w in WEIGHTS}
    best = max(WEIGHTS, key=lambda w: (round(scores[w], 4), -w))
    figures = {
        "rank_weight": best,
        "rank_weight_f1_by_weight": {str(w): round(100 * f, 2) for w, f in scores.items()},
    }
    write_config(out, figures)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--out", type=Path, default=Path("qa/reader"))
    args = parser.parse_args()
    print(json.dumps(rank_weight(args.out, args.dataset)), flush=True)


if __name__ == "__main__":
    main()
