"""``make bench``: retrieval and answer quality on SQuAD v1.1 dev and RealTime QA, ours
beside a BM25-only baseline and a naive LangChain pipeline, on the same data in one run.

    .venv/bin/python -m bench.quality [--sample 150] [--seed 0] [--all-articles] [--fresh]

Each system has its own freshly loaded embedder, so none gains from embeddings another
one cached; they take the questions in turn, so the machine's load falls on all alike.
Writes bench/results/quality.json and quality.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import archive, report
from bench.metrics import Row, first_hit, grade, paired, ratio, strip_markers, successes, summarise
from bench.quality_md import markdown
from bench.reader import given_paragraph, reader_fingerprint
from bench.stores import build_langchain, describe, langchain_store
from bench.systems import KeywordOnly, NaiveLangChain, Ours, Reply, System
from corpora import (
    CHOICE_WEEKS,
    HELD_OUT_WEEKS,
    REALTIMEQA,
    ROOT,
    SQUAD,
    Dataset,
    Question,
    build_ours,
    load_realtimeqa,
    load_squad,
    settings_for,
)
from corpora import store_dir as cache_dir
from qa.encoders import Embedder
from qa.service import build_service
from qa.settings import Settings

HEADLINE = {"squad": ("accuracy", "recall_at_5"), "realtimeqa": ("accuracy", "hit_at_5")}
WARM_UP = "What is this article about?"  # untimed: first-call costs (index build, caches)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.quality", description=__doc__)
    parser.add_argument("--sample", type=int, default=150, help="SQuAD questions (0: all)")
    parser.add_argument("--seed", type=int, default=0, help="for the SQuAD sample")
    parser.add_argument(
        "--all-articles", action="store_true", help="sample SQuAD questions from all 48 articles"
    )
    parser.add_argument("--fresh", action="store_true", help="build the stores in a temp dir")
    parser.add_argument(
        "--only", choices=["squad", "realtimeqa", "archive"], help="run one dataset"
    )
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--realtimeqa", type=Path, default=REALTIMEQA)
    parser.add_argument("--out", type=Path, default=report.RESULTS)
    return parser.parse_args(argv)


def fresh_embedder(settings: Settings) -> Embedder:
    return Embedder.from_settings(settings)


def factories(settings: Settings, directory: Path) -> list[Callable[[], System]]:
    """How to build each system, each with its own embedder (and embedding cache)."""
    return [
        lambda: Ours(build_service(settings, fresh_embedder(settings))),
        lambda: KeywordOnly(build_service(settings, fresh_embedder(settings))),
        lambda: NaiveLangChain(langchain_store(directory, fresh_embedder(settings))),
    ]


def score(reply: Reply, q: Question, unicode_punctuation: bool) -> Row:
    scores = grade(
        reply.answer, reply.answered, q.answers, q.wrong, unicode_punctuation, reply.short
    )
    return {
        "answer": reply.answer,
        "answered": reply.answered,
        "rank": first_hit(reply.ranked, q.gold),
        "latency_ms": round(reply.latency_ms, 1),
        "words": len(strip_markers(reply.answer).split()),
        "tier": reply.tier,
        **scores,
    }


def per_question(questions: list[Question], rows: dict[str, list[Row]]) -> list[Row]:
    """One record a question: the gold, then each system's answer and scores."""
    out: list[Row] = []
    for i, q in enumerate(questions):
        record: Row = {"id": q.id, "question": q.text, "expected": list(q.answers)}
        for name, system_rows in rows.items():
            record[name] = system_rows[i]
        out.append(record)
    return out


def ratios(
    summary: dict[str, Row], rows: dict[str, list[Row]], metrics: tuple[str, ...]
) -> dict[str, Row]:
    """Ours / each baseline, and the paired comparison on the same questions."""
    out: dict[str, Row] = {}
    for m in metrics:
        mine = successes(rows["ours"], m)
        out[m] = {}
        for b in (name for name in summary if name != "ours"):
            out[m][f"vs_{b}"] = ratio(summary["ours"][m], summary[b][m])
            out[m][f"vs_{b}_paired"] = paired(mine, successes(rows[b], m))
    return out


def run_systems(dataset: Dataset, settings: Settings, directory: Path) -> dict[str, list[Row]]:
    """Every system over every question, interleaved question by question, so that a
    change in the machine's load falls on all of them alike (each has its own cache)."""
    unicode_punctuation = dataset.name == "realtimeqa"
    systems = [make() for make in factories(settings, directory)]
    for system in systems:
        system.ask(WARM_UP)
    rows: dict[str, list[Row]] = {system.name: [] for system in systems}
    started = time.perf_counter()
    for i, q in enumerate(dataset.questions, 1):
        for system in systems:
            rows[system.name].append(score(system.ask(q.text), q, unicode_punctuation))
        if i % 25 == 0 or i == len(dataset.questions):
            elapsed = time.perf_counter() - started
            print(f"  {i}/{len(dataset.questions)} questions, {elapsed:.0f} s", file=sys.stderr)
    return rows


def run_dataset(dataset: Dataset, fresh: bool) -> dict[str, Any]:
    directory = cache_dir(dataset, fresh)
    settings = settings_for(directory, dataset.name)
    print(f"{dataset.name}: {len(dataset.articles)} articles, store {directory}", file=sys.stderr)
    embedder = fresh_embedder(settings)
    stores = {
        "ours": describe(build_ours(dataset, directory, embedder)),
        "langchain": describe(build_langchain(dataset, directory, embedder)),
    }
    print(f"  stores: {stores}", file=sys.stderr)
    rows = run_systems(dataset, settings, directory)
    hit = "hit" if dataset.name == "realtimeqa" else "recall"
    summary = {name: summarise(system_rows, hit) for name, system_rows in rows.items()}
    known = [i for i, q in enumerate(dataset.questions) if q.gold]
    subset = {name: summarise([r[i] for i in known], hit) for name, r in rows.items()}
    weeks = {"choice": CHOICE_WEEKS, "held_out": HELD_OUT_WEEKS}
    by_weeks = {
        part: {
            name: summarise(
                [r[i] for i in known if first <= dataset.questions[i].week <= last], hit
            )
            for name, r in rows.items()
        }
        for part, (first, last) in weeks.items()
    }
    if fresh:
        shutil.rmtree(directory, ignore_errors=True)
    return {
        "store": "(temporary)" if fresh else str(directory.relative_to(ROOT)),
        "stores": stores,
        "notes": dataset.notes,
        "summary": summary,
        "ratios": ratios(summary, rows, HEADLINE[dataset.name]),
        "summary_gold_in_corpus": subset if len(known) < len(dataset.questions) else None,
        "summary_by_weeks": by_weeks if dataset.name == "realtimeqa" else None,
        "questions": per_question(dataset.questions, rows),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    data: dict[str, Any] = {
        "environment": report.environment(),
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }
    data["settings"] = Settings().model_dump(
        mode="json",
        include={
            "chunk_max_chars",
            "chunk_overlap_sentences",
            "k",
            "answer_threshold",
            "span_threshold",
        },
    )
    data["reader"] = reader_fingerprint()
    datasets: dict[str, Any] = {}
    if args.only in (None, "squad"):
        squad = load_squad(args.squad, args.sample, args.seed, args.all_articles)
        datasets["squad"] = run_dataset(squad, args.fresh)
        datasets["squad"]["given_paragraph"] = given_paragraph(squad)
        data["squad_unanswerable"] = archive.unanswerable(squad, args.squad, args.sample, args.seed)
    if args.only in (None, "realtimeqa"):
        datasets["realtimeqa"] = run_dataset(load_realtimeqa(args.realtimeqa), args.fresh)
    if args.only in (None, "archive"):
        data["seeds_archive"] = archive.seeds_in_archive(args.squad)
    data["datasets"] = datasets
    report.finish(data, started)
    text = "\n".join([markdown(data).rstrip("\n"), "", *archive.markdown(data)])
    records = [
        {"dataset": name, **record}
        for name, result in datasets.items()
        for record in result.pop("questions")
    ]
    data["per_question"] = "quality-questions.jsonl"
    report.write("quality", data, text, args.out, records)


if __name__ == "__main__":
    main()
