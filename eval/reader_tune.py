"""The reader's choices on SQuAD articles 32-35 and its held-out figures on 36-47, written
to ``reader.json`` beside the weights (phases ``tune`` and ``evaluate`` of
``eval.train_reader``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from eval.reader_data import TEST, TUNE, Question, questions, similar
from eval.reader_weights import write_config
from eval.span_rules import certainty, corroborating, overlaps, preferred, sure
from qa.answer.reader import Reader, Span

ANSWER_TOKENS = (10, 15, 20, 30)  # the longest answers tried on articles 32-35
DIFFER_GAPS = tuple(i / 10 for i in range(31))  # "the articles differ" gaps tried (logits)


def _ranked_contexts(qs: list[Question], n: int) -> list[tuple[Question, list[str], list[str]]]:
    """For each question: the gold paragraph with the n-1 paragraphs of its article most like
    the question (answerable), and the n most like it without the gold (unanswerable)."""
    return [
        (q, [q.context, *others[: n - 1]], others[:n])
        for q, others in zip(qs, similar(qs), strict=True)
    ]


def _differ_gap(
    best: Span, spans: list[Span], threshold: float, credit: dict[Span, float]
) -> float | None:
    """How close (in margin) another passage's own answer comes to the best one while saying
    something else, the reader being sure of it (None: no other passage answers otherwise)."""
    gaps = []
    for i in {s.passage for s in spans} - {best.passage}:
        own = [s for s in spans if s.passage == i]
        if corroborating(best, own) is not None:  # the answerer's rule: cited as agreeing
            continue
        if sure(own[0], threshold, credit[own[0]]):
            gaps.append(best.margin - own[0].margin)
    return min(gaps, default=None)


def _longest_answer(out: Path, qs: list[Question]) -> Reader:
    """The reader with the longest answer (in tokens) that gives the best F1 on articles
    32-35, each question given its paragraph (the model alone favours long spans)."""
    import dataclasses

    from bench.metrics import best_f1

    loaded = Reader.load(out)
    scores = {}
    for longest in ANSWER_TOKENS:
        config = dataclasses.replace(loaded.config, max_answer_tokens=longest)
        reader = Reader(loaded.tokenizer, loaded.logits, config, loaded.name)
        f1 = [best_f1(reader.read(q.question, [q.context])[0].text, list(q.answers)) for q in qs]
        scores[longest] = float(np.mean(f1))
        print(f"max_answer_tokens {longest}: F1 {100 * scores[longest]:.2f}", flush=True)
    best = max(ANSWER_TOKENS, key=lambda n: (round(scores[n], 4), n))
    write_config(out, {"max_answer_tokens": best})
    return Reader.load(out)


def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC: the chance that a positive scores above a negative (ties count half)."""
    above = scores[positive][:, None] - scores[~positive][None, :]
    return round(float((above > 0).mean() + (above == 0).mean() / 2), 3)


TuneRow = tuple[Question, bool, list[Span], dict[Span, float]]


def _tune_rows(reader: Reader, args: argparse.Namespace) -> list[TuneRow]:
    """Each question of articles 32-35 with the 5 paragraphs of its article most like it,
    its own among them (answerable) or not: the reader's spans and each span's share of
    the question's words around it."""
    rows = []
    for q, with_gold, without in _ranked_contexts(questions(args.dataset, TUNE), 5):
        for answerable, passages in ((True, with_gold), (False, without)):
            spans = reader.read(q.question, passages)
            rows.append((q, answerable, spans, overlaps(q.question, passages, spans)))
    return rows


def _balanced(scores: np.ndarray, yes: np.ndarray) -> float:
    """The threshold on ``scores`` (``eval.span_rules.certainty``) that best balances answering
    the answerable rows (``yes``) and abstaining on the others."""

    def balance(t: float) -> float:
        answered = scores >= t
        return float(answered[yes].mean() + (~answered)[~yes].mean()) / 2

    return float(max(np.quantile(scores, np.linspace(0.02, 0.98, 97)), key=balance))


def _answers(
    rows: list[TuneRow], answered: np.ndarray, threshold: float, w: float
) -> tuple[list[bool], list[float | None]]:
    """For each answerable row answered: whether its answer overlaps the gold, and how close
    another passage's different answer comes (``_differ_gap``)."""
    from bench.metrics import best_f1

    right, gaps = [], []
    for (q, answerable, spans, ov), a in zip(rows, answered, strict=True):
        if answerable and a:  # the gold paragraph comes first here: no weight for the rank
            best = preferred(spans, threshold, 0.0, w, ov.__getitem__)
            assert best is not None
            right.append(best_f1(best.text, list(q.answers)) > 0)
            gaps.append(_differ_gap(best, spans, threshold, {s: w * ov[s] for s in spans}))
    return right, gaps


def tune(out: Path, args: argparse.Namespace) -> dict:
    """On articles 32-35 (never on the seeds): the longest answer, then the weights that pick
    the answer (``eval.rank_weight``), then the no-answer threshold: the one that best
    balances answering when the gold paragraph is among 5 passages of its article and
    abstaining when it is not (whether the span is right is the reader's part, not the
    threshold's). Then the largest "the articles differ" gap that says so for at most 10%
    of these answered questions (other paragraphs of one article rarely contradict it)."""
    from eval.rank_weight import rank_weight

    _longest_answer(out, questions(args.dataset, TUNE))
    weights = rank_weight(out, args.dataset)
    rows = _tune_rows(Reader.load(out), args)
    w = weights["overlap_weight"]
    best = np.array([max(certainty(s, w * ov[s]) for s in spans) for _, _, spans, ov in rows])
    yes = np.array([r[1] for r in rows])
    threshold = _balanced(best, yes)
    answered = best >= threshold
    right, gaps = _answers(rows, answered, threshold, w)
    rate = {g: float(np.mean([x is not None and x <= g for x in gaps])) for g in DIFFER_GAPS}
    figures = {
        **weights,
        "threshold": round(threshold, 3),
        "differ_gap": max((g for g, r in rate.items() if r <= 0.10), default=0.0),
        "tune": {
            "articles": "32-35",
            "questions": int(yes.sum()),
            "answered": round(float(answered[yes].mean()), 3),
            "answered_right": round(sum(right) / int(yes.sum()), 3),
            "abstained_without_gold": round(float((~answered)[~yes].mean()), 3),
            # how well each score tells the two apart (ROC AUC): the rule's, and the best
            # margin's, which the threshold was on before
            "auc": {
                "sure": _auc(best, yes),
                "margin": _auc(np.array([r[2][0].margin for r in rows]), yes),
            },
            "differ_rate_by_gap": {
                str(g): round(r, 3) for g, r in rate.items() if round(10 * g) % 5 == 0
            },
        },
    }
    write_config(out, figures)
    return figures


def evaluate(out: Path, args: argparse.Namespace) -> dict:
    """SQuAD EM/F1 on the held-out articles 36-47, each question given its paragraph."""
    from bench.metrics import best_f1, exact_match

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
