"""The cluster ``make bench-load`` runs: a ``chroma run`` server and ``qa serve --workers N``
against it, both subprocesses on free loopback ports, stopped on exit. The Chroma server
can be stopped and started again on the same port and path, and a worker killed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from qa.processes import free_port, stop, wait_for

ROOT = Path(__file__).resolve().parent.parent
CHROMA = Path(sys.executable).parent / "chroma"
LOGS = ROOT / ".cache" / "bench-load"  # the servers' logs of the last run


@dataclass
class Cluster:
    """The Chroma server and qa's workers; ``chroma_*`` stop and start the store."""

    workdir: Path
    workers: int
    chroma_port: int = 0
    qa_port: int = 0
    chroma: subprocess.Popen[bytes] | None = None
    qa: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.qa_port}"

    def chroma_start(self) -> None:
        self.chroma_port = self.chroma_port or free_port()
        command = [str(CHROMA), "run", "--path", str(self.workdir / "chroma"), "--host"]
        command += ["127.0.0.1", "--port", str(self.chroma_port)]
        with (self.workdir / "chroma.log").open("ab") as log:
            self.chroma = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        heartbeat = f"http://127.0.0.1:{self.chroma_port}/api/v2/heartbeat"
        wait_for(heartbeat, self.chroma, 60)

    def chroma_stop(self) -> None:
        stop(self.chroma)

    def qa_start(self) -> None:
        self.qa_port = free_port()
        env = {
            **os.environ,
            "QA_CHROMA_URL": f"http://127.0.0.1:{self.chroma_port}",
            "QA_COLLECTION": "bench-load",
            "QA_RATE_LIMIT": "off",
            "QA_HOST": "127.0.0.1",
            "HF_HUB_OFFLINE": "1",
        }
        command = [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.qa_port), "--workers", str(self.workers)]
        with (self.workdir / "qa.log").open("ab") as log:
            self.qa = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(f"{self.url}/health", self.qa, 300)

    def ingest_seeds(self) -> int:
        """Uploads the seed articles (if the store is empty); how many documents there are."""
        for path in sorted((ROOT / "seeds").glob("*.md")):
            upload = {"file": (path.name, path.read_bytes(), "text/markdown")}
            httpx.post(f"{self.url}/documents", files=upload, timeout=120).raise_for_status()
        return int(httpx.get(f"{self.url}/health").json()["documents"])

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children of ``qa serve`` running spawn_main)."""
        assert self.qa is not None
        found = []
        for task in Path(f"/proc/{self.qa.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"spawn_main" in cmdline:
                    found.append(int(pid))
        return found


@contextmanager
def cluster(workers: int) -> Iterator[Cluster]:
    with tempfile.TemporaryDirectory(prefix="qa-bench-load-") as tmp:
        running = Cluster(Path(tmp), workers)
        try:
            running.chroma_start()
            running.qa_start()
            yield running
        finally:
            stop(running.qa)
            running.chroma_stop()
            LOGS.mkdir(parents=True, exist_ok=True)
            for log in ("qa.log", "chroma.log"):
                if (running.workdir / log).exists():
                    shutil.copy(running.workdir / log, LOGS / log)
