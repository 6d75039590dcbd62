"""``make train-reader``'s options (``recipes.train_reader``): what it trains on and where
it writes, then how it trains."""

from __future__ import annotations

import argparse
from pathlib import Path

from corpora import SQUAD, SQUAD_TRAIN, SQUAD_V2


def options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Train the extractive reader (qa/answer/reader/).")
    _data(parser)
    _training(parser)
    return parser


def _data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", type=Path, default=SQUAD)
    parser.add_argument(
        "--squad-train",
        type=lambda v: Path(v) if v else None,
        default=SQUAD_TRAIN,
        help="SQuAD v1.1 train, trained on beside dev articles 0-31 ('' leaves it out)",
    )
    parser.add_argument(
        "--squad-v2",
        type=lambda v: Path(v) if v else None,
        default=SQUAD_V2,
        help="SQuAD 2.0 dev, whose unanswerable questions on articles 0-31 are no-answer "
        "examples ('' leaves them out)",
    )
    parser.add_argument("--work", type=Path, default=Path(".cache/reader-train"))
    parser.add_argument("--out", type=Path, default=Path("qa/answer/reader"))
    parser.add_argument("--epochs", type=float, default=0.3)
    parser.add_argument(
        "--restarts",
        type=lambda v: [float(x) for x in v.split(",") if x],
        default=[0.15],
        help="epochs (comma-separated) where the learning rate restarts at half its peak",
    )
    parser.add_argument(
        "--hard-from",
        type=float,
        default=3.0,
        help="the epoch from which the other-paragraph no-answer examples are the paragraphs "
        "most like the question (hard ones) instead of random ones",
    )


def _training(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=192)
    parser.add_argument("--stride", type=int, default=64)
    parser.add_argument(
        "--read-length", type=int, default=256, help="the service's window (reader.json)"
    )
    parser.add_argument("--read-stride", type=int, default=96)
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
    parser.add_argument("--start-epoch", type=float, default=0.0)
    parser.add_argument("--phase", choices=["all", "export", "tune", "evaluate"], default="all")
    parser.add_argument(
        "--from-checkpoint",
        action="store_true",
        help="export the latest checkpoint instead of training (to try the code)",
    )
