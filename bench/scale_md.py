"""The Markdown of the scale benchmark."""

from __future__ import annotations

from typing import Any

from bench.report import cell, table

NOTES = """## How the figures are made

- **Archive**: articles of 6-14 sentences drawn at random (seed 0) from every sentence of
  the SQuAD v1.1 dev paragraphs and the RealTime QA gold articles (40-400 characters), in
  paragraphs of three, under eight outlets, each with its own url and a 2022 date; written
  to `.jsonl` files of 2,000 articles. Each stage adds articles until the store holds the
  stage's number of chunks, through `qa ingest <folder>` in a subprocess.
- **Ingest chunks/s**: the stage's new chunks over the wall time of `qa ingest` (model
  load, reading, chunking, embedding, Chroma writes, and the keyword index it saves at the
  end). **Raw encode**: the service's own encoder (`Embedder.encoder.encode`: the
  embedding model as the service runs it, by default int8 ONNX through onnxruntime,
  without the embedder's cache) on the first 2,000 chunk texts of the stage, in the bench
  process, right before the ingest and right after it: the mean of the two rates (both in
  `scale.json`, `encode_runs`), since a load on the shared machine during one 30-second
  timing would move the ratio.
- **Floor**: one query embedding (`Embedder.encoder.encode([q])`) of a distinct question,
  in the bench process. **HTTP**: a server (`uvicorn`, `QA_RATE_LIMIT=off`) started over
  the store after each stage; `GET /search?k=5`, then `POST /chat`, one client, a
  distinct SQuAD question each; then `POST /documents` of 32 new archive articles, one at
  a time, each posted to this server and to a second one over an empty store, in turn
  (which goes first alternates), after one untimed warm-up article to each, so that both
  figures come from the same moments; then one `/search`, the first of the
  store's new revision (its keyword index is built then).
- **RSS**: the server's peak (`VmHWM`) and current resident memory after its requests.
- **Killed ingest**: in the last stage, `qa ingest` is killed with SIGKILL after the given
  seconds and run again on the same files; then every article must be stored exactly once
  (documents = articles made = distinct urls) and `qa doctor` must exit 0.
- Timings depend on the machine and on what else runs on it: see the load averages.
"""


def _ingest_rows(stages: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for s in stages:
        i = s["ingest"]
        ratio = i["chunks_per_s"] / s["encode_chunks_per_s"]
        rows.append(
            [
                *[s["chunks"], s["documents"], s["new_chunks"], i["seconds"], i["chunks_per_s"]],
                *[s["encode_chunks_per_s"], round(ratio, 2), s["disk_mb"]],
            ]
        )
    return rows


def _query_rows(stages: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for s in stages:
        floor, http, memory = s["floor"]["p50_ms"], s["http"], s["http"]["memory"]
        search, chat, post = http["search"], http["chat"], http["post_document"]
        empty = http.get("post_document_empty", {}).get("p50_ms")
        rows.append(
            [
                *[s["chunks"], floor, search["p50_ms"], search["p95_ms"]],
                round(search["p50_ms"] / floor, 2),
                *[chat["p50_ms"], chat["p95_ms"], round(chat["p50_ms"] / floor, 2)],
                *[post["p50_ms"], empty, round(post["p50_ms"] / empty, 2) if empty else None],
                http.get("search_after_post", {}).get("p50_ms"),
                *[memory["peak_rss_mb"], memory["rss_mb"]],
            ]
        )
    return rows


def markdown(data: dict[str, Any]) -> str:
    stages, env = data["stages"], data["environment"]
    lines = ["# Scale: the service at growing archive sizes", ""]
    lines += [
        f"Run {cell(env.get('date'))}, {cell(env.get('cpus'))} CPUs, "
        f"{cell(env.get('run_seconds'))} s, embedder {cell(env.get('embedding_backend'))}; "
        "load average at the end "
        f"{cell(env.get('load_average_at_end'))}.",
        "",
    ]
    lines += ["## Ingest", ""]
    lines += table(
        [
            *["chunks", "documents", "new chunks", "ingest s", "ingest chunks/s"],
            *["raw encode chunks/s", "ingest / encode", "store on disk MB"],
        ],
        _ingest_rows(stages),
    )
    lines += ["", "## Queries over HTTP (one client) beside the floor", ""]
    lines += table(
        [
            *["chunks", "floor p50 ms", "/search p50", "/search p95", "/search ÷ floor"],
            *["/chat p50", "/chat p95", "/chat ÷ floor", "POST /documents p50"],
            *["POST into an empty store p50", "POST ÷ empty"],
            "first /search after the POSTs",
            *["server peak RSS MB", "server RSS MB"],
        ],
        _query_rows(stages),
    )
    lines += _killed(stages)
    return "\n".join([*lines, "", NOTES])


def _killed(stages: list[dict[str, Any]]) -> list[str]:
    """The killed-ingest section, when the run killed one."""
    checks = [s for s in stages if "check" in s]
    if not checks:
        return []
    c, i = checks[-1]["check"], checks[-1]["ingest"]
    return [
        "",
        "## Killed ingest",
        "",
        f"`qa ingest` killed after {cell(i.get('killed_after_s'))} s "
        f"(killed: {'no' if i.get('killed') is False else 'yes'}), then run again: "
        f"{c['documents']} documents for {c['expected']} articles, "
        f"{c['distinct_urls']} distinct urls; `qa doctor` exit {c['doctor_exit']} "
        f"({cell(' '.join(c['doctor']))}).",
    ]
