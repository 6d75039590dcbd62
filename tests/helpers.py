"""Helpers for the HTTP tests: copies of the seeded store, Server-Sent Events parsing, and
a real server (uvicorn in a subprocess) on a free loopback port."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from qa.models import Article, Citation, Finding, Passage, Turn
from qa.processes import free_port, stop, wait_for

ROOT = Path(__file__).resolve().parent.parent
PROPAGANDA = "Who called the arrest warrant a propaganda stunt?"
# answered by a sentence alone: a yes/no question, which no span answers in a word
SENTENCE_ANSWER = "Did Iran's supreme leader signal that more action would follow the retaliation?"
MOON = "The moon is made of green cheese"  # a claim no article supports
# three articles for the filters: two outlets, two dates, one undated
FLOODS = [
    Article(
        title="A",
        text="Floods hit the valley in spring.",
        source="Daily",
        published=date(2022, 3, 1),
    ),
    Article(
        title="B",
        text="Floods hit the valley again in autumn.",
        source="Weekly",
        published=date(2022, 10, 1),
    ),
    Article(title="C", text="Floods hit the valley, undated."),
]


def copy_store(source: Path, target: Path) -> Path:
    """A private copy of a store directory, for a test (or a server) that writes."""
    shutil.copytree(source, target)
    return target


def sse_events(lines: Iterable[str]) -> list[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream body; comments (pings) are skipped."""
    events: list[tuple[str, str]] = []
    name, data = "", list[str]()
    for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                events.append((name or "message", "\n".join(data)))
            name, data = "", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
    if data:
        events.append((name or "message", "\n".join(data)))
    return events


def sse_json(body: str) -> list[tuple[str, Any]]:
    return [(name, json.loads(data)) for name, data in sse_events(body.split("\n"))]


def check_citations(answer: dict[str, Any], documents: dict[str, str]) -> None:
    """Every citation's quote is its document's text between ``start`` and ``end``, and
    the answer carries each citation's marker."""
    for citation in answer["citations"]:
        text = documents[citation["document_id"]]
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        assert f"[{citation['n']}]" in answer["answer"]
        if citation.get("answer_start") is not None:  # the short answer lies inside the quote
            assert citation["start"] <= citation["answer_start"] < citation["answer_end"]
            assert citation["answer_end"] <= citation["end"]
    # each finding holds citations of the answer, of its own article (its copies' of theirs),
    # and its short answer is its document's text at its offsets
    cited = {c["n"]: c for c in answer["citations"]}
    for finding in answer.get("findings", []):
        for f in [finding, *finding["copies"]]:
            assert all(
                cited[q["n"]] == q and q["document_id"] == f["document_id"] for q in f["quotes"]
            )
            if f["short_answer"] is not None:
                text = documents[f["document_id"]]
                assert text[f["answer_start"] : f["answer_end"]] == f["short_answer"]


class Server:
    """A real ``qa`` server in a subprocess; ``url`` is its base address."""

    def __init__(self, command: Sequence[str], store: Path, log: Path, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        env = {**os.environ, "QA_VECTORSTORE_DIR": str(store), "HF_HUB_OFFLINE": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env.pop("QA_CHROMA_URL", None)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                list(command), cwd=log.parent, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until ``/health`` says ok; fails with the server's log if it never does."""
        wait_for(f"{self.url}/health", self.process, timeout, self.log)

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        stop(self.process)


def serve_command(port: int, *options: str) -> list[str]:
    """``qa serve`` on loopback, through the CLI's typer app (``options``: more of its own)."""
    cli = "from qa.cli import app; app()"
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), *options]
    return [sys.executable, "-c", cli, *serve]


def uvicorn_command(port: int) -> list[str]:
    """uvicorn with the app factory, as a deployment would run it."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "qa.api:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


@contextmanager
def running_server(
    command: Callable[[int], list[str]], store: Path, workdir: Path
) -> Iterator[Server]:
    """A started server over ``store``, stopped (terminate, then wait) on exit."""
    port = free_port()
    server = Server(command(port), store, workdir / "server.log", port)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


# A bad file of every kind the readers take, each with a word its refusal must say (qa
# ingest and POST /documents refuse each on its own; the good files beside them go in).
BAD_FILES = {
    "unclosed.md": (b"---\ntitle: [oops\n---\nThe body of the article.", "yaml"),
    "impossible-date.md": (b"---\npublished: 2024-13-45\n---\nThe body.", "impossible"),
    "not-a-date.md": (b"---\npublished: soon\n---\nThe body.", "not a date"),
    "no-body.md": (b"---\ntitle: Only a title\n---\n", "no text"),
    "empty.txt": (b"   \n", "empty"),
    "latin1.txt": ("caf\xe9 au lait".encode("latin-1"), "UTF-8"),
    "image.html": (b"\x89PNG\x00\x00\x01binary", "binary"),
    "script.html": (b"<html><body><script>var a = 1;</script></body></html>", "no article text"),
    "broken.jsonl": (b'{"title": "ok", "text": "Fine text here."}\n{oops\n', "line 2"),
    "untitled.jsonl": (b'{"text": "No title here."}\n', "title"),
    "bad-date.jsonl": (b'{"title": "T", "text": "Body.", "published": "2024-02-30"}\n', "date"),
    "sheet.xlsx": (b"PK\x03\x04", "unsupported"),
}


def answer_turn(short: str | None, quote: str, content: str = "(not read)") -> Turn:
    """An assistant turn whose one finding quotes ``quote``, with ``short`` in it."""
    at = quote.find(short) if short else -1
    cited = Citation(
        n=1, document_id="d", title="t", quote=quote, start=0, end=len(quote), score=1.0,
        answer_start=at if short else None, answer_end=at + len(short) if short else None,
    )  # fmt: skip
    finding = Finding(document_id="d", title="t", quotes=[cited], short_answer=short)
    return Turn(role="assistant", content=content, findings=[finding])


@contextmanager
def app_client(store: Path, embedder: Any, **options: Any) -> Iterator[Any]:
    """The real app over ``store`` (with ``embedder`` loaded once), as a TestClient; no
    rate limit unless ``options`` (further settings) say otherwise."""
    from fastapi.testclient import TestClient

    from qa.api import create_app
    from qa.service import build_service
    from qa.settings import Settings

    settings = Settings(vectorstore_dir=store, **{"rate_limit": "off", **options})
    with TestClient(create_app(settings, service=build_service(settings, embedder))) as client:
        yield client


def document_texts(client: Any) -> dict[str, str]:
    """Every stored article's text by its id, over the API."""
    ids = [d["id"] for d in client.get("/documents?limit=1000").json()["documents"]]
    return {i: client.get(f"/documents/{i}").json()["text"] for i in ids}


def made_passage(text: str, document_id: str = "d1") -> Passage:
    """``text`` as a retrieved passage of article ``document_id``, at offset 10."""
    return Passage(
        chunk_id=f"c-{document_id}", document_id=document_id, title=f"T {document_id}", text=text,
        start=10, end=10 + len(text), score=1.0,
    )  # fmt: skip
