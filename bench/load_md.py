"""``bench/results/load.md`` from ``make bench-load``'s figures (``bench.load_cluster``)."""

from __future__ import annotations

from typing import Any


def markdown(result: dict[str, Any]) -> str:
    load = result["load"]
    rows = [
        "# Load benchmark (server mode)",
        "",
        f"`make bench-load`, {result['date']}: `chroma run` + `qa serve --workers "
        f"{result['workers']}` on loopback, {result['cpus']} CPU(s).",
        "",
        "## Load with a concurrent writer",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| clients / `/chat` requests | {load['clients']} / {load['requests']} |",
        f"| statuses | {load['statuses']} |",
        f"| 5xx | {load['server_errors_5xx']} |",
        f"| p50 / p95 latency | {load['p50_ms']} ms / {load['p95_ms']} ms |",
        f"| wall time | {load['wall_s']} s |",
        f"| writer statuses (POST 201, DELETE 204) | {load['writer_statuses']} |",
        f"| documents expected / found | {load['documents_expected']} / "
        f"{load['documents_found']} |",
        f"| lost / duplicated / resurrected / unexpected | {len(load['lost'])} / "
        f"{len(load['duplicated'])} / {len(load['resurrected'])} / {len(load['unexpected'])} |",
        f"| text changed | {len(load['content_mismatch'])} |",
        f"| half-written (qa doctor) | {len(result['damage'])} |",
        "",
        *_outage(result),
    ]
    return "\n".join(rows) + "\n"


def _outage(result: dict[str, Any]) -> list[str]:
    outage = result["outage"]
    return [
        "## The store goes away, then a worker",
        "",
        f"{outage['clients']} clients ask `/chat` for {outage['seconds']} s. Events (s): "
        f"{outage['events_s']}.",
        "",
        "| window (by when the answer came) | statuses |",
        "| --- | --- |",
        *(f"| {WINDOWS[name]} | {counts} |" for name, counts in outage["windows"].items()),
        "",
        f"First 200 {outage['recovered_after_s']} s after Chroma was back, qa untouched. "
        f"5xx other than 503: {outage['server_errors_other_than_503']}. When the worker "
        f"was killed, {_failed(outage['windows']['worker_killed'])} request(s) in flight on "
        "it lost their connection and every other request was answered; "
        f"workers alive at the end: {result['workers_at_end']} of {result['workers']} "
        "(uvicorn starts a new one).",
    ]


WINDOWS = {
    "before": "before the store stops",
    "store_stopped": "store stopped (`chroma run` terminated)",
    "store_restarting": "store starting again (same port and path)",
    "store_back": "store back",
    "worker_killed": "after one qa worker was killed (SIGKILL)",
}


def _failed(counts: dict[str, int]) -> int:
    return sum(n for status, n in counts.items() if not status.isdigit())
