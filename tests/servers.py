"""Real servers for the tests, all on free loopback ports: a ``chroma run`` server in a
directory (stoppable and restartable on the same port and path), and an app served by
uvicorn in a thread (real HTTP, sharing the test's loaded model)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from qa.processes import free_port, stop, wait_for

CHROMA = Path(sys.executable).parent / "chroma"  # installed with chromadb
REDIS = shutil.which("redis-server")  # Debian's redis-server (.ci/run installs it)


class ChromaServer:
    """``chroma run --path PATH --host 127.0.0.1 --port PORT``, logging to PATH.log."""

    def __init__(self, path: Path, port: int | None = None):
        self.path = path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = path.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ChromaServer:
        command = [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)], stdout=out, stderr=subprocess.STDOUT
            )
        try:
            wait_for(f"{self.url}/api/v2/heartbeat", self.process, timeout, self.log)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop(self.process)
        self.process = None


@contextmanager
def chroma_server(path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(path).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def serve_app(app: Any, timeout: float = 30.0) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the app server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def token_gateway(upstream: str, header: str, token: str) -> Any:
    """An ASGI reverse proxy to ``upstream`` that refuses (401) any request without
    ``header: token``, as a gateway in front of a Chroma server does."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    hop = {"host", "content-length", "transfer-encoding", "content-encoding", "connection"}

    async def forward(request: Request) -> Response:
        if request.headers.get(header) != token:
            return JSONResponse({"error": "Unauthorized", "message": "no token"}, 401)
        async with httpx.AsyncClient(base_url=upstream) as client:
            reply = await client.request(
                request.method,
                request.url.path,
                params=request.query_params,
                content=await request.body(),
                headers={k: v for k, v in request.headers.items() if k.lower() not in hop},
            )
        kept = {k: v for k, v in reply.headers.items() if k.lower() not in hop}
        return Response(reply.content, reply.status_code, headers=kept)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


def openai_stub(reply: Callable[[str], str]) -> Any:
    """An OpenAI-compatible chat completions server whose model answers ``reply(last user
    message)``, streamed word by word when asked: the wire protocol is real, the model not."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    def chunk(model: str, delta: dict[str, str], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        body = {"id": "stub", "object": "chat.completion.chunk", "created": 0, "model": model}
        return f"data: {json.dumps({**body, 'choices': [choice]})}\n\n"

    async def completions(request: Request) -> Response:
        body = await request.json()
        content, model = reply(body["messages"][-1]["content"]), body["model"]
        if body.get("stream"):
            words = content.split(" ")
            pieces = [
                chunk(model, {"content": w if i == 0 else f" {w}"}) for i, w in enumerate(words)
            ]
            tail = [chunk(model, {}, "stop"), "data: [DONE]\n\n"]
            return StreamingResponse(iter(pieces + tail), media_type="text/event-stream")
        message = {"role": "assistant", "content": content}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return JSONResponse(
            {"id": "stub", "object": "chat.completion", "created": 0, "model": model,
             "choices": [choice]}
        )  # fmt: skip

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@contextmanager
def redis_server(directory: Path, timeout: float = 30.0) -> Iterator[str]:
    """``redis-server`` on a free loopback port, persisting nothing; yields its URL."""
    import redis

    assert REDIS, "no redis-server"
    port = free_port()
    command = [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir"]
    process = subprocess.Popen([*command, str(directory)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _answers(redis.Redis.from_url(url)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.1)
        yield url
    finally:
        stop(process)


def _answers(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False
