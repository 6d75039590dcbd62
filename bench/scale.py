"""``make bench-scale``: the service over an archive of 1k, 10k and 100k chunks.

The archive is made of real text: every sentence of the SQuAD v1.1 dev paragraphs and of
the RealTime QA gold articles (40-400 characters) is a pool, and each archive article is
6 to 14 sentences drawn from it at random (seeded), in paragraphs of three, under one of
eight outlets, a date in 2022 and a url of its own, so that no two articles are alike.
The articles go into ``.jsonl`` files and through ``qa ingest`` (a subprocess), stage by
stage; after each stage a server (``uvicorn``, loopback) is started over the store and the
run reports, beside the query floor (one query embedding) measured in the same run:
``/search`` and ``/chat`` p50/p95, ``POST /documents`` of one new article (beside the same
article posted, in turn, to a server over an empty store), the server's
RSS, and the store's size on disk. Ingest throughput is beside the model's raw ``encode``
of a sample of the same chunks. The last stage's ingest is killed (SIGKILL) once and run
again, then checked: every article present exactly once, ``qa doctor`` clean.

    .venv/bin/python -m bench.scale [--sizes 1000 10000 100000] [--requests 32]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.load import Request, alternating, chat_request, latency_stats, load, search_request
from bench.scale_md import markdown
from bench.server import memory_mb, serving
from bench.synthetic import Archive, sentence_pool
from corpora import ROOT, SQUAD, load_squad
from qa.encoders import Embedder
from qa.models import Article
from qa.settings import Settings

POSTS = 33  # articles posted after each stage, to the store and to an empty one (1 warm-up)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.scale", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--requests", type=int, default=32, help="requests per endpoint")
    parser.add_argument("--kill-after", type=float, default=90.0, help="seconds into the last")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=report.RESULTS)
    return parser.parse_args(argv)


def qa(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "qa"), *args], env=env, cwd=ROOT)


def ingest(folder: Path, env: dict[str, str], kill_after: float | None) -> dict[str, Any]:
    """``qa ingest folder`` timed; killed once after ``kill_after`` s and run again."""
    started = time.perf_counter()
    out: dict[str, Any] = {}
    if kill_after is not None:
        process = qa(["ingest", str(folder)], env)
        try:
            process.wait(timeout=kill_after)
            out["killed"] = False  # it finished first
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            out["killed_after_s"] = kill_after
    if qa(["ingest", str(folder)], env).wait() != 0:
        raise SystemExit("qa ingest failed")
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def check(env: dict[str, str], expected: int, settings: Settings) -> dict[str, Any]:
    """Every article present exactly once, and ``qa doctor`` clean."""
    from qa.store import Store

    documents = Store.of(settings).documents(text=False)
    doctor = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "qa"), "doctor"], env=env, cwd=ROOT, capture_output=True
    )
    return {
        "documents": len(documents),
        "expected": expected,
        "distinct_urls": len({d.url for d in documents}),
        "doctor_exit": doctor.returncode,
        "doctor": (doctor.stdout + doctor.stderr).decode().strip().splitlines()[-2:],
    }


def raw_encode(embedder: Embedder, texts: list[str]) -> float:
    """Chunks a second that the encoder itself embeds (what ingest calls, without the cache)."""
    started = time.perf_counter()
    embedder.encoder.encode(texts)
    return round(len(texts) / (time.perf_counter() - started), 1)


def floor(embedder: Embedder, questions: list[str]) -> dict[str, Any]:
    latencies = []
    for q in questions:
        started = time.perf_counter()
        embedder.encoder.encode([q])
        latencies.append((time.perf_counter() - started) * 1000)
    return latency_stats(latencies, sum(latencies) / 1000)


def serve_and_measure(
    settings: Settings, questions: list[str], new: list[Article], logs: Path
) -> dict[str, Any]:
    """Queries and writes over HTTP; the writes also go, in turn with them, to a server
    over an empty store (the figure they are compared with, measured at the same moments)."""
    empty = settings.model_copy(update={"vectorstore_dir": logs / "empty-store"})
    with (
        serving(settings, logs / "server.log") as server,
        serving(empty, logs / "server-empty.log") as blank,
    ):
        load(server.url, [search_request("warm-up"), chat_request("warm-up")], 1)
        half = len(questions) // 2
        posts = [
            Request("POST", "/documents", body=a.model_dump(mode="json", exclude_none=True))
            for a in new
        ]
        out = {
            "search": load(server.url, [search_request(q) for q in questions[:half]], 1),
            "chat": load(server.url, [chat_request(q) for q in questions[half:]], 1),
        }
        alternating([server.url, blank.url], posts[:1])  # warm-up: each server's first write
        out["post_document"], out["post_document_empty"] = alternating(
            [server.url, blank.url], posts[1:]
        )
        # the first search after a write: the keyword index of the new revision
        out["search_after_post"] = load(server.url, [search_request(questions[0])], 1)
        out["memory"] = memory_mb(server.process.pid)
    return out


def disk_mb(folder: Path) -> float:
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return round(size / 2**20, 1)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    data: dict[str, Any] = {"environment": report.environment(), "stages": []}
    embedder = Embedder.from_settings(Settings())
    questions = _questions(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        settings = Settings(vectorstore_dir=Path(tmp) / "store", collection="scale")
        env = os.environ | {  # qa ingest's, over the same store
            "QA_VECTORSTORE_DIR": str(settings.vectorstore_dir),
            "QA_COLLECTION": settings.collection, "QA_CHROMA_URL": "",
        }  # fmt: skip
        archive = Archive(sentence_pool(), settings, args.seed)
        done = 0
        for n, size in enumerate(args.sizes):
            last = n == len(args.sizes) - 1
            articles, sample = archive.stage(size - done, Path(tmp) / f"stage-{size}")
            stage: dict[str, Any] = {"size": size, "articles": articles}
            stage |= _ingested(
                Path(tmp) / f"stage-{size}",
                (env, settings),
                embedder,
                sample,
                done,
                args.kill_after if last else None,
            )
            if last:
                stage["check"] = check(env, archive.made, settings)
            asked, timed = questions[: args.requests], questions[args.requests :][: args.requests]
            questions = questions[2 * args.requests :]
            stage["floor"] = floor(embedder, timed)
            new = [archive.article() for _ in range(POSTS)]
            (logs := Path(tmp) / f"serve-{size}").mkdir()
            stage["http"] = serve_and_measure(settings, asked, new, logs)
            stage["disk_mb"] = disk_mb(settings.vectorstore_dir)
            done = _counts(settings)[1]  # with the articles posted
            data["stages"].append(stage)
            print(json.dumps(stage), file=sys.stderr)
            report.finish(data, started)  # written after every stage: a long run keeps each
            report.write("scale", data, markdown(data), args.out)


def _counts(settings: Settings) -> tuple[int, int]:
    from qa.store import Store

    return Store.of(settings).counts()


if __name__ == "__main__":
    main()


def _ingested(
    folder: Path,
    where: tuple[dict[str, str], Settings],
    embedder: Embedder,
    sample: list[str],
    done: int,
    kill_after: float | None,
) -> dict[str, Any]:
    """A stage's files through ``qa ingest``, timed beside the raw encode of a sample of
    their chunks on both sides of it (noise), and what the store then counts."""
    env, settings = where
    before = raw_encode(embedder, sample)
    stage: dict[str, Any] = {"ingest": ingest(folder, env, kill_after)}
    documents, chunks = _counts(settings)
    stage |= {"documents": documents, "chunks": chunks, "new_chunks": chunks - done}
    stage["ingest"]["chunks_per_s"] = round((chunks - done) / stage["ingest"]["seconds"], 1)
    after = raw_encode(embedder, sample)
    stage["encode_runs"] = [before, after]
    stage["encode_chunks_per_s"] = round((before + after) / 2, 1)
    return stage


def _questions(seed: int) -> list[str]:
    """SQuAD dev's distinct questions, shuffled (seeded): each stage asks its own."""
    questions = list(dict.fromkeys(q.text for q in load_squad(SQUAD).questions))
    random.Random(seed).shuffle(questions)
    return questions
