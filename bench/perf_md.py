"""The Markdown of the performance benchmark."""

from __future__ import annotations

from typing import Any

from bench.report import cell, table

NOTES = """## How the figures are made

- **Ingest**: `Service.ingest` (squad: 2,067 `Article`s; seeds: `ingest_paths(seeds/)`)
  into an empty temporary store: reading, sentence splitting, chunking, embedding, Chroma
  writes. **Raw encode**: right after, the service's own encoder (`Embedder.encoder`, by
  default the int8 ONNX model) on the same chunk texts (batch size
  QA_EMBEDDING_BATCH_SIZE), no cache.
  Overhead = ingest time / raw encode time (1.0 would mean ingest is all embedding).
- **Floor**: `embedder.encode([q])` for one distinct, uncached question: no query can be
  answered faster than its own embedding.
- **In-process**: `Service.search(q, 5)` (what `GET /search` runs) and
  `service.chain.invoke(q)` (what `POST /chat` runs), sequential, after one warm-up, on a
  service with a newly loaded embedder (the ingesting one has every chunk cached).
- **HTTP**: `uvicorn --factory qa.api:create_app` in a subprocess on 127.0.0.1 over the
  same store (`QA_RATE_LIMIT=off`), a new server for each number of clients, so each
  starts with a cold embedding cache; `GET /search?q=..&k=5`, then `POST /chat
  {"message": q}`, from `httpx.AsyncClient`, a fixed number of requests per row, at most
  N in flight. Latency is per request (queueing included); req/s = requests / wall time.
- Every timed request asks a different SQuAD question (never a cached query embedding);
  embeddings of passage sentences are cached as the service does, warming up over a row.
- **Peak RSS**: the server process's `VmHWM` (/proc/<pid>/status) after its requests.
- Timings depend on the machine and on what else runs on it: see the load averages.
"""


def _ingest_table(corpora: dict[str, Any]) -> list[str]:
    header = ["corpus", "documents", "chunks", "ingest s", "ingest chunks/s"]
    header += ["raw encode s", "raw encode chunks/s", "overhead (ingest / encode)"]
    rows = []
    for name, result in corpora.items():
        i = result["ingest"]
        rows.append(
            [
                name,
                i["documents"],
                i["chunks"],
                i["ingest_seconds"],
                i["ingest_chunks_per_s"],
                i["encode_seconds"],
                i["encode_chunks_per_s"],
                i["pipeline_overhead"],
            ]
        )
    return table(header, rows)


def _latency_rows(name: str, result: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for endpoint, stats in result["in_process"].items():
        if not stats:  # no reader floor (the LLM answerer)
            continue
        call = {"search": "Service.search", "chat": "chain.invoke"}.get(endpoint, stats.get("call"))
        rows.append([name, "in-process", call, 1, stats["requests"], stats["p50_ms"]])
        rows[-1] += [stats["p95_ms"], stats["throughput_rps"]]
    for endpoint in ("search", "chat"):
        path = "GET /search" if endpoint == "search" else "POST /chat"
        for stats in result["http"][endpoint]:
            rows.append([name, "HTTP", path, stats["concurrency"], stats["requests"]])
            rows[-1] += [stats["p50_ms"], stats["p95_ms"], stats["throughput_rps"]]
    return rows


def _ratios(corpora: dict[str, Any]) -> list[str]:
    """chain.invoke's p50 over the reading floor's p50 (encode + one reader pass)."""
    lines = []
    for name, result in corpora.items():
        floor, chat = result["in_process"].get("floor"), result["in_process"]["chat"]
        if floor:
            ratio = chat["p50_ms"] / floor["p50_ms"]
            lines.append(
                f"- {name}: chain.invoke p50 / reading floor p50 = {chat['p50_ms']} / "
                f"{floor['p50_ms']} = {ratio:.2f}"
            )
    return [*lines, ""] if lines else []


def markdown(data: dict[str, Any]) -> str:
    env, corpora, floor = data["environment"], data["corpora"], data["floor"]
    header = ["corpus", "mode", "call", "clients", "requests", "p50 ms", "p95 ms", "req/s"]
    latency = [row for name, result in corpora.items() for row in _latency_rows(name, result)]
    memory = [
        [name, m["concurrency"], m["peak_rss_mb"], m["rss_mb"]]
        for name, r in corpora.items()
        for m in r["http"]["server_memory"]
    ]
    lines = [
        "# Performance benchmark",
        "",
        f"`make bench-perf` on {env['date']}: {env['cpus']} CPUs, torch "
        f"{env['torch_threads']} threads, load average {cell(env['load_average_at_start'])} "
        f"at start and {cell(env['load_average_at_end'])} at end; "
        f"{env['run_seconds']:.0f} s wall, {env['cpu_seconds']:.0f} s CPU in all.",
        "",
        "## Ingest throughput",
        "",
        *_ingest_table(corpora),
        "",
        "## Query latency",
        "",
        f"Floor, one query embedding (`{floor['call']}`, {floor['requests']} distinct "
        f"queries): p50 {cell(floor['p50_ms'])} ms, p95 {cell(floor['p95_ms'])} ms.",
        "",
        *table(header, latency),
        "",
        *_ratios(corpora),
        "## Server memory",
        "",
        "One server per row, read after its 2 x N requests (+2 warm-ups).",
        "",
        *table(["corpus", "clients", "peak RSS MB (VmHWM)", "RSS at end MB"], memory),
        "",
        NOTES.rstrip(),
        "",
    ]
    return "\n".join(lines)
