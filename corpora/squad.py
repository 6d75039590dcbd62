"""SQuAD's questions by article, each with its paragraph: v1.1 dev split by article (0-31 to
train on, 32-35 for choices, 36-47 held out), v1.1 train, and SQuAD 2.0's questions on the
same dev articles (its unanswerable ones among them). Read in place, like
``corpora.datasets``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from corpora.datasets import DATASETS, HELD_OUT

SQUAD_TRAIN = DATASETS / "squad-v1.1/train-v1.1.json"
SQUAD_V2 = DATASETS / "squad-v2.0/dev-v2.0.json"
TRAIN_ARTICLES = 1000  # SQuAD train's article n is article 1000 + n (apart from dev's)
TRAIN = range(0, 32)
TUNE = range(32, 36)
TEST = HELD_OUT


@dataclass(frozen=True)
class SquadQuestion:
    """A SQuAD question with its paragraph, its first answer's span and all its answers."""

    article: int
    question: str
    context: str
    answer: str
    answer_start: int
    answers: tuple[str, ...]


def questions(path: Path, scope: range, offset: int = 0) -> list[SquadQuestion]:
    """Every question of the articles in ``scope``, in file order (article numbers from
    ``offset``)."""
    out = []
    for a_index, article in enumerate(json.loads(path.read_text())["data"], start=offset):
        if a_index not in scope:
            continue
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                first = qa["answers"][0]
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                ctx = paragraph["context"]
                out.append(
                    SquadQuestion(
                        a_index, qa["question"], ctx, first["text"], first["answer_start"], answers
                    )
                )
    return out


def training_questions(dev: Path, train: Path | None) -> list[SquadQuestion]:
    """The questions the reader trains on: dev articles 0-31, then all of SQuAD train."""
    qs = questions(dev, TRAIN)
    if train is not None:
        qs += questions(train, range(TRAIN_ARTICLES, TRAIN_ARTICLES + 10_000), TRAIN_ARTICLES)
    return qs


Squad2 = tuple[str, str, tuple[str, ...]]  # question, paragraph, answers (none: unanswerable)


def squad2(v2: Path, dev: Path, scope: range) -> list[Squad2]:
    """SQuAD 2.0's questions on the v1.1 dev articles in ``scope`` (v2.0 holds 35 of them,
    matched by title), in file order."""
    titles = [a["title"] for a in json.loads(dev.read_text())["data"]]
    return [
        (qa["question"], p["context"], tuple(dict.fromkeys(a["text"] for a in qa["answers"])))
        for article in json.loads(v2.read_text())["data"]
        if titles.index(article["title"]) in scope
        for p in article["paragraphs"]
        for qa in p["qas"]
    ]
