"""``make bench-library``: the library's pages over an archive of 30,000 articles.

The articles are ``bench.scale``'s (real sentences recombined, eight outlets, dates in
2022), written straight into a store (``.cache/bench-library-<n>``, kept for the next run)
with random embeddings: a listing never reads them, and embedding 30,000 articles would
take most of an hour on two cores. A server (uvicorn, loopback) over that store is then
measured over HTTP, each figure beside ``/health`` (the floor: the same server's cheapest
request) sent in turn with it:
- ``GET /documents?limit=100``: the first page after the server starts (it reads every
  record once), then pages at random offsets, a title search, ``/sources``, and the first
  page after a write (which reads what the store's log names); the bytes of a page;
- the chat page in Chromium: its JavaScript heap and DOM nodes before the library opens
  and after its list is scrolled to the last article, the rows in the DOM, and the pages
  it fetched on the way.

    .venv/bin/python -m bench.library [--articles 30000]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tqdm import tqdm

from bench import report
from bench.load import latency_stats
from bench.server import memory_mb, serving
from bench.synthetic import Archive, sentence_pool
from corpora import ROOT
from qa.models import Chunk, Document
from qa.settings import Settings
from qa.store import Store

BATCH = 1000
DIMENSIONS = 384  # the embedding model's, so the store is one the service opens as usual


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.library", description=__doc__)
    parser.add_argument("--articles", type=int, default=30_000)
    parser.add_argument("--requests", type=int, default=40, help="per figure")
    parser.add_argument("--out", type=Path, default=report.RESULTS)
    return parser.parse_args(argv)


def build_store(folder: Path, articles: int) -> Settings:
    """A store of ``articles`` articles, one chunk each, made once and kept."""
    settings = Settings(vectorstore_dir=folder)
    done = folder / "complete"
    if done.exists():
        return settings
    store, archive = Store.of(settings), Archive(sentence_pool(), settings, seed=0)
    rng = np.random.default_rng(0)
    for _ in tqdm(range(0, articles, BATCH), "store", unit=f"{BATCH} articles"):
        written = []
        for _ in range(BATCH):
            a = archive.article()
            document = Document(id=a.id, key=a.key, chunks=1, **a.model_dump())
            chunk = Chunk(id=f"{a.id}-0", document_id=a.id, start=0, end=len(a.text), text=a.text)
            written.append((document, [chunk]))
        store.add(written, rng.standard_normal((BATCH, DIMENSIONS)).astype(np.float32))
    done.touch()
    return settings


def timed(client: httpx.Client, path: str, **params: Any) -> tuple[float, httpx.Response]:
    began = time.perf_counter()
    response = client.get(path, params=params)
    response.raise_for_status()
    return (time.perf_counter() - began) * 1000, response


def beside_floor(client: httpx.Client, requests: list[dict[str, Any]]) -> dict[str, Any]:
    """Each request (``path`` and its params) sent in turn with ``/health``: both latencies."""
    seen: dict[str, list[float]] = {"request": [], "floor": []}
    started = time.perf_counter()
    for n, request in enumerate(requests):
        pair = [("request", request), ("floor", {"path": "/health"})]
        for name, sent in pair if n % 2 == 0 else pair[::-1]:
            seen[name].append(timed(client, **sent)[0])
    wall = (time.perf_counter() - started) / 2
    out = {k: latency_stats(v, wall) for k, v in seen.items()}
    out["p50_over_floor"] = round(out["request"]["p50_ms"] / out["floor"]["p50_ms"], 2)
    return out


def measure_http(url: str, requests: int, total: int) -> dict[str, Any]:
    rng = random.Random(0)
    with httpx.Client(base_url=url, timeout=120) as client:
        first_ms, first = timed(client, "/documents", limit=100)
        offsets = [rng.randrange(0, total, 100) for _ in range(requests)]
        word = first.json()["documents"][0]["title"].split()[-1]
        out: dict[str, Any] = {
            "first_page_after_start_ms": round(first_ms, 1),
            "page_bytes": len(first.content),
            "pages": beside_floor(
                client, [{"path": "/documents", "limit": 100, "offset": o} for o in offsets]
            ),
            "title_search": beside_floor(
                client, [{"path": "/documents", "limit": 100, "q": word}] * requests
            ),
            "search_word": word,
            "sources": beside_floor(client, [{"path": "/sources"}] * requests),
        }
        article = {"title": "Library bench", "text": "A bench wrote this article once."}
        added = client.post("/documents", json=article)
        added.raise_for_status()
        out["first_page_after_a_write_ms"] = round(timed(client, "/documents", limit=100)[0], 1)
        client.delete(f"/documents/{added.json()['document_ids'][0]}").raise_for_status()
    return out


def measure_page(url: str) -> dict[str, Any]:
    """The chat page in Debian's Chromium: heap and DOM before and after the scroll."""
    from playwright.sync_api import expect, sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    asked: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.on("request", lambda r: asked.append(r.url) if "/documents?" in r.url else None)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(f"{url}/")
        before = heap(cdp)
        page.click("#library-toggle")
        page.locator("#library-count").filter(has_text="articles").wait_for()
        page.locator(".doc").first.hover()
        for _ in range(50):
            page.mouse.wheel(0, 3000)
            page.wait_for_timeout(20)
        page.locator("#library-list").evaluate("list => { list.scrollTop = list.scrollHeight; }")
        expect(page.locator(".doc.loading")).to_have_count(0)
        page.wait_for_timeout(500)
        after = heap(cdp)
        rows = page.locator(".doc").count()
        last = str(page.locator(".doc").last.text_content())
        browser.close()
    return {"before": before, "after_scroll_to_end": after, "rows_in_dom": rows,
            "last_row": last[:80], "page_requests": len(asked)}  # fmt: skip


def heap(cdp: Any) -> dict[str, float]:
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {"js_heap_mb": round(metrics["JSHeapUsedSize"] / 2**20, 2), "nodes": metrics["Nodes"]}


def markdown(data: dict[str, Any]) -> str:
    h, p = data["http"], data["page"]
    rows = [
        [name, h[key]["request"]["p50_ms"], h[key]["request"]["p95_ms"],
         h[key]["floor"]["p50_ms"], h[key]["p50_over_floor"]]
        for name, key in [("page of 100 (random offsets)", "pages"),
                          (f"title search ({h['search_word']!r})", "title_search"),
                          ("/sources", "sources")]
    ]  # fmt: skip
    lines = [
        f"# The library over {data['articles']:,} articles",
        "",
        f"Run {data['environment']['date']} on {data['environment']['cpus']} CPUs.",
        "",
        *report.table(["request", "p50 ms", "p95 ms", "/health p50 ms", "p50 / floor"], rows),
        "",
        f"- One page of 100: {h['page_bytes']:,} bytes.",
        f"- The first page after the server starts: {h['first_page_after_start_ms']} ms; "
        f"after a write: {h['first_page_after_a_write_ms']} ms (what the store's log names).",
        f"- The server's memory: {data['server_memory']}.",
        f"- The chat page: JS heap {p['before']['js_heap_mb']} MB before the library opens, "
        f"{p['after_scroll_to_end']['js_heap_mb']} MB after scrolling to the end; DOM nodes "
        f"{p['before']['nodes']:.0f} → {p['after_scroll_to_end']['nodes']:.0f}; "
        f"{p['rows_in_dom']} rows in the DOM; {p['page_requests']} pages fetched.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    data: dict[str, Any] = {"environment": report.environment(), "articles": args.articles}
    settings = build_store(ROOT / ".cache" / f"bench-library-{args.articles}", args.articles)
    logs = ROOT / ".cache" / "bench-library-logs"
    logs.mkdir(parents=True, exist_ok=True)
    with serving(settings, logs / "server.log") as server:
        data["http"] = measure_http(server.url, args.requests, args.articles)
        data["page"] = measure_page(server.url)
        data["server_memory"] = memory_mb(server.process.pid)
    report.finish(data, started)
    report.write("library", data, markdown(data), args.out)


if __name__ == "__main__":
    main()
