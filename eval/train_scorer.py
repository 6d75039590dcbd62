"""Train the sentence scorer (qa/scorer.json) on SQuAD v1.1 dev, articles 0-23.

For each sampled question, two contexts are built from its own article's paragraphs
ranked by embedding similarity: one holding the gold paragraph (the sentence that
contains a gold answer is the positive), one without it (an on-topic context that does
not answer: nothing there should be quoted). A logistic regression over the features of
``qa.scoring`` learns which sentences answer; the abstention threshold is then chosen on
articles 24-35 to balance answering (when the gold paragraph is there) and abstaining
(when it is not). Articles 36-47 are left for the benchmark.

    .venv/bin/python eval/train_scorer.py [--dataset ../shared/datasets/squad-v1.1/dev-v1.1.json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from qa.chunking import sentences
from qa.embeddings import Embedder
from qa.retrieval import tokenize
from qa.scoring import FEATURES, WEIGHTS, Candidates, features

DATASET = Path(__file__).resolve().parents[2] / "shared/datasets/squad-v1.1/dev-v1.1.json"
PASSAGES = 5


def norm(text: str) -> str:
    text = "".join(c for c in text.lower() if c not in string.punctuation)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def contexts(article: dict, embedder: Embedder, rng: random.Random, per_article: int):
    """(question, answers, [(sentence, paragraph, is_answer)] with and without gold)."""
    paragraphs = [p["context"] for p in article["paragraphs"]]
    vectors = embedder.encode(paragraphs)
    qas = [(i, qa) for i, p in enumerate(article["paragraphs"]) for qa in p["qas"]]
    for gold, qa in rng.sample(qas, min(per_article, len(qas))):
        answers = [norm(a["text"]) for a in qa["answers"]]
        ranked = list(np.argsort(-(vectors @ embedder.encode([qa["question"]])[0])))
        with_gold = [gold, *[i for i in ranked if i != gold][: PASSAGES - 1]]
        without = [i for i in ranked if i != gold][:PASSAGES]
        for chosen, label in ((with_gold, True), (without, False)):
            rows = []
            for i in chosen:
                for span in sentences(paragraphs[i]):
                    text = paragraphs[i][span.start : span.end]
                    hit = label and i == gold and any(a in norm(text) for a in answers)
                    rows.append((text, paragraphs[i], hit))
            yield qa["question"], label, rows


def featurize(articles, embedder, tokenize, rng, per_article):
    X, y, groups = [], [], []
    for article in articles:
        for question, answerable, rows in contexts(article, embedder, rng, per_article):
            cands = Candidates([r[0] for r in rows], [r[1] for r in rows])
            X.append(features(question, cands, embedder, tokenize))
            y.append(np.array([r[2] for r in rows]))
            groups.append(answerable)
    return X, y, groups


def choose_threshold(model, X, y, groups) -> tuple[float, dict]:
    """The threshold that maximises mean(answered right, abstained) on held-out articles."""
    best = (0.0, 0.5, {})
    for threshold in np.arange(0.05, 0.95, 0.01):
        right = abstained = answerable = unanswerable = 0
        for rows, labels, has_gold in zip(X, y, groups, strict=True):
            p = model.predict_proba(rows)[:, 1]
            top = int(p.argmax())
            if has_gold:
                answerable += 1
                right += bool(p[top] >= threshold and labels[top])
            else:
                unanswerable += 1
                abstained += bool(p[top] < threshold)
        value = (right / answerable + abstained / unanswerable) / 2
        if value > best[0]:
            stats = {"answered_right": right / answerable, "abstained": abstained / unanswerable}
            best = (value, float(threshold), stats)
    return best[1], best[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--per-article", type=int, default=60)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    data = json.loads(args.dataset.read_text())["data"]
    rng = random.Random(args.seed)
    embedder = Embedder(cache_size=200_000)
    X, y, _ = featurize(data[:24], embedder, tokenize, rng, args.per_article)
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    model.fit(np.vstack(X), np.concatenate(y))
    Xh, yh, gh = featurize(data[24:36], embedder, tokenize, rng, args.per_article)
    threshold, stats = choose_threshold(model, Xh, yh, gh)
    out = {
        "features": list(FEATURES),
        "weights": [round(float(w), 5) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 5),
        "threshold": round(threshold, 3),
        "trained_on": "SQuAD v1.1 dev, articles 0-23; threshold chosen on articles 24-35",
        "held_out": {k: round(v, 4) for k, v in stats.items()},
        "examples": int(sum(len(r) for r in y)),
    }
    WEIGHTS.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
