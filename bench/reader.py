"""The reader alone in ``make bench``: which weights the figures are for, and each sampled
SQuAD question given its own paragraph."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bench.metrics import mean
from corpora import Dataset
from qa.answer import SHIPPED, Reader
from qa.evaluation import best_f1, exact_match


def reader_fingerprint() -> dict[str, Any]:
    """Which reader (qa/answer/reader/model.onnx) the figures are for, and its held-out
    figures."""
    fields = json.loads((SHIPPED / "reader.json").read_text())
    return {
        "sha256": hashlib.sha256((SHIPPED / "model.onnx").read_bytes()).hexdigest()[:12],
        "answer_threshold": fields["sentences"]["answer_threshold"],
        "span_threshold": fields["sentences"]["span_threshold"],
        "held_out": fields.get("held_out"),
    }


def given_paragraph(dataset: Dataset) -> dict[str, Any]:
    """The reader alone, each sampled SQuAD question given its own paragraph (the classic
    reading-comprehension setting): EM and F1 of its best span."""
    reader = Reader.load()
    texts = {a.id: a.text for a in dataset.articles}
    em, f1 = [], []
    for q in dataset.questions:
        best = reader.read(q.text, [texts[next(iter(q.gold))]])[0].text
        em.append(exact_match(best, q.answers))
        f1.append(best_f1(best, q.answers))
    return {"questions": len(em), "exact_match": mean(em), "f1": mean(f1)}
