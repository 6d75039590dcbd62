"""Train the extractive reader (qa/reader/) on SQuAD v1.1 dev: `make train-reader`.

The bundled all-MiniLM-L6-v2 (a 6-layer BERT) is fine-tuned as a span reader
(``BertForQuestionAnswering``: start and end logits per token, [CLS] meaning "no answer").

Data, from ../shared/datasets/squad-v1.1/dev-v1.1.json, split by article:
- articles 0-31: training. Each question with its own paragraph (the gold span), and,
  chosen by the seed, no-answer examples pointing at [CLS]: the question with another
  paragraph of the same article (a third of the questions), and the question with its own
  paragraph less the sentence that holds the answer (another third; on topic, unanswerable).
  From epoch ``--hard-from`` on, that other paragraph is the one of the article most like
  the question (by the service's embedder) that holds none of its answers: the passage
  retrieval puts beside the gold one, which a random paragraph rarely is.
- articles 32-35: held out from training, for choosing the no-answer threshold.
- articles 36-47: never seen here except by ``evaluate`` (the figures of the model card).

Seeded and deterministic. A checkpoint (model, optimiser, schedule, step, random states)
is written every ``--save-every`` steps to ``--work``; a run that is stopped resumes from
it. Phases, each skipped when its output exists: train -> export (int8 ONNX) -> tune
(longest answer, threshold, rank and overlap weights on articles 32-35) -> evaluate (articles
36-47) -> model card.

    .venv/bin/python -m eval.train_reader [--work DIR] [--epochs 3.5] [--restarts 1.25,2.0,3.0]

``--start-from qa/reader --start-epoch 2.0`` starts at the recipe's step of that epoch from
a shipped reader's dequantised weights (``eval.reader_weights``) with a fresh optimiser: a
later cycle without the fp32 checkpoint, which is not kept.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.reader_weights import save_dequantized, save_model
from qa.embeddings import resolve_model
from qa.reader import Reader, Span, preferred
from qa.settings import BUNDLED_MODEL
from qa.text import sentences

DATASET = Path(__file__).resolve().parents[2] / "shared/datasets/squad-v1.1/dev-v1.1.json"
TRAIN = range(0, 32)
TUNE = range(32, 36)
TEST = range(36, 48)
ANSWER_TOKENS = (10, 15, 20, 30)  # the longest answers tried on articles 32-35
DIFFER_GAPS = tuple(i / 10 for i in range(31))  # "the articles differ" gaps tried (logits)


@dataclass(frozen=True)
class Question:
    """A SQuAD question with its paragraph, its first answer's span and all its answers."""

    article: int
    question: str
    context: str
    answer: str
    answer_start: int
    answers: tuple[str, ...]


def questions(path: Path, scope: range) -> list[Question]:
    """Every question of the articles in ``scope``, in file order."""
    out = []
    for a_index, article in enumerate(json.loads(path.read_text())["data"]):
        if a_index not in scope:
            continue
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                first = qa["answers"][0]
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                ctx = paragraph["context"]
                out.append(
                    Question(
                        a_index, qa["question"], ctx, first["text"], first["answer_start"], answers
                    )
                )
    return out


@dataclass(frozen=True)
class Example:
    question: str
    context: str
    start: int  # character offsets of the answer in context; -1: no answer
    end: int


def _holds_answer(q: Question, text: str) -> bool:
    """Whether any of the question's answers is in ``text`` (case aside)."""
    return any(a.lower() in text.lower() for a in q.answers)


def _paragraphs(qs: list[Question]) -> dict[int, list[str]]:
    """Each article's distinct paragraphs, in file order."""
    out: dict[int, list[str]] = {}
    for q in qs:
        if q.context not in out.setdefault(q.article, []):
            out[q.article].append(q.context)
    return out


def _without_answer(q: Question) -> str | None:
    """The paragraph less every sentence overlapping the answer, if the answer's words
    are then nowhere in it (else the example would be ambiguous)."""
    start, end = q.answer_start, q.answer_start + len(q.answer)
    kept = [
        q.context[s.start : s.end] for s in sentences(q.context) if s.end <= start or s.start >= end
    ]
    rest = " ".join(kept)
    if not rest or _holds_answer(q, rest):
        return None
    return rest


def similar(qs: list[Question]) -> list[list[str]]:
    """For each question, the other paragraphs of its article, the most like it first (the
    service's embedder: the passages retrieval would put beside the gold one)."""
    from qa.embeddings import Embedder

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
    qs: list[Question], rng: random.Random, ranked: list[list[str]] | None = None
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


def cyclic(ends: list[int]):  # type: ignore[no-untyped-def]
    """The learning-rate factor at a step: linear warm-up over 10% of each cycle, then linear
    decay to 0 at its end; each cycle peaks at half the one before (a warm restart)."""

    def factor(step: int) -> float:
        begin = 0
        for k, end in enumerate(ends):
            if step < end or k == len(ends) - 1:
                n, warm, peak = end - begin, max(1, int(0.1 * (end - begin))), 0.5**k
                at = step - begin
                if at < warm:
                    return peak * at / warm
                return peak * max(0.0, (n - at) / max(1, n - warm))
            begin = end
        return 0.0

    return factor


def train(args: argparse.Namespace) -> Path:
    import torch
    from transformers import AutoTokenizer, BertForQuestionAnswering

    final = args.work / "final"
    if (final / "config.json").exists():
        return final
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    base = resolve_model(BUNDLED_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(base)
    step, checkpoint = 0, args.work / "checkpoint.pt"
    start = base
    if args.start_from and not checkpoint.exists():
        start = save_dequantized(args.start_from, base, args.work / "start")
    model = BertForQuestionAnswering.from_pretrained(start).to(device)
    qs = questions(args.dataset, TRAIN)
    data = [examples(qs, random.Random(args.seed))]  # [random negatives, hard negatives]
    if args.hard_from < args.epochs:
        data.append(examples(qs, random.Random(args.seed), similar(qs)))
    per_epoch = len(batches(data[0], args.batch, args.seed, 0))
    plan = []  # (data set, example indices) per step; the same prefix for any --epochs
    for epoch in range(math.ceil(args.epochs)):
        kind = int(epoch >= args.hard_from)
        plan += [(kind, b) for b in batches(data[kind], args.batch, args.seed, epoch)]
    plan = plan[: round(args.epochs * per_epoch)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    cycles = [round(e * per_epoch) for e in args.restarts if e < args.epochs] + [len(plan)]
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, cyclic(cycles))
    if start != base:  # the recipe so far is in the weights; the optimiser starts afresh
        step = round(args.start_epoch * per_epoch)
        for _ in range(step):
            schedule.step()
        print(f"starting at step {step} from {args.start_from}", flush=True)
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["torch_rng"].cpu())
        step = state["step"]
        print(f"resuming at step {step} of {len(plan)}", flush=True)
    print(f"{len(data[0])} examples, {len(plan)} steps of {args.batch}", flush=True)
    model.train()
    started, losses = time.time(), []
    while step < len(plan):
        kind, indices = plan[step]
        batch = features(tokenizer, [data[kind][i] for i in indices], args.max_length, args.stride)
        loss = model(**{k: v.to(device) for k, v in batch.items()}).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        step += 1
        losses.append(loss.item())
        if step % 10 == 0:
            rate = (time.time() - started) / len(losses)
            print(
                f"step {step}/{len(plan)} loss {np.mean(losses[-50:]):.3f} "
                f"{rate:.2f} s/step, {rate * (len(plan) - step) / 60:.0f} min left",
                flush=True,
            )
        if step % args.save_every == 0 or step == len(plan):
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "step": step,
            }
            torch.save(state, checkpoint.with_suffix(".tmp"))
            checkpoint.with_suffix(".tmp").replace(checkpoint)
    model.save_pretrained(final)
    tokenizer.save_pretrained(final)
    return final


def snapshot(args: argparse.Namespace) -> Path:
    """The latest checkpoint as a model folder (to try the later phases during training)."""
    import torch

    state = torch.load(args.work / "checkpoint.pt", weights_only=False, map_location="cpu")
    return save_model(state["model"], resolve_model(BUNDLED_MODEL), args.work / "snapshot")


def export(final: Path, out: Path, args: argparse.Namespace) -> None:
    """The trained model as int8 ONNX (dynamic quantisation) beside its tokenizer."""
    import shutil

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import BertForQuestionAnswering

    class Logits(torch.nn.Module):
        def __init__(self, model: torch.nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.start_logits, out.end_logits

    model = Logits(BertForQuestionAnswering.from_pretrained(final).eval())
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones((2, 16), dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "start_logits", "end_logits"]}
    fp32 = args.work / "model-fp32.onnx"
    torch.onnx.export(
        model,
        dummy,
        str(fp32),
        input_names=names,
        output_names=["start_logits", "end_logits"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    out.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(
        str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True
    )
    shutil.copy(final / "tokenizer.json", out / "tokenizer.json")
    write_config(
        out, {"max_length": args.max_length, "stride": args.stride, "max_answer_tokens": 30}
    )


def write_config(out: Path, update: dict) -> None:
    path = out / "reader.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**data, **update}, indent=2) + "\n")


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
    from qa.answering import agree
    from qa.reader import sure

    gaps = []
    for i in {s.passage for s in spans} - {best.passage}:
        own = [s for s in spans if s.passage == i]
        if any(agree(s.text, best.text) and sure(s, threshold, credit[s]) for s in own):
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
    from qa.text import shared_words

    rows = []
    for q, with_gold, without in _ranked_contexts(questions(args.dataset, TUNE), 5):
        for answerable, passages in ((True, with_gold), (False, without)):
            spans = reader.read(q.question, passages)
            overlap = {
                s: shared_words(q.question, passages[s.passage], s.start, s.end) for s in spans
            }
            rows.append((q, answerable, spans, overlap))
    return rows


def tune(out: Path, args: argparse.Namespace) -> dict:
    """On articles 32-35 (never on the seeds): the longest answer, then the weights that pick
    the answer (``eval.rank_weight``), then the no-answer threshold: the one that best
    balances answering when the gold paragraph is among 5 passages of its article and
    abstaining when it is not (whether the span is right is the reader's part, not the
    threshold's). Then the largest "the articles differ" gap that says so for at most 10%
    of these answered questions (other paragraphs of one article rarely contradict it)."""
    from bench.metrics import best_f1
    from eval.rank_weight import rank_weight

    _longest_answer(out, questions(args.dataset, TUNE))
    weights = rank_weight(out, args.dataset)
    rows = _tune_rows(Reader.load(out), args)
    w = weights["overlap_weight"]
    certainty = np.array([max(w * ov[s] - s.null for s in spans) for _, _, spans, ov in rows])
    yes = np.array([r[1] for r in rows])

    def balanced(t: float) -> float:
        answered = certainty >= t
        return float(answered[yes].mean() + (~answered)[~yes].mean()) / 2

    threshold = float(max(np.quantile(certainty, np.linspace(0.02, 0.98, 97)), key=balanced))
    answered = certainty >= threshold
    right, gaps = [], []
    for (q, answerable, spans, ov), a in zip(rows, answered, strict=True):
        if answerable and a:  # the gold paragraph comes first here: no weight for the rank
            best = preferred(spans, threshold, 0.0, w, ov.__getitem__)
            assert best is not None
            right.append(best_f1(best.text, list(q.answers)) > 0)
            gaps.append(_differ_gap(best, spans, threshold, {s: w * ov[s] for s in spans}))
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
                "sure": _auc(certainty, yes),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--work", type=Path, default=Path(".cache/reader-train"))
    parser.add_argument("--out", type=Path, default=Path("qa/reader"))
    parser.add_argument("--epochs", type=float, default=3.5)
    parser.add_argument(
        "--restarts",
        type=lambda v: [float(x) for x in v.split(",") if x],
        default=[1.25, 2.0, 3.0],
        help="epochs (comma-separated) where the learning rate restarts at half its peak",
    )
    parser.add_argument(
        "--hard-from",
        type=float,
        default=3.0,
        help="the epoch from which the other-paragraph no-answer examples are the paragraphs "
        "most like the question (hard ones) instead of random ones",
    )
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--stride", type=int, default=96)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", help="torch device (default: cuda if there is one, else cpu)")
    parser.add_argument("--save-every", type=int, default=50)
    parser.add_argument(
        "--start-from",
        type=Path,
        help="a reader folder (model.onnx) whose weights, dequantised, stand for the recipe's "
        "first --start-epoch epochs (to add a cycle without the fp32 checkpoint)",
    )
    parser.add_argument("--start-epoch", type=float, default=2.0)
    parser.add_argument("--phase", choices=["all", "export", "tune", "evaluate"], default="all")
    parser.add_argument(
        "--from-checkpoint",
        action="store_true",
        help="export the latest checkpoint instead of training (to try the code)",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.phase in ("all", "export"):
        final = snapshot(args) if args.from_checkpoint else train(args)
        print(f"trained: {final}", flush=True)
        export(final, args.out, args)
        print(f"exported: {args.out / 'model.onnx'}", flush=True)
    if args.phase in ("all", "tune"):
        print(json.dumps(tune(args.out, args)), flush=True)
    if args.phase in ("all", "evaluate"):
        print(json.dumps(evaluate(args.out, args)), flush=True)


if __name__ == "__main__":
    main()
