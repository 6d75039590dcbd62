"""Two sets of ``make bench`` about declining and about a newsroom's scale:

- SQuAD 2.0's unanswerable questions on the held-out articles 36-47 (written by crowd
  workers to look answerable from their paragraph), asked of the whole SQuAD dev corpus as
  ``POST /chat`` asks them: the share declined (``unanswerable``).
- The seeds gold (``eval/gold-seeds.jsonl``) asked over the seeds alone and over the seeds
  plus the 2,270 unrelated real articles of the archive (every SQuAD dev paragraph and every
  RealTime QA gold article), by ``qa eval``'s own code: accuracy, abstention, and the
  answers that cite an article that is not a seed (``seeds_in_archive``).
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.report import cell, table
from bench.systems import Ours
from corpora import (
    HELD_OUT,
    SQUAD_V2,
    Dataset,
    build_ours,
    load_realtimeqa,
    load_squad,
    settings_for,
    squad2,
    store_dir,
)
from qa.encoders import Embedder
from qa.evaluation import evaluate_service
from qa.ingest import files, parse
from qa.models import Article
from qa.service import Service, build_service
from qa.settings import Settings

GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold-seeds.jsonl"
SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def unanswerable_questions(squad: Path, n: int, seed: int) -> list[str]:
    """``n`` of SQuAD 2.0's unanswerable questions on v1.1 dev's held-out articles, drawn
    with a seeded generator."""
    pool = [q for q, _, answers in squad2(SQUAD_V2, squad, HELD_OUT) if not answers]
    return random.Random(seed).sample(pool, min(n, len(pool))) if n > 0 else pool


def unanswerable(squad: Dataset, squad_path: Path, n: int, seed: int) -> dict[str, Any]:
    """Our service over the SQuAD benchmark's store: the share of the questions declined."""
    directory = store_dir(squad, fresh=False)
    service = build_service(settings_for(directory, squad.name), Embedder())
    ours = Ours(service)
    questions = unanswerable_questions(squad_path, n, seed)
    declined = [not ours.ask(q).answered for q in questions]
    print(f"  SQuAD 2.0 unanswerable: {sum(declined)}/{len(declined)} declined", file=sys.stderr)
    return {
        "questions": len(questions),
        "declined": round(sum(declined) / len(declined), 3),
        "seed": seed,
    }


def _archive(squad_path: Path) -> Dataset:
    """Every SQuAD dev paragraph and every RealTime QA gold article, as one corpus."""
    articles = load_squad(squad_path).articles + load_realtimeqa().articles
    unique = list({a.id: a for a in articles}.values())
    return Dataset("archive", unique, [])


def _seeds() -> list[Article]:
    """The seed files' articles, as ``qa ingest`` reads them (their origin, its path)."""
    limit = Settings().max_file_bytes
    return [a for p in files([SEEDS]) for a in parse(p.name, p.read_bytes(), limit, str(p))]


def _seeds_report(service: Service, out: Path, talk: bool = False) -> dict[str, Any]:
    """``qa eval`` of the seeds gold over ``service``, with the answers that cite an
    article that is not a seed (and with ``talk``, the questions as one conversation)."""
    report = evaluate_service(service, GOLD, out, talk=talk)
    seeds = {d.id for d in service.store.documents(text=False) if d.origin}
    unrelated = [
        row["id"]
        for row in report["questions"]
        if any(c["document_id"] not in seeds for c in row["citations"])
    ]
    overall = report["overall"]
    return {
        "documents": service.store.counts()[0],
        "answer_accuracy": overall["answer_accuracy"],
        "abstention": overall["abstention"],
        "false_abstention": overall["false_abstention"],
        "answers_citing_unrelated": len(unrelated),
        "unrelated_ids": unrelated,
        "latency_p50_ms": overall["latency_p50_ms"],
        **({"conversation": report["conversation"]} if talk else {}),
    }


def seeds_in_archive(squad_path: Path) -> dict[str, Any]:
    """The seeds gold over the seeds alone (a fresh store) and over the seeds plus the
    archive (cached under ``.cache/bench-archive-*``)."""
    embedder = Embedder()
    archive = _archive(squad_path)
    both = Dataset("archive", archive.articles + _seeds(), [])
    directory = store_dir(both, fresh=False)
    build_ours(both, directory, embedder)
    big = build_service(settings_for(directory, both.name), embedder)
    with tempfile.TemporaryDirectory(prefix="bench-seeds-") as alone:
        # its own embedder: the int8 encoder quantises activations per batch, so a chunk
        # cached from the archive's batches is not the vector `qa ingest seeds` makes
        small = build_service(settings_for(Path(alone), "seeds"), Embedder())
        small.ingest_paths([SEEDS])
        result = {
            "seeds_alone": _seeds_report(small, Path(alone) / "report", talk=True),
            "seeds_in_archive": _seeds_report(big, Path(alone) / "report-archive"),
            "archive_articles": len(archive.articles),
        }
    print(f"  seeds in the archive: {result}", file=sys.stderr)
    return result


def markdown(data: dict[str, Any]) -> list[str]:
    """The two sets' tables, for ``quality.md``."""
    lines: list[str] = []
    if data.get("squad_unanswerable"):
        u = data["squad_unanswerable"]
        lines += [
            "## SQuAD 2.0's unanswerable questions, held-out articles 36-47",
            "",
            f"{u['questions']} questions (seed {u['seed']}) written to look answerable from "
            "their paragraph, asked of the whole SQuAD dev corpus as `POST /chat` asks them: "
            f"ours declined **{cell(u['declined'])}** of them.",
            "",
        ]
    if data.get("seeds_archive"):
        s = data["seeds_archive"]
        fields = [*("documents", "answer_accuracy", "abstention", "false_abstention")]
        fields += ["answers_citing_unrelated", "latency_p50_ms"]
        rows = [
            [name.replace("_", " "), *(r[f] for f in fields)]
            for name, r in s.items()
            if isinstance(r, dict)
        ]
        lines += [
            "## The seeds gold in a newsroom's archive",
            "",
            f"`eval/gold-seeds.jsonl` by `qa eval`'s code over the seeds alone and over the "
            f"seeds plus {s['archive_articles']:,} unrelated real articles (every SQuAD dev "
            "paragraph and RealTime QA gold article).",
            "",
            *table(
                [
                    *("store", "documents", "accuracy", "abstention", "false abstention"),
                    *("answers citing an unrelated article", "p50 ms"),
                ],
                rows,
            ),
            "",
            *_talk(s["seeds_alone"].get("conversation")),
        ]
    return lines


def _talk(talk: dict[str, Any] | None) -> list[str]:
    """The seeds gold asked as one conversation, beside each question asked alone."""
    if not talk:
        return []
    said = [f"{r['question']} → {r['as']}" for r in talk["rewritten"]]
    return [
        "## The seeds gold as one conversation",
        "",
        "Every question asked one after another over the seeds alone, each with the history "
        "before it as the page sends it (`qa eval --conversation`): accuracy "
        f"{cell(talk['accuracy'])} (each alone {cell(talk['accuracy_alone'])}), follow-ups "
        f"{cell(talk['follow_up_accuracy'])} (alone {cell(talk['follow_up_accuracy_alone'])}); "
        f"{len(said)} of the {talk['standalone_questions']} questions that stand on their own "
        f"rewritten{': ' + '; '.join(said) if said else ''}.",
        "",
    ]
