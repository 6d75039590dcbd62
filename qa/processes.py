"""Starting and stopping servers in subprocesses on loopback, for the tests and the
benchmarks: a free port, a wait until a URL answers 200, and a stop that never hangs."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(log: Path | None, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:] if log and log.exists() else ""


def wait_for(
    url: str, process: subprocess.Popen[bytes], timeout: float, log: Path | None = None
) -> None:
    """Until ``url`` answers 200; fails with the log's tail if the process exits or the
    time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} was not ready in {timeout:.0f} s:\n{tail(log)}")


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    """Terminate, then kill if it will not go; waits for it either way."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
