"""What both benchmarks write: the machine they ran on, JSON, and Markdown tables."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages: other work on the machine skews timings."""
    return [round(x, 2) for x in os.getloadavg()]


def environment() -> dict[str, Any]:
    import torch

    from qa.settings import Settings

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "embedding_backend": Settings().embedding_backend,
        "load_average_at_start": load(),
    }


def finish(data: dict[str, Any], started: float) -> None:
    """Record the run's wall time and the load at its end (before writing the Markdown)."""
    data["environment"]["load_average_at_end"] = load()
    data["environment"]["run_seconds"] = round(time.perf_counter() - started, 1)
    times = os.times()  # CPU time of this process (and of waited-for children)
    cpu = times.user + times.system + times.children_user + times.children_system
    data["environment"]["cpu_seconds"] = round(cpu, 1)


def cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:.1f}"
    if isinstance(value, list):
        return "[" + ", ".join(cell(v) for v in value) + "]"
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = [header, ["---"] * len(header), *rows]
    return ["| " + " | ".join(cell(v) for v in line) + " |" for line in lines]


def write(
    name: str,
    data: dict[str, Any],
    markdown: str,
    out: Path = RESULTS,
    records: list[dict[str, Any]] | None = None,
) -> None:
    """``<name>.json`` and ``<name>.md`` in ``out``, and ``records`` (if any) one JSON
    object a line in ``<name>-questions.jsonl``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    (out / f"{name}.md").write_text(markdown)
    if records is not None:
        lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
        (out / f"{name}-questions.jsonl").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / name}.json and .md", file=sys.stderr)
