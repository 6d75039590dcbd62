"""The real HTTP service in a subprocess: ``uvicorn --factory qa.api:create_app`` on a free
loopback port over a given store (rate limit off), its peak memory read before it stops."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from corpora import ROOT
from qa.processes import free_port, stop, wait_for
from qa.settings import Settings


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path


def memory_mb(pid: int) -> dict[str, float | None]:
    """Peak (VmHWM) and current (VmRSS) resident memory of a process, in MB, from
    /proc/<pid>/status; where there is no /proc, psutil's current RSS (no peak)."""
    status = _proc_status(pid)
    if status:
        return {"peak_rss_mb": _mb(status["VmHWM"]), "rss_mb": _mb(status["VmRSS"])}
    import psutil  # not a dependency: only off Linux

    return {"peak_rss_mb": None, "rss_mb": _mb(psutil.Process(pid).memory_info().rss)}


def _mb(size: int) -> float:
    return round(size / 2**20, 1)


def _proc_status(pid: int) -> dict[str, int]:
    """The ``Vm*`` lines of /proc/<pid>/status, in bytes."""
    path = Path(f"/proc/{pid}/status")
    if not path.exists():
        return {}
    values: dict[str, int] = {}
    for line in path.read_text().splitlines():
        key, _, rest = line.partition(":")
        if key.startswith("Vm") and rest.strip().endswith("kB"):
            values[key] = int(rest.split()[0]) * 1024
    return values


@contextmanager
def serving(settings: Settings, log: Path, timeout: float = 600) -> Iterator[Server]:
    """A server over ``settings``' store, healthy; stopped (and waited for) on exit."""
    port = free_port()
    env = os.environ | {
        "QA_VECTORSTORE_DIR": str(settings.vectorstore_dir),
        "QA_COLLECTION": settings.collection,
        "QA_CHROMA_URL": "",
        "QA_ANSWERER": settings.answerer,
        "QA_RATE_LIMIT": "off",  # measured: the service's capacity, not its limiter
        "QA_API_KEY_READ": "false",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "qa.api:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
        server = Server(process, f"http://127.0.0.1:{port}", log)
        try:
            wait_for(f"{server.url}/health", process, timeout, log)
            yield server
        finally:
            stop(process, timeout=30)
