"""What a hostile page or a careless client can send, over HTTP to a real ``qa serve``: one
table of requests, each with the status it must get and, for a refusal, the words its
message must say; the same table against a server without a key, one whose writes need a
key (every request then carries it: a right key does not let a cross-site write in), and
one with two workers. No request may give a 5xx or leave a traceback in the log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa.encoders.embeddings import Embedder
from qa.evaluation.evaluate import evaluate_service
from qa.service import build_service
from qa.settings import Settings
from tests.api.checks import ARTICLE
from tests.helpers import PROPAGANDA, ROOT, Server, copy_store, running_server, serve_command
from tests.servers import REDIS, redis_server

KEY = "hostile-test-key"
RATE = 12  # requests a minute per client to the chat routes
# About 200 words, under the 2,000-character limit: a paragraph pasted before the question.
PASTED = (
    "I was reading the news this morning and I am confused about what happened. "
    "The prosecutor in Tehran announced charges and asked for help from abroad, and "
    "there was a lot of talk about arrest warrants, red notices, an international police "
    "organization, an envoy of the United States, a drone strike near the airport in "
    "Baghdad, and a general who commanded a foreign force. Some outlets said one thing "
    "and others said another, and the names were spelled differently in every article "
    "I could find. My friends argued about it for an hour without agreeing on anything, "
    "and none of us could remember which official had said what, or when, or to whom. "
) * 2 + PROPAGANDA
LONG = {"message": PASTED}
DEEP = "[" * 100_000 + "]" * 100_000
UPLOAD = {"file": ("note.txt", b"A note about the harbour festival on Saturday.", "text/plain")}
EVIL = "http://evil.example"
CROSS = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}


@dataclass
class Case:
    method: str
    path: str
    status: int
    words: tuple[str, ...] = ()  # the refusal's message says these (lower case)
    headers: dict[str, str] = field(default_factory=dict)  # "{url}" is the server's own
    json: Any = None
    content: str | None = None
    files: Any = None
    check: str = ""  # a further check by name (``CHECKS``)


CASES = {
    # 1. a long question is answered, never a 500
    "long-chat": Case("POST", "/chat", 200, json=LONG, check="answer"),
    "long-stream": Case("POST", "/chat/stream", 200, json=LONG, check="done"),
    "long-openai": Case(
        "POST",
        "/v1/chat/completions",
        200,
        json={"model": "qa", "messages": [{"role": "user", "content": PASTED}]},
    ),
    # 2. writes only from our own page or from clients that are not browsers
    "cross-site-upload": Case(
        "POST", "/documents", 403, ("another site", "sec-fetch-site"), CROSS, files=UPLOAD
    ),
    "cross-site-json": Case(
        "POST", "/documents", 403, ("another site",), CROSS, json=ARTICLE, check="unchanged"
    ),
    "same-site-delete": Case(
        "DELETE", "/documents/abc", 403, ("another site",), {"Sec-Fetch-Site": "same-site"}
    ),
    "foreign-origin": Case(
        "POST", "/documents", 403, ("another origin", EVIL), {"Origin": EVIL}, json=ARTICLE
    ),
    "null-origin": Case("POST", "/documents", 403, ("another origin",), {"Origin": "null"}),
    "own-page-upload": Case(
        "POST",
        "/documents",
        201,
        headers={"Origin": "{url}", "Sec-Fetch-Site": "same-origin"},
        files=UPLOAD,
    ),
    "non-browser-json": Case("POST", "/documents", 201, json=ARTICLE),
    # 4. security headers on every page and script; /docs without a CDN
    "page-under-static": Case("GET", "/static/index.html", 200, check="page"),
    "script": Case("GET", "/static/app.js", 200, check="nosniff"),
    "docs": Case("GET", "/docs", 200, check="docs"),
    "swagger-script": Case("GET", "/static/swagger/swagger-ui-bundle.js", 200, check="nosniff"),
    # 5. smaller things
    "405-names-methods": Case("PUT", "/documents", 405, ("method not allowed",), check="allow"),
    "head-documents": Case("HEAD", "/documents", 200, check="empty"),
    "head-health": Case("HEAD", "/health", 200, check="empty"),
    "slash-no-redirect": Case(
        "POST", "/documents/", 404, ("not found",), {"Host": "evil.example"}, json=ARTICLE
    ),
    "deep-json-documents": Case(
        "POST", "/documents", 400, ("could not be read as json",), content=DEEP
    ),
    "deep-json-chat": Case("POST", "/chat", 400, ("could not be read as json",), content=DEEP),
}

ALLOW = {"405-names-methods": "GET, HEAD, POST"}


def _check(name: str, response: httpx.Response, case_id: str) -> None:
    headers = response.headers
    if name in ("page", "docs"):
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    if name in ("page", "docs", "nosniff"):
        assert headers["x-content-type-options"] == "nosniff"
    if name == "docs":
        assert "/static/swagger/swagger-ui-bundle.js" in response.text
        assert "cdn" not in response.text.lower()
    if name == "answer":
        assert response.json()["tier"] in ("span", "sentence", "none")
    if name == "done":
        assert "event: done" in response.text
    if name == "allow":
        assert headers["allow"] == ALLOW[case_id]
    if name == "empty":
        assert response.content == b"" and int(headers["content-length"]) > 0


CONFIGS = ["no-key", "key", "two-workers"]


@pytest.fixture(scope="module", params=CONFIGS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path
) -> Iterator[tuple[Server, dict[str, str]]]:
    """``qa serve`` over a copy of the seeded store, as each configuration runs it; the
    headers every request of that configuration carries."""
    config = request.param
    workdir = tmp_path_factory.mktemp(f"hostile-{config}")
    store = copy_store(seeded_dir, workdir / "store")
    workers = ["--workers", "2"] if config == "two-workers" else []
    with ExitStack() as stack, pytest.MonkeyPatch.context() as env:
        env.setenv("QA_RATE_LIMIT", f"{RATE}/minute")
        if config == "key":
            env.setenv("QA_API_KEY", KEY)
        if config == "two-workers":  # one count for both workers (README, "Limits")
            assert REDIS, "no redis-server (make tools installs it)"
            env.setenv("QA_RATE_LIMIT_STORAGE", stack.enter_context(redis_server(workdir)))
        started = stack.enter_context(
            running_server(lambda port: serve_command(port, *workers), store, workdir)
        )
        yield started, ({"Authorization": f"Bearer {KEY}"} if config == "key" else {})
        log = started.output
    assert "Traceback" not in log and " 500 " not in log, log


def _client(server: Server, source: str = "127.0.0.1") -> httpx.Client:
    """A client on its own loopback address: the rate limit counts it apart."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=server.url, transport=transport, timeout=120)


@pytest.mark.parametrize("case_id", list(CASES))
def test_hostile_request(server: tuple[Server, dict[str, str]], case_id: str) -> None:
    started, auth = server
    case = CASES[case_id]
    headers = {**auth, **{k: v.format(url=started.url) for k, v in case.headers.items()}}
    if case.content is not None:
        headers["Content-Type"] = "application/json"
    with _client(started, "127.0.0.2") as client:
        before = client.get("/documents").json()["documents"]
        response = client.request(
            case.method,
            case.path,
            headers=headers,
            json=case.json,
            content=case.content,
            files=case.files,
        )
        assert response.status_code == case.status, response.text[:500]
        assert response.headers.get("location", "/").startswith("/")  # never another host
        if case.words:
            detail = json.dumps(response.json()["detail"]).lower()
            assert all(w.lower() in detail for w in case.words), detail
            assert "recursion" not in detail and "traceback" not in detail
        if case.check == "unchanged":
            assert client.get("/documents").json()["documents"] == before
        elif case.check:
            _check(case.check, response, case_id)


def test_made_up_forwarded_addresses_do_not_escape_the_rate_limit(
    server: tuple[Server, dict[str, str]],
) -> None:
    """3. uvicorn believes X-Forwarded-For only from the proxies QA_FORWARDED_ALLOW_IPS
    names (none by default), so a client cannot pose as many."""
    started, auth = server
    with _client(started, "127.0.0.3") as client:
        statuses = [client.post("/chat", json={}, headers=auth).status_code for _ in range(RATE)]
        assert statuses == [422] * RATE  # counted, then refused for its empty body
        made_up = [f"10.2.{n}.1" for n in range(10)] + ["10.2.500.1"]
        for address in made_up:
            spoofed = client.post("/chat", json={}, headers={**auth, "X-Forwarded-For": address})
            assert spoofed.status_code == 429, spoofed.text
    assert "10.2.500.1" not in started.output and "10.2.3.1" not in started.output


@pytest.mark.parametrize("how", ["ask", "eval"])
def test_a_long_question_through_the_cli_and_the_eval(
    how: str, tmp_path: Path, seeded_dir: Path, embedder: Embedder
) -> None:
    """``qa ask`` answers a pasted paragraph; ``qa eval``'s own path (``evaluate_service``)
    scores it."""
    store = copy_store(seeded_dir, tmp_path / "store")
    if how == "ask":
        env = {**os.environ, "QA_VECTORSTORE_DIR": str(store), "HF_HUB_OFFLINE": "1"}
        asked = subprocess.run(
            [sys.executable, "-m", "qa.cli", "ask", PASTED, "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert asked.returncode == 0, asked.stderr
        assert json.loads(asked.stdout)["tier"] in ("span", "sentence", "none")
        return
    gold = tmp_path / "gold.jsonl"
    row = {"id": "long", "question": PASTED, "answers": ["Brian Hook"], "type": "factoid-one"}
    gold.write_text(json.dumps({**row, "documents": []}) + "\n")
    service = build_service(Settings(vectorstore_dir=store), embedder)
    report = evaluate_service(service, gold, tmp_path / "out")
    assert report["overall"]["questions"] == 1
