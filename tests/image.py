"""The container engine that ``make test-image`` drives, and what this kind of machine
needs of it. None of it belongs in the Dockerfile, which builds as it is with Docker:

- docker where its engine answers, else Debian's podman, with runc as its runtime where
  runc is installed (crun refuses this kernel's hybrid cgroups);
- ``nofile`` and ``nproc`` limits no higher than the host allows;
- with podman, a Debian bookworm base (Python 3.11) made once with debootstrap from the
  mirror apt uses, as Docker Hub is out of reach, and kept as ``localhost/qa-base:bookworm``;
- pip inside the build given the host's ``PIP_CERT`` and ``PIP_FIND_LINKS`` (which holds
  torch's CPU build) through a mounted ``pip.conf``, and PyPI as torch's index;
- for ``compose.yaml``: Debian's podman-compose, a Redis image made from that base with
  Debian's redis-server, and ``${VAR:-}`` written ``${VAR}`` (podman-compose 1.0.3 passes
  an empty default on literally).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BASE = "localhost/qa-base:bookworm"
BASE_PACKAGES = "python3,python3-pip,python-is-python3,ca-certificates"
LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]
PYPI = "https://pypi.org/simple"
REDIS = "localhost/qa-redis:bookworm"
# as the official image does, protected mode off: other containers of the network connect
REDIS_FILE = f"""FROM {BASE}
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \\
    && rm -rf /var/lib/apt/lists/* \\
    && printf '#!/bin/sh\\nexec "$@" --protected-mode no\\n' > /usr/local/bin/open-redis \\
    && chmod +x /usr/local/bin/open-redis
USER redis
ENTRYPOINT ["/usr/local/bin/open-redis"]
CMD ["redis-server"]
"""


@dataclass
class Engine:
    """``docker`` or ``podman``, with the options this machine needs."""

    command: list[str]
    podman: bool
    temp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="qa-image-")))

    @classmethod
    def find(cls) -> Engine:
        if shutil.which("docker") and _answers(["docker", "info"]):
            return cls(["docker"], podman=False)
        if not shutil.which("podman"):
            raise RuntimeError("make test-image needs docker or podman: apt-get install podman")
        runtime = ["--runtime", "runc"] if shutil.which("runc") else []
        return cls(["podman", *runtime], podman=True)

    def __call__(self, *args: str, timeout: float = 120, **kwargs: Any) -> str:
        """The engine's output; a failure raises with what it printed."""
        done = subprocess.run(
            [*self.command, *args], capture_output=True, text=True, timeout=timeout, **kwargs
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr}")
        return done.stdout.strip()

    def build(self, tag: str, context: Path) -> None:
        options = ["-t", tag]
        if self.podman:
            options += [*LIMITS, "--build-arg", f"BASE_IMAGE={self.base()}", *self._pip()]
        self("build", *options, str(context), timeout=1800)

    def run(self, image: str, *options: str) -> str:
        """A container started in the background; its id."""
        return self("run", "-d", *(LIMITS if self.podman else []), *options, image)

    def base(self) -> str:
        """The Debian base, made with debootstrap on the first run and kept."""
        if subprocess.run([*self.command, "image", "exists", BASE]).returncode == 0:
            return BASE
        root = self.temp / "rootfs"
        target = [str(root), apt_mirror()]
        subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={BASE_PACKAGES}", "bookworm", *target],
            check=True,
            capture_output=True,
            timeout=1200,
        )
        # a container's own Python, as in python:3.11-slim: pip installs into it
        (root / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        self("import", "--change", "ENV LANG=C.UTF-8", "-", BASE, stdin=tar.stdout, timeout=600)
        tar.wait()
        shutil.rmtree(root)
        return BASE

    def _pip(self) -> list[str]:
        """Mounts that point pip inside the build at the host's CA bundle and wheels."""
        lines, mounts = ["[global]"], []
        if cert := os.environ.get("PIP_CERT"):
            lines.append("cert = /run/host/ca.crt")
            mounts += ["-v", f"{cert}:/run/host/ca.crt:ro"]
        if links := os.environ.get("PIP_FIND_LINKS"):
            lines.append("find-links = /run/host/wheels")
            mounts += ["-v", f"{links}:/run/host/wheels:ro"]
            mounts += ["--build-arg", f"TORCH_INDEX_URL={PYPI}"]
        conf = self.temp / "pip.conf"
        conf.write_text("\n".join(lines) + "\n")
        return [*mounts, "-v", f"{conf}:/etc/pip.conf:ro"]

    def redis(self) -> str | None:
        """With podman, a Redis image of Debian's redis-server, made once; else None (Docker
        Hub's ``redis:7-alpine``, as compose.yaml says)."""
        if not self.podman:
            return None
        if subprocess.run([*self.command, "image", "exists", REDIS]).returncode:
            (self.temp / "Containerfile").write_text(REDIS_FILE)
            self("build", *LIMITS, "-t", REDIS, str(self.temp), timeout=600)
        return REDIS

    def compose(self, project: str, source: Path, second_port: int) -> list[str]:
        """The compose command for ``source`` with a second qa service (``qa-2``, published
        on ``second_port``), written into the temporary folder, images made beforehand."""
        config = yaml.safe_load(source.read_text())
        for service in config["services"].values():
            service.pop("build", None)
        second = copy.deepcopy(config["services"]["qa"])
        second["ports"] = [f"127.0.0.1:{second_port}:8000"]
        config["services"]["qa-2"] = second
        text = yaml.safe_dump(config, sort_keys=False)
        if self.podman:
            text = re.sub(r"\$\{(\w+):-\}", r"${\1}", text)
        (self.temp / "compose.yaml").write_text(text)
        files = ["-p", project, "-f", str(self.temp / "compose.yaml")]
        if not self.podman:
            return ["docker", "compose", *files]
        podman = [f"--podman-args={' '.join(self.command[1:])}"] if self.command[1:] else []
        return ["podman-compose", *podman, f"--podman-run-args={' '.join(LIMITS)}", *files]

    def close(self) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)


def apt_mirror() -> str:
    """The Debian mirror apt uses on this machine (deb.debian.org if none is named)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for source in sources:
        found = source.is_file() and re.search(r"(https?://\S+/debian)\s", source.read_text())
        if found:
            return found.group(1)
    return "http://deb.debian.org/debian"


def _answers(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
