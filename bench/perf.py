"""``make bench-perf``: ingest throughput against the model's raw ``encode``, query latency
of ``/search`` and ``/chat`` in-process and over HTTP (sequential, 8 and 32 concurrent
clients), the floor (one query embedding) and the server's peak memory, at the seed
corpus and at the 2,067-paragraph SQuAD corpus. It prints figures; it asserts nothing.

    .venv/bin/python -m bench.perf [--requests 96]

Every timed query is a distinct SQuAD question, so no query embedding is ever cached;
the embedding cache of passage sentences warms up as in a running service.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from bench import report
from bench.load import Request, chat_request, latency_stats, load, search_request
from bench.perf_md import markdown
from bench.server import memory_mb, serving
from corpora import ROOT, SQUAD, load_squad, settings_for
from qa.encoders import Embedder
from qa.models import Question
from qa.service import Service, build_service
from qa.settings import Settings

SEEDS = ROOT / "seeds"
CONCURRENCY = (1, 8, 32)
FLOOR_QUERIES = 64


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.perf", description=__doc__)
    parser.add_argument("--requests", type=int, default=96, help="requests per setting")
    parser.add_argument("--seed", type=int, default=0, help="for the order of the questions")
    parser.add_argument("--only", choices=["seeds", "squad"], help="measure one corpus")
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--out", type=Path, default=report.RESULTS)
    return parser.parse_args(argv)


def questions(path: Path, seed: int) -> Iterator[str]:
    """Distinct SQuAD questions in a seeded order, each used once."""
    texts = list(dict.fromkeys(q.text for q in load_squad(path).questions))
    random.Random(seed).shuffle(texts)
    yield from texts


def take(pool: Iterator[str], n: int) -> list[str]:
    return [next(pool) for _ in range(n)]


def timed_ms(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def sequential(call: Callable[[str], Any], texts: list[str]) -> list[float]:
    """The latency (ms) of ``call(text)`` for each text, one after the other."""
    return [timed_ms(partial(call, t)) for t in texts]


def floor(embedder: Embedder, pool: Iterator[str]) -> dict[str, Any]:
    """One query's embedding, ``embedder.encode([q])``, for distinct uncached queries."""
    latencies = sequential(lambda q: embedder.encode([q]), take(pool, FLOOR_QUERIES))
    return {"call": "embedder.encode([q])", **latency_stats(latencies, sum(latencies) / 1000)}


def reading_floor(service: Service, pool: Iterator[str]) -> dict[str, Any]:
    """The least an answer costs: one query embedding plus one reader pass over the k
    passages ``/chat`` would read (retrieved untimed beforehand)."""
    reader = getattr(service.chain.answerer, "reader", None)
    if reader is None:
        return {}
    queries = take(pool, FLOOR_QUERIES)
    texts = {q: [p.text for p in service.search(q, service.settings.k)] for q in queries}
    encoder = service.embedder.encoder  # without the embedder's cache

    def call(q: str) -> None:
        encoder.encode([q])
        reader.read(q, texts[q])

    latencies = sequential(call, queries)
    stats = latency_stats(latencies, sum(latencies) / 1000)
    return {"call": f"encode([q]) + reader.read(q, {service.settings.k} passages)", **stats}


def ingest(service: Service, feed: Callable[[Service], Any]) -> dict[str, Any]:
    """Ingest a corpus into an empty store, then ``encode`` the same chunk texts raw."""
    seconds = timed_ms(lambda: feed(service)) / 1000
    documents, chunks = service.store.counts()
    texts = [c.text for c, _ in service.store.all_chunks()]
    encoder = service.embedder.encoder

    def encode() -> Any:  # what Embedder.encode calls, without its cache
        return encoder.encode(texts)

    raw = timed_ms(encode) / 1000
    return {
        "documents": documents,
        "chunks": chunks,
        "ingest_seconds": round(seconds, 2),
        "ingest_chunks_per_s": round(chunks / seconds, 1),
        "encode_seconds": round(raw, 2),
        "encode_chunks_per_s": round(chunks / raw, 1),
        "pipeline_overhead": round(seconds / raw, 2),
    }


def in_process(service: Service, pool: Iterator[str], n: int) -> dict[str, Any]:
    """Sequential ``Service.search`` (k=5, as /search) and ``chain.invoke`` (as /chat)."""
    service.search("warm-up question", 5)
    service.chain.invoke(Question(text="warm-up question"))
    calls: dict[str, Callable[[str], Any]] = {
        "search": lambda q: service.search(q, 5),
        "chat": lambda q: service.chain.invoke(Question(text=q)),
    }
    out: dict[str, Any] = {"floor": reading_floor(service, pool)}
    for endpoint, call in calls.items():
        latencies = sequential(call, take(pool, n))
        out[endpoint] = {"concurrency": 1, **latency_stats(latencies, sum(latencies) / 1000)}
    return out


def over_http(settings: Settings, pool: Iterator[str], n: int, logs: Path) -> dict[str, Any]:
    """The same calls over HTTP. Each number of clients gets a newly started server (a
    cold embedding cache, as in-process), whose memory is read after its requests."""
    builders: dict[str, Callable[[str], Request]] = {"search": search_request, "chat": chat_request}
    out: dict[str, Any] = {"search": [], "chat": [], "server_memory": []}
    for concurrency in CONCURRENCY:
        with serving(settings, logs / f"server-{concurrency}.log") as server:
            load(server.url, [search_request("warm-up"), chat_request("warm-up")], 1)
            for endpoint, build in builders.items():
                requests = [build(q) for q in take(pool, n)]
                out[endpoint].append(load(server.url, requests, concurrency))
                print(f"    http {endpoint} x{concurrency}: {out[endpoint][-1]}", file=sys.stderr)
            memory = memory_mb(server.process.pid)
            out["server_memory"].append({"concurrency": concurrency, **memory})
    return out


def corpus(
    name: str, feed: Callable[[Service], Any], embedder: Embedder, pool: Iterator[str], n: int
) -> dict[str, Any]:
    """Every measurement on one corpus, in a temporary store. The queries in-process go to
    a service with a newly loaded embedder: the one that ingested has every chunk cached,
    which a server started after an ingest does not."""
    with tempfile.TemporaryDirectory(prefix=f"bench-perf-{name}-") as tmp:
        settings = settings_for(Path(tmp), f"perf-{name}")
        result: dict[str, Any] = {"ingest": ingest(build_service(settings, embedder), feed)}
        print(f"  {name} ingest: {result['ingest']}", file=sys.stderr)
        fresh = Embedder.from_settings(settings)
        result["in_process"] = in_process(build_service(settings, fresh), pool, n)
        print(f"  {name} in-process: {result['in_process']}", file=sys.stderr)
        result["http"] = over_http(settings, pool, n, Path(tmp))
    return result


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    data: dict[str, Any] = {"environment": report.environment(), "requests": args.requests}
    pool = questions(args.squad, args.seed)
    settings = Settings()
    embedder = Embedder.from_settings(settings)
    embedder.encoder.encode(["warm-up"] * 8)
    data["floor"] = floor(embedder, pool)
    print(f"floor: {data['floor']}", file=sys.stderr)
    articles = load_squad(args.squad).articles
    feeds: dict[str, Callable[[Service], Any]] = {
        "seeds": lambda service: service.ingest_paths([SEEDS]),
        "squad": lambda service: service.ingest(articles),
    }
    data["corpora"] = {
        name: corpus(name, feed, embedder, pool, args.requests)
        for name, feed in feeds.items()
        if args.only in (None, name)
    }
    report.finish(data, started)
    report.write("perf", data, markdown(data), args.out)


if __name__ == "__main__":
    main()
