"""``make bench-load``: qa in server mode under load, on loopback only, with bounded counts.

A ``chroma run`` server and ``qa serve --workers N`` against it (``bench/cluster.py``).
Load: 32 concurrent clients send a fixed number of ``/chat`` requests while a writer adds
documents and deletes every second one; afterwards every document is checked against what
was written (none lost, duplicated or resurrected, text intact, nothing half-written).
Outage: clients keep asking while the Chroma server is stopped and started again on the
same port and path (503, then recovery with qa untouched), then while a worker process is
killed (the others answer; uvicorn starts a new one). Writes ``bench/results/load.json``
and ``load.md``. A benchmark, not a test: ``python -m bench.load_cluster --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.cluster import Cluster, cluster
from bench.load_md import markdown
from bench.tally import count, ms, summarise_outage

RESULTS = Path(__file__).resolve().parent / "results"
QUESTIONS = [
    "Who called the arrest warrant a propaganda stunt?",
    "Who issued the arrest warrant for Trump?",
    "What did Iran ask Interpol for?",
    "Where does the lantern parade of the bench festival start?",
]


# -- phase 1: load with a concurrent writer -----------------------------------------------
def article(n: int, run: str) -> dict[str, Any]:
    return {
        "title": f"Bench festival {run} number {n}",
        "text": f"The bench festival {n} of run {run} opens on Saturday. The lantern parade "
        f"of the bench festival starts at pier {n} at nine o'clock.",
        "source": "Bench Gazette",
    }


async def chat_client(http: httpx.AsyncClient, count: int, offset: int, out: list) -> None:
    for i in range(count):
        question = QUESTIONS[(offset + i) % len(QUESTIONS)]
        started = time.perf_counter()
        try:
            response = await http.post("/chat", json={"message": question})
            out.append((response.status_code, time.perf_counter() - started))
        except httpx.TransportError as exc:
            out.append((type(exc).__name__, time.perf_counter() - started))


async def writer(http: httpx.AsyncClient, count: int, run: str) -> dict[str, Any]:
    """Adds ``count`` documents and deletes every second one; what should remain."""
    kept: dict[str, dict[str, Any]] = {}
    deleted: set[str] = set()
    statuses: list[int] = []
    for n in range(count):
        body = article(n, run)
        added = await http.post("/documents", json=body)
        statuses.append(added.status_code)
        if added.status_code != 201:
            continue
        (doc_id,) = added.json()["document_ids"]
        kept[doc_id] = body
        if n % 2:
            gone = await http.delete(f"/documents/{doc_id}")
            statuses.append(gone.status_code)
            if gone.status_code == 204:
                deleted.add(doc_id)
                kept.pop(doc_id)
    return {"kept": kept, "deleted": deleted, "statuses": statuses}


async def load_phase(url: str, clients: int, requests: int, writes: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=clients + 2)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        before = set(await listed(http))
        results: list[tuple[Any, float]] = []
        per_client = [requests // clients + (i < requests % clients) for i in range(clients)]
        started = time.perf_counter()
        written, *_ = await asyncio.gather(
            writer(http, writes, uuid.uuid4().hex[:8]),
            *(chat_client(http, n, i, results) for i, n in enumerate(per_client)),
        )
        wall = time.perf_counter() - started
        check = await verify(http, before, written)
    latencies = sorted(t for status, t in results if status == 200)
    return {
        "clients": clients,
        "requests": len(results),
        "wall_s": round(wall, 1),
        "statuses": count(s for s, _ in results),
        "server_errors_5xx": sum(1 for s, _ in results if isinstance(s, int) and s >= 500),
        "p50_ms": ms(statistics.median(latencies)) if latencies else None,
        "p95_ms": ms(latencies[int(0.95 * (len(latencies) - 1))]) if latencies else None,
        "writer_statuses": count(written["statuses"]),
        **check,
    }


async def listed(http: httpx.AsyncClient) -> list[str]:
    """The ids of every stored article, a page of GET /documents at a time."""
    ids: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = (await http.get("/documents", params={"offset": offset, "limit": 1000})).json()
        ids += [d["id"] for d in page["documents"]]
        offset = page["next_offset"]
    return ids


async def verify(
    http: httpx.AsyncClient, before: set[str], written: dict[str, Any]
) -> dict[str, Any]:
    """The documents now against what was written: lost, duplicated, resurrected, changed."""
    ids = await listed(http)
    expected = before | set(written["kept"])
    changed = []
    for doc_id, body in written["kept"].items():
        got = await http.get(f"/documents/{doc_id}")
        if got.status_code != 200 or got.json()["text"] != body["text"]:
            changed.append(doc_id)
    return {
        "documents_expected": len(expected),
        "documents_found": len(ids),
        "lost": sorted(expected - set(ids)),
        "duplicated": sorted({i for i in ids if ids.count(i) > 1}),
        "resurrected": sorted(written["deleted"] & set(ids)),
        "unexpected": sorted(set(ids) - expected - written["deleted"]),
        "content_mismatch": changed,
    }


def store_damage(chroma_port: int) -> list[str]:
    """What ``qa doctor`` would report: chunks without documents, documents without chunks."""
    from qa.store import Store

    store = Store(Path("unused"), "bench-load", f"http://127.0.0.1:{chroma_port}")
    from qa.store import check

    return check(store).lines()


# -- phase 2: the store goes away and comes back; a worker dies ---------------------------
MAX_OUTAGE_REQUESTS = 4000


async def outage_phase(c: Cluster, clients: int, seconds: float) -> dict[str, Any]:
    """Clients ask for ``seconds`` while the store stops and starts, then a worker dies."""
    timeline: list[tuple[float, str]] = []
    events: dict[str, float] = {}
    start = time.perf_counter()

    async def ask(http: httpx.AsyncClient, n: int) -> None:
        while time.perf_counter() - start < seconds and len(timeline) < MAX_OUTAGE_REQUESTS:
            try:
                response = await http.post("/chat", json={"message": QUESTIONS[n % 3]})
                status = str(response.status_code)
            except httpx.TransportError as exc:
                status = type(exc).__name__
            timeline.append((round(time.perf_counter() - start, 2), status))  # when answered
            if status != "200":
                await asyncio.sleep(0.1)  # errors come back at once: do not spin

    async def chaos() -> None:
        await asyncio.sleep(seconds * 0.15)
        events["chroma_stopped"] = time.perf_counter() - start
        await asyncio.to_thread(c.chroma_stop)
        await asyncio.sleep(seconds * 0.15)
        events["chroma_restarting"] = time.perf_counter() - start
        await asyncio.to_thread(c.chroma_start)
        events["chroma_started"] = time.perf_counter() - start
        await asyncio.sleep(seconds * 0.15)
        events["worker_killed"] = time.perf_counter() - start
        os.kill(c.worker_pids()[0], signal.SIGKILL)

    # A new connection for each request, so that requests spread over the workers.
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=c.url, timeout=120, limits=fresh) as http:
        await asyncio.gather(chaos(), *(ask(http, n) for n in range(clients)))
    return summarise_outage(timeline, events) | {"clients": clients, "seconds": seconds}


# -- report -------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=640, help="/chat requests in all")
    parser.add_argument("--writes", type=int, default=40, help="documents the writer adds")
    parser.add_argument("--outage-seconds", type=float, default=40.0)
    args = parser.parse_args()
    with cluster(args.workers) as c:
        print(f"cluster up: {c.ingest_seeds()} seed documents; load phase", flush=True)
        load = asyncio.run(load_phase(c.url, args.clients, args.requests, args.writes))
        damage = store_damage(c.chroma_port)
        print("outage phase", flush=True)
        outage = asyncio.run(outage_phase(c, 8, args.outage_seconds))
        time.sleep(1)
        workers_at_end = len(c.worker_pids())
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load": load,
        "damage": damage,
        "outage": outage,
        "workers_at_end": workers_at_end,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "load.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
