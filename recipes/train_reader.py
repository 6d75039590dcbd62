"""Train the extractive reader (qa/answer/reader/) on SQuAD: `make train-reader`.

The bundled all-MiniLM-L6-v2 (a 6-layer BERT) is fine-tuned as a span reader
(``BertForQuestionAnswering``: start and end logits per token, [CLS] meaning "no answer").

Data (``recipes.reader_data``): SQuAD v1.1 train (87,599 questions) and v1.1 dev articles 0-31
to train on, with synthetic no-answer examples pointing at [CLS] and SQuAD 2.0's real
unanswerable questions on articles 0-31; dev articles 32-35 for the choices; 36-47 only for
the held-out figures (v1.1, and SQuAD 2.0's unanswerable ones: ``recipes.reader_squad2``). From
epoch ``--hard-from`` on, the other paragraph of a synthetic no-answer example is the one
of its article most like the question that holds none of its answers (a hard example).

Seeded and deterministic. A checkpoint (model, optimiser, schedule, step, random states)
is written every ``--save-every`` steps to ``--work``; a run that is stopped resumes from
it, and may be resumed with a longer ``--epochs`` and a ``--restarts`` at the old end (the
batches are the same prefix for any length). Phases, each skipped when its output exists:
train -> export (int8 ONNX) -> tune (longest answer, threshold, rank and overlap weights on
articles 32-35) -> evaluate (articles 36-47).

    .venv/bin/python -m recipes.train_reader --start-from DIR [--epochs 0.3] [--restarts 0.15]

``--start-from DIR`` starts from a reader folder's dequantised int8 weights
(``recipes.reader_weights``) with a fresh optimiser; ``--start-epoch`` moves the schedule on
that far. `make train-reader` starts from the reader shipped at commit 40c73e8 (trained on
dev articles 0-31 only: ``qa/answer/reader/README.md``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from corpora import TRAIN, training_questions
from qa.encoders import resolve_model
from qa.settings import BUNDLED_MODEL
from recipes.reader_data import Example, batches, examples, features, similar, unanswerable
from recipes.reader_squad2 import measure
from recipes.reader_tune import evaluate, tune
from recipes.reader_weights import export, save_dequantized, save_model, write_config
from recipes.train_options import options


def cyclic(ends: list[int]):
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
    """The recipe's model, trained (or resumed from ``--work``'s checkpoint) to the end of
    its plan, saved as a model folder."""
    import torch
    from transformers import AutoTokenizer, BertForQuestionAnswering

    final = args.work / "final"
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    base = resolve_model(BUNDLED_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(base)
    checkpoint, start = args.work / "checkpoint.pt", Path(base)
    if args.start_from and not checkpoint.exists():
        start = save_dequantized(args.start_from, Path(base), args.work / "start")
    model = BertForQuestionAnswering.from_pretrained(start)
    model.to(device)  # type: ignore[arg-type]  # in place; transformers' stub of `to` is off
    data, plan, per_epoch = _plan(args)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    cycles = [round(e * per_epoch) for e in args.restarts if e < args.epochs] + [len(plan)]
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, cyclic(cycles))
    # from a shipped reader, the recipe so far is in the weights; the optimiser starts afresh
    skip = round(args.start_epoch * per_epoch) if start != base else 0
    step = _resume(checkpoint, (model, optimizer, schedule), device, skip)
    if step >= len(plan) and (final / "config.json").exists():
        return final  # trained to the end of this plan; a longer --epochs goes on
    print(f"{len(data[0])} examples, {len(plan)} steps of {args.batch}", flush=True)
    model.train()
    _loop((model, optimizer, schedule), (data, plan), tokenizer, step, args, device)
    model.save_pretrained(final)
    tokenizer.save_pretrained(final)
    return final


def _loop(
    parts: tuple, planned: tuple, tokenizer: Any, step: int, args: argparse.Namespace, device: Any
) -> None:
    """The plan's steps from ``step`` to its end, with a checkpoint every ``--save-every``."""
    data, plan = planned
    started, losses = time.time(), []
    while step < len(plan):
        kind, indices = plan[step]
        batch = features(tokenizer, [data[kind][i] for i in indices], args.max_length, args.stride)
        losses.append(_step(parts, batch, device))
        step += 1
        if step % 10 == 0:
            rate = (time.time() - started) / len(losses)
            print(
                f"step {step}/{len(plan)} loss {np.mean(losses[-50:]):.3f} "
                f"{rate:.2f} s/step, {rate * (len(plan) - step) / 60:.0f} min left",
                flush=True,
            )
        if step % args.save_every == 0 or step == len(plan):
            _save(args.work / "checkpoint.pt", parts, step)


Plan = list[tuple[int, list[int]]]  # per step: which data set, which of its examples


def _plan(args: argparse.Namespace) -> tuple[list[list[Example]], Plan, int]:
    """The examples (with random other paragraphs as no-answer examples, and with hard ones
    when ``--hard-from`` comes before the end), each step's batch (the same prefix for any
    ``--epochs``), and the steps in an epoch."""
    qs = training_questions(args.dataset, args.squad_train)
    real = unanswerable(args.squad_v2, args.dataset, TRAIN) if args.squad_v2 else []
    data = [examples(qs, random.Random(args.seed)) + real]
    if args.hard_from < args.epochs:
        data.append(examples(qs, random.Random(args.seed), similar(qs)) + real)
    per_epoch = len(batches(data[0], args.batch, args.seed, 0))
    plan: Plan = []
    for epoch in range(math.ceil(args.epochs)):
        kind = int(epoch >= args.hard_from)
        plan += [(kind, b) for b in batches(data[kind], args.batch, args.seed, epoch)]
    return data, plan[: round(args.epochs * per_epoch)], per_epoch


def _resume(checkpoint: Path, parts: tuple, device: Any, skip: int) -> int:
    """The step to go on from: the checkpoint's, with the model, optimiser, schedule and
    random state it saved; else ``skip``, the schedule moved on that far."""
    import torch

    model, optimizer, schedule = parts
    if not checkpoint.exists():
        for _ in range(skip):
            schedule.step()
        if skip:
            print(f"starting at step {skip} from a shipped reader", flush=True)
        return skip
    state = torch.load(checkpoint, weights_only=False, map_location=device)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    torch.set_rng_state(state["torch_rng"].cpu())
    print(f"resuming at step {state['step']}", flush=True)
    return int(state["step"])


def _step(parts: tuple, batch: dict, device: Any) -> float:
    """One optimiser step on a batch; its loss."""
    import torch

    model, optimizer, schedule = parts
    loss = model(**{k: v.to(device) for k, v in batch.items()}).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    optimizer.zero_grad()
    return float(loss.item())


def _save(checkpoint: Path, parts: tuple, step: int) -> None:
    """The checkpoint, written whole or not at all (a temporary file, then renamed)."""
    import torch

    model, optimizer, schedule = parts
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "step": step,
    }
    torch.save(state, checkpoint.with_suffix(".tmp"))
    checkpoint.with_suffix(".tmp").replace(checkpoint)


def snapshot(args: argparse.Namespace) -> Path:
    """The latest checkpoint as a model folder (to try the later phases during training)."""
    import torch

    state = torch.load(args.work / "checkpoint.pt", weights_only=False, map_location="cpu")
    return save_model(state["model"], Path(resolve_model(BUNDLED_MODEL)), args.work / "snapshot")


def main() -> None:
    args = options().parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.phase in ("all", "export"):
        final = snapshot(args) if args.from_checkpoint else train(args)
        print(f"trained: {final}", flush=True)
        export(final, args.out, args.work / "model-fp32.onnx")
        window = {"max_length": args.read_length, "stride": args.read_stride}
        write_config(args.out, {**window, "max_answer_tokens": 30})
        print(f"exported: {args.out / 'model.onnx'}", flush=True)
    if args.phase in ("all", "tune"):
        print(json.dumps(tune(args.out, args)), flush=True)
    if args.phase in ("all", "evaluate"):
        print(json.dumps(evaluate(args.out, args)), flush=True)
        print(json.dumps(measure(args.out)), flush=True)


if __name__ == "__main__":
    main()
