"""The reader's longest answer, chosen on SQuAD articles 32-35, and its held-out figures on
36-47, written to ``reader.json`` beside the weights (phases ``tune`` and ``evaluate`` of
``recipes.train_reader``). The answerer's own choices are ``recipes.answer_tune``'s."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from corpora import TEST, TUNE, questions
from qa.answer import Reader
from qa.evaluation import best_f1, exact_match
from recipes.reader_weights import write_config

ANSWER_TOKENS = (10, 15, 20, 30)  # the longest answers tried on articles 32-35


def tune(out: Path, args: argparse.Namespace) -> dict:
    """The longest answer (in tokens) that gives the best F1 on articles 32-35, each question
    given its paragraph (the model alone favours long spans); of equal ones, the longer."""
    loaded = Reader.load(out)
    qs = questions(args.dataset, TUNE)
    scores = {}
    for longest in ANSWER_TOKENS:
        config = dataclasses.replace(loaded.config, max_answer_tokens=longest)
        reader = Reader(loaded.tokenizer, loaded.logits, config, loaded.name)
        scores[longest] = float(
            np.mean([best_f1(reader.read(q.question, [q.context])[0].text, q.answers) for q in qs])
        )
        print(f"max_answer_tokens {longest}: F1 {100 * scores[longest]:.2f}", flush=True)
    best = max(ANSWER_TOKENS, key=lambda n: (round(scores[n], 4), n))
    figures = {
        "max_answer_tokens": best,
        "max_answer_tokens_f1": {str(n): round(100 * v, 2) for n, v in scores.items()},
    }
    write_config(out, figures)
    return figures


def evaluate(out: Path, args: argparse.Namespace) -> dict:
    """SQuAD EM/F1 on the held-out articles 36-47, each question given its paragraph."""
    reader = Reader.load(out)
    qs = questions(args.dataset, TEST)
    started, em, f1 = time.perf_counter(), [], []
    for q in qs:
        text = reader.read(q.question, [q.context])[0].text
        em.append(exact_match(text, list(q.answers)))
        f1.append(best_f1(text, list(q.answers)))
    ms = (time.perf_counter() - started) * 1000 / len(qs)
    figures = {
        "held_out": {
            "articles": "36-47",
            "questions": len(qs),
            "em": round(100 * float(np.mean(em)), 1),
            "f1": round(100 * float(np.mean(f1)), 1),
            "ms_per_question": round(ms, 1),
        }
    }
    write_config(out, figures)
    return figures
