"""The container image, built from the Dockerfile and tried as a user would (``make
test-image``; skipped unless ``QA_TEST_IMAGE=1``): health, a cited answer from the seeds,
an added article that outlives its container on the same volume, no root, a clean stop on
SIGTERM, the LLM mode's fallback with the prompts found from any working directory, and
``compose.yaml`` brought up (a Chroma server, Redis, two qa workers: a write through one
is read through the other, and the rate limit is one for both).

Each check's figures go to ``tests/artifacts/image.json``."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.processes import free_port
from tests.image import Engine

pytestmark = [
    pytest.mark.image,
    pytest.mark.skipif(os.environ.get("QA_TEST_IMAGE") != "1", reason="make test-image runs it"),
]
ROOT = Path(__file__).resolve().parent.parent
TAG = "localhost/qa:test"
KEY = "image-test-key"
QUESTION = "Who called the arrest warrant a propaganda stunt?"
ARTICLE = {
    "title": "Harbour bridge reopens after repairs",
    "text": "The harbour bridge reopened on Monday after eleven weeks of repairs. "
    "The city engineer, Marta Lindqvist, said the new cables would last forty years.",
    "source": "Test Gazette",
}
FIGURES: dict[str, Any] = {}


class Container:
    """One running container of the image, published on a free loopback port."""

    def __init__(self, engine: Engine, *options: str):
        self.engine = engine
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.id = engine.run(TAG, "-p", f"127.0.0.1:{self.port}:8000", *options)

    def wait_healthy(self, timeout: float = 120) -> float:
        """Seconds until ``/health`` answers 200; fails with the container's log."""
        return wait_healthy(self.url, timeout, self.running, self.logs)

    def running(self) -> bool:
        return self.engine("inspect", "-f", "{{.State.Running}}", self.id) == "true"

    def terminate(self) -> tuple[float, int]:
        """SIGTERM, then the seconds until it stopped and its exit code."""
        start = time.monotonic()
        self.engine("kill", "--signal", "TERM", self.id)
        code = int(self.engine("wait", self.id, timeout=30))
        return time.monotonic() - start, code

    def logs(self) -> str:
        done = self.engine("logs", self.id)
        return done[-4000:]

    def remove(self) -> None:
        self.engine("rm", "-f", "-v", self.id)  # -v: with its anonymous volume, if any


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    found = Engine.find()
    yield found
    found.close()
    out = ROOT / "tests/artifacts/image.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(FIGURES, indent=2) + "\n")
    print("\nimage figures:", json.dumps(FIGURES))


@pytest.fixture(scope="module")
def image(engine: Engine) -> str:
    start = time.monotonic()
    engine.build(TAG, ROOT)
    FIGURES["build_s"] = round(time.monotonic() - start, 1)
    FIGURES["size_mb"] = round(int(engine("image", "inspect", "-f", "{{.Size}}", TAG)) / 1e6)
    return TAG


@pytest.fixture(scope="module")
def volume(engine: Engine) -> Iterator[str]:
    name = f"qa-test-{uuid.uuid4().hex[:8]}"
    engine("volume", "create", name)
    yield name
    engine("volume", "rm", "-f", name)


@pytest.fixture(scope="module")
def container(engine: Engine, image: str, volume: str) -> Iterator[Container]:
    container = Container(engine, "-v", f"{volume}:/data", "-e", f"QA_API_KEY={KEY}")
    FIGURES["health_s"] = round(container.wait_healthy(), 1)
    yield container
    container.remove()


def test_a_cited_answer_from_the_seeds(container: Container) -> None:
    answer = httpx.post(f"{container.url}/chat", json={"message": QUESTION}, timeout=60).json()
    assert answer["answered"], answer
    assert answer["citations"] and "[1]" in answer["answer"]
    document = httpx.get(
        f"{container.url}/documents/{answer['citations'][0]['document_id']}"
    ).json()
    first = answer["citations"][0]
    assert document["text"][first["start"] : first["end"]] == first["quote"]


def test_the_service_is_pid_1_and_not_root(container: Container) -> None:
    status = container.engine("exec", container.id, "cat", "/proc/1/status")
    uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
    command = container.engine("exec", container.id, "cat", "/proc/1/cmdline").replace("\0", " ")
    FIGURES["uid"], FIGURES["pid_1"] = int(uid), command.strip()
    assert uid != "0"
    assert "qa serve" in command  # exec'd: the shell is gone, SIGTERM reaches the service


def test_an_added_article_outlives_its_container(
    engine: Engine, container: Container, volume: str
) -> None:
    documents = f"{container.url}/documents"
    assert httpx.post(documents, json=ARTICLE, timeout=60).status_code == 401
    key = {"Authorization": f"Bearer {KEY}"}
    added = httpx.post(documents, json=ARTICLE, headers=key, timeout=60)
    assert added.status_code == 201, added.text
    seconds, code = container.terminate()
    FIGURES["sigterm_stop_s"], FIGURES["exit_code"] = round(seconds, 1), code
    assert seconds < 10 and code == 0, container.logs()
    container.remove()

    replaced = Container(engine, "-v", f"{volume}:/data")
    try:
        FIGURES["health_again_s"] = round(replaced.wait_healthy(), 1)
        titles = [d["title"] for d in httpx.get(f"{replaced.url}/documents").json()["documents"]]
        assert ARTICLE["title"] in titles and len(titles) == len(set(titles))
        question = {"message": "Who is the city engineer?"}
        answer = httpx.post(f"{replaced.url}/chat", json=question, timeout=60).json()
        assert "Marta Lindqvist" in answer["answer"], answer
    finally:
        replaced.remove()


def test_llm_mode_falls_back_with_its_prompts_found_from_any_directory(
    engine: Engine, image: str
) -> None:
    unreachable = ["-e", "QA_ANSWERER=llm", "-e", "QA_LLM_FALLBACK=extractive"]
    unreachable += ["-e", "QA_LLM_BASE_URL=http://127.0.0.1:9/v1", "-e", "QA_LLM_MAX_RETRIES=0"]
    container = Container(engine, "--workdir", "/", *unreachable)
    try:
        FIGURES["llm_health_s"] = round(container.wait_healthy(), 1)
        answer = httpx.post(f"{container.url}/chat", json={"message": QUESTION}, timeout=60).json()
        FIGURES["llm_answerer"] = answer.get("answerer")
        assert answer["answerer"] == "extractive (fallback)" and answer["citations"], answer
    finally:
        container.remove()


def wait_healthy(
    url: str, timeout: float = 300, alive: Callable[[], bool] | None = None, log: Any = str
) -> float:
    """Seconds until ``url``'s ``/health`` answers 200, while ``alive()``; fails with
    ``log()`` if it never does."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        if alive is not None and not alive():
            break
        time.sleep(1)
    pytest.fail(f"no /health from {url} within {timeout} s:\n{log()}")


@pytest.fixture(scope="module")
def compose(engine: Engine, image: str) -> Iterator[list[str]]:
    if engine.podman and not shutil.which("podman-compose"):
        pytest.skip("no podman-compose (apt-get install podman-compose); make test-image has it")
    ports = free_port(), free_port()
    project = f"qa-test-{uuid.uuid4().hex[:8]}"
    command = engine.compose(project, ROOT / "compose.yaml", ports[1])
    env = {**os.environ, "QA_IMAGE": TAG, "QA_API_KEY": KEY, "QA_WORKERS": "1"}
    env |= {"QA_PUBLISHED_PORT": str(ports[0]), "QA_RATE_LIMIT": "6/minute"}
    if redis := engine.redis():
        env["QA_REDIS_IMAGE"] = redis
    run = functools.partial(subprocess.run, env=env, capture_output=True, text=True)
    up = run([*command, "up", "-d", "--no-build"], timeout=600)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        FIGURES["compose_health_s"] = [round(wait_healthy(u), 1) for u in urls]
        yield urls
    finally:
        made = engine("ps", "-aq", "--filter", f"label=com.docker.compose.project={project}")
        mounts = ["inspect", "-f", "{{range .Mounts}}{{.Name}} {{end}}", *made.split()]
        volumes = engine(*mounts) if made else ""
        run([*command, "down", "-v"], timeout=300)
        left = [["volume", "rm", "-f", v] for v in set(volumes.split())]
        for args in [*left, ["network", "rm", f"{project}_default"]]:  # if still there
            subprocess.run([*engine.command, *args], capture_output=True)


def test_compose_two_workers_share_the_store_and_the_rate_limit(compose: list[str]) -> None:
    first, second = compose
    key = {"Authorization": f"Bearer {KEY}"}
    added = httpx.post(f"{first}/documents", json=ARTICLE, headers=key, timeout=60)
    assert added.status_code == 201, added.text
    listed = httpx.get(f"{second}/documents", params={"q": "harbour bridge"}).json()
    assert [d["title"] for d in listed["documents"]] == [ARTICLE["title"]]
    asked = {"message": "Who is the city engineer?"}
    answers = [httpx.post(f"{url}/chat", json=asked, timeout=60) for url in compose * 4]
    codes = [a.status_code for a in answers]
    FIGURES["compose_rate_limited"] = codes
    assert "Marta Lindqvist" in answers[1].json()["answer"]  # through the second worker
    assert codes == [200] * 6 + [429] * 2  # 6 a minute for the two together, kept in Redis
