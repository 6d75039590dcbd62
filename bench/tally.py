"""Counting what ``make bench-load`` saw: statuses by kind, and the outage phase's requests
by the window (before, during and after the store's outage, after a worker's death) in
which each was answered."""

from __future__ import annotations

from typing import Any


def count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[str(value)] = out.get(str(value), 0) + 1
    return dict(sorted(out.items()))


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def summarise_outage(timeline: list[tuple[float, str]], events: dict[str, float]) -> dict:
    marks = [0.0, events["chroma_stopped"], events["chroma_restarting"]]
    marks += [events["chroma_started"], events["worker_killed"], float("inf")]
    names = ["before", "store_stopped", "store_restarting", "store_back", "worker_killed"]
    windows = {
        name: count(s for t, s in timeline if lo <= t < hi)
        for name, lo, hi in zip(names, marks, marks[1:], strict=False)
    }
    back = [t for t, s in timeline if s == "200" and t >= events["chroma_started"]]
    return {
        "events_s": {k: round(v, 2) for k, v in events.items()},
        "windows": windows,
        "requests": len(timeline),
        "recovered_after_s": round(back[0] - events["chroma_started"], 2) if back else None,
        "server_errors_other_than_503": sum(
            1 for _, s in timeline if s.isdigit() and int(s) >= 500 and s != "503"
        ),
    }
