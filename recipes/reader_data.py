"""The reader's data: SQuAD v1.1 train, SQuAD v1.1 dev split by article, SQuAD 2.0's
unanswerable questions on the same dev articles, and the training examples.

- SQuAD v1.1 train (``SQUAD_TRAIN``, 442 articles none of which is in dev) and dev articles
  0-31 (``TRAIN``): training. Each question with its own paragraph (the gold
  span), and, chosen by the seed, no-answer examples pointing at [CLS]: the question with
  another paragraph of the same article (a third of the questions), and the question with
  its own paragraph less the sentence that holds the answer (another third; on topic,
  unanswerable). With ``similar``, that other paragraph is the one of the article most
  like the question (by the service's embedder) that holds none of its answers.
- SQuAD 2.0's unanswerable questions (``SQUAD_V2``; written to look answerable from their
  paragraph) on dev articles 0-31: real no-answer examples (``unanswerable``) beside those.
- articles 32-35 (``TUNE``): held out from training, for the choices of ``recipes.reader_tune``.
- articles 36-47 (``TEST``): never seen except by ``recipes.reader_tune.evaluate``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from corpora import SquadQuestion, squad2
from qa.text import Range, sentences


@dataclass(frozen=True)
class Example:
    question: str
    context: str
    start: int  # character offsets of the answer in context; -1: no answer
    end: int


def unanswerable(v2: Path, dev: Path, scope: range) -> list[Example]:
    """SQuAD 2.0's unanswerable questions on the dev articles in ``scope``, each with its
    paragraph, pointing at [CLS]."""
    return [
        Example(q, context, -1, -1) for q, context, answers in squad2(v2, dev, scope) if not answers
    ]


def _holds_answer(q: SquadQuestion, text: str) -> bool:
    """Whether any of the question's answers is in ``text`` (case aside)."""
    return any(a.lower() in text.lower() for a in q.answers)


def _paragraphs(qs: list[SquadQuestion]) -> dict[int, list[str]]:
    """Each article's distinct paragraphs, in file order."""
    out: dict[int, list[str]] = {}
    for q in qs:
        if q.context not in out.setdefault(q.article, []):
            out[q.article].append(q.context)
    return out


def _without_answer(q: SquadQuestion) -> str | None:
    """The paragraph less every sentence overlapping the answer, if the answer's words
    are then nowhere in it (else the example would be ambiguous)."""
    start, end = q.answer_start, q.answer_start + len(q.answer)
    kept = [
        q.context[s.start : s.end]
        for s in _sentences(q.context)
        if s.end <= start or s.start >= end
    ]
    rest = " ".join(kept)
    if not rest or _holds_answer(q, rest):
        return None
    return rest


@lru_cache(maxsize=4096)
def _sentences(text: str) -> list[Range]:
    return sentences(text)  # a paragraph has several questions


def similar(qs: list[SquadQuestion]) -> list[list[str]]:
    """For each question, the other paragraphs of its article, the most like it first (the
    service's embedder: the passages retrieval would put beside the gold one)."""
    from qa.encoders import Embedder

    embedder = Embedder()
    paragraphs = _paragraphs(qs)
    vectors = {a: embedder.encode(ps) for a, ps in paragraphs.items()}
    out = []
    for q, v in zip(qs, embedder.encode([q.question for q in qs]), strict=True):
        order = np.argsort(-(vectors[q.article] @ v), kind="stable")
        out.append(
            [paragraphs[q.article][i] for i in order if paragraphs[q.article][i] != q.context]
        )
    return out


def examples(
    qs: list[SquadQuestion], rng: random.Random, ranked: list[list[str]] | None = None
) -> list[Example]:
    """Answerable examples and the two kinds of no-answer examples, chosen by ``rng``. The
    other paragraph is a random one of the article, or with ``ranked`` (``similar``) the one
    most like the question that holds none of its answers (a hard no-answer example)."""
    out: list[Example] = []
    by_article = _paragraphs(qs)
    for n, q in enumerate(qs):
        out.append(Example(q.question, q.context, q.answer_start, q.answer_start + len(q.answer)))
        roll = rng.random()
        if roll < 1 / 3:
            other = rng.choice([c for c in by_article[q.article] if c != q.context])
            if ranked is not None:
                other = next((c for c in ranked[n] if not _holds_answer(q, c)), other)
            if not _holds_answer(q, other):
                out.append(Example(q.question, other, -1, -1))
        elif roll < 2 / 3 and (rest := _without_answer(q)) is not None:
            out.append(Example(q.question, rest, -1, -1))
    return out


def features(tokenizer, batch: list[Example], max_length: int, stride: int) -> dict:
    """Token ids with start/end labels; a window that misses the answer points at [CLS]."""
    enc = tokenizer(
        [e.question for e in batch],
        [e.context for e in batch],
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="longest",
        return_tensors="pt",
    )
    starts, ends = [], []
    for i, sample in enumerate(enc["overflow_to_sample_mapping"].tolist()):
        e, seq = batch[sample], enc.sequence_ids(i)
        offsets = enc["offset_mapping"][i].tolist()
        context = [t for t, sid in enumerate(seq) if sid == 1]
        s_tok = e_tok = 0
        inside = (
            e.start >= 0 and offsets[context[0]][0] <= e.start and e.end <= offsets[context[-1]][1]
        )
        if inside:
            s_tok = next(t for t in context if offsets[t][1] > e.start)
            e_tok = max(t for t in context if offsets[t][0] < e.end)
        starts.append(s_tok)
        ends.append(e_tok)
    import torch

    return {
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "token_type_ids": enc["token_type_ids"],
        "start_positions": torch.tensor(starts),
        "end_positions": torch.tensor(ends),
    }


def batches(data: list[Example], size: int, seed: int, epoch: int) -> list[list[int]]:
    """Shuffled batches of similar lengths (less padding), the same for the same seed."""
    rng = random.Random(seed * 1000 + epoch)
    order = list(range(len(data)))
    rng.shuffle(order)
    pool = size * 50
    out: list[list[int]] = []
    for i in range(0, len(order), pool):
        chunk = sorted(
            order[i : i + pool], key=lambda j: len(data[j].context) + len(data[j].question)
        )
        out += [chunk[k : k + size] for k in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out
