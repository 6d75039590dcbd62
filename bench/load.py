"""A fixed number of requests from N concurrent clients (httpx.AsyncClient, loopback)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from qa.evaluation import percentile


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None


def search_request(question: str, k: int = 5) -> Request:
    return Request("GET", "/search", params={"q": question, "k": k})


def chat_request(question: str) -> Request:
    return Request("POST", "/chat", body={"message": question})


def latency_stats(latencies: Sequence[float], wall_seconds: float) -> dict[str, Any]:
    """p50/p95 (ms), the number of requests and the throughput over the wall time."""
    return {
        "requests": len(latencies),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "throughput_rps": round(len(latencies) / wall_seconds, 2) if wall_seconds else None,
    }


async def _load(url: str, requests: Sequence[Request], concurrency: int) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:

        async def one(request: Request) -> float:
            async with gate:
                started = time.perf_counter()
                response = await client.request(
                    request.method, request.path, params=request.params, json=request.body
                )
                response.raise_for_status()
                return (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        latencies = await asyncio.gather(*(one(r) for r in requests))
        wall = time.perf_counter() - started
    return {"concurrency": concurrency, **latency_stats(latencies, wall)}


def alternating(urls: Sequence[str], requests: Sequence[Request]) -> list[dict[str, Any]]:
    """Each request sent to every url in turn, one at a time, the order of the urls reversed
    every other time, so that their figures come from the same moments of a noisy machine:
    the latency figures of each url."""
    latencies: dict[str, list[float]] = {url: [] for url in urls}
    started = time.perf_counter()
    with httpx.Client(timeout=600) as client:
        for n, request in enumerate(requests):
            for url in urls if n % 2 == 0 else list(reversed(urls)):
                began = time.perf_counter()
                response = client.request(
                    request.method, url + request.path, params=request.params, json=request.body
                )
                response.raise_for_status()
                latencies[url].append((time.perf_counter() - began) * 1000)
    wall = (time.perf_counter() - started) / len(urls)
    return [latency_stats(latencies[url], wall) for url in urls]


def load(url: str, requests: Sequence[Request], concurrency: int) -> dict[str, Any]:
    """Send every request, at most ``concurrency`` at a time; the latency figures."""
    return asyncio.run(_load(url, requests, concurrency))
