"""The ``qa`` command: ingest, search, ask, documents, show, serve, doctor, eval."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn, TypeVar

import typer

from qa.errors import QAError
from qa.models import Question, Turn
from qa.settings import get_settings

if TYPE_CHECKING:
    from qa.service import Service
    from qa.store import Store

T = TypeVar("T")
GOLD, RESULTS = Path("eval/gold-seeds.jsonl"), Path("eval/results")
THRESHOLDS = Path("eval/thresholds.json")
app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _service() -> Service:
    from qa.service import build_service

    return build_service(get_settings())


def _store() -> Store:
    """The store alone, for commands that need no model."""
    from qa.store import Store

    s = get_settings()
    return _run(lambda: Store.of(s))


def _run(func: Callable[[], T]) -> T:
    """Expected failures become a one-line message and exit code 1, never a traceback."""
    try:
        return func()
    except QAError as exc:
        _fail(str(exc))


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders")] = None,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="only into an empty store")] = False,
) -> None:
    """Add articles (.txt, .md, .html, .jsonl) to the store; safe to run again."""
    settings = get_settings()
    if if_empty and (count := _store().counts()[0]):
        typer.echo(f"the store already holds {count} document(s)")
        return
    service = _service()
    report = _run(lambda: service.ingest_paths(paths or [settings.default_ingest_path]))
    typer.echo(report.summary())
    # the keyword index brought up to date, and saved anew when much was added
    _run(lambda: service.retriever.keywords.current(compact=True))
    if report.rejected and not (report.added or report.unchanged or report.replaced):
        raise typer.Exit(1)


@app.command()
def search(
    query: str,
    k: Annotated[int, typer.Option("-k", min=1, max=50)] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The passages that best match QUERY."""
    results = _run(lambda: _service().search(query, k))
    if as_json:
        typer.echo(json.dumps({"results": [r.model_dump(mode="json") for r in results]}, indent=2))
        return
    for r in results:
        typer.echo(f"[{r.score:.3f}] {r.title} ({r.document_id} {r.start}-{r.end})\n  {r.text}\n")


@app.command()
def ask(
    question: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    history: Annotated[
        Path | None, typer.Option(help="a JSON file of [{role, content}] turns")
    ] = None,
) -> None:
    """Answer QUESTION from the articles, with citations."""
    if not question.strip():
        _fail("the question is empty")
    try:
        turns = [Turn.model_validate(t) for t in json.loads(history.read_text())] if history else []
    except (OSError, ValueError, TypeError) as exc:  # pydantic's errors are ValueErrors
        _fail(f"cannot read the history {history}: {exc}")
    result = _run(lambda: _service().chain.invoke(Question(text=question, history=turns)))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    typer.echo(result.answer)
    for c in result.citations:
        typer.echo(f"  [{c.n}] {c.title} ({c.document_id} {c.start}-{c.end}): {c.quote}")
    for s in result.sentences:
        if not s.supported:
            typer.echo(f"  not supported by the articles: {s.text}")
    if result.answerer != "extractive":
        typer.echo(f"  answered by: {result.answerer}")


@app.command()
def documents(
    offset: Annotated[int, typer.Option(min=0, help="articles to skip")] = 0,
    limit: Annotated[int, typer.Option(min=1, help="articles to list")] = 100,
    search: Annotated[str, typer.Option(help="only titles that hold this")] = "",
) -> None:
    """List the stored articles, by title, a page at a time."""
    from qa.store import Catalog

    page = _run(lambda: Catalog(_store()).page(offset, limit, search))
    for d in page.documents:
        published = d.published.isoformat() if d.published else "-"
        typer.echo(f"{d.id}  {published:10}  {d.chunks:3} chunks  {d.title} ({d.source or '-'})")
    end = offset + len(page.documents)
    if not page.total:
        typer.echo("no titles hold that" if search else "no documents: run `qa ingest`")
    else:
        typer.echo(f"{offset + 1}-{end} of {page.total}" if end > offset else "past the last")
    if end < page.total:
        typer.echo(f"next page: --offset {end}")


@app.command()
def show(document_id: str) -> None:
    """Print one article with its metadata."""
    d = _run(lambda: _store().document(document_id))
    typer.echo(f"{d.title}\nid: {d.id}  source: {d.source or '-'}  published: {d.published or '-'}")
    typer.echo(f"origin: {d.origin or '-'}\n\n{d.text}")


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="address to bind (default: QA_HOST, 127.0.0.1)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="port (default: QA_PORT, 8000)")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="processes, each loads the model")] = 1,
) -> None:
    """Run the HTTP API and the chat page (uvicorn)."""
    from qa.api import run, warnings

    settings = get_settings()
    host = host or settings.host
    port = settings.port if port is None else port
    if host != settings.host:  # the app decides who may write by its bind address
        os.environ["QA_HOST"] = host
        get_settings.cache_clear()
    for warning in warnings(get_settings(), host, workers):
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    typer.echo(f"Open http://{shown}:{port}/ in a browser (API docs at /docs)")
    run(host, port, workers, settings)


@app.command()
def doctor(
    fix: Annotated[bool, typer.Option("--fix", help="remove what is inconsistent")] = False,
) -> None:
    """Check that documents, chunks and the keyword index agree (--fix repairs the store).
    Run --fix while no ingest is under way: a write in progress looks like orphaned chunks."""
    from qa.search import Keywords
    from qa.store import check, repair

    store = _store()
    damage = _run(lambda: check(store))
    lines = damage.lines("removed" if fix else "found")
    if fix and lines:
        _run(lambda: repair(store, damage))
    for line in lines:
        typer.echo(line)
    # where the keyword index servers use (the saved one, else one built as they build it)
    # disagrees with the store
    folder = get_settings().keyword_folder
    problems = _run(lambda: Keywords(store, folder).current().problems(store))
    for line in problems:
        typer.echo(line)
    if (lines and not fix) or problems:
        if not fix:
            typer.echo("run `qa doctor --fix` to repair, then re-ingest removed documents")
        raise typer.Exit(1)
    documents, chunks = _run(store.counts)
    typer.echo(f"ok: {documents} document(s), {chunks} chunk(s), keyword index consistent")


@app.command("eval")
def eval_(
    gold: Annotated[Path, typer.Option("--gold", help="gold questions (JSON lines)")] = GOLD,
    url: Annotated[
        str | None, typer.Option("--url", help="a running service; default: in-process")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="folder for report.json/.md/.png")] = RESULTS,
    k: Annotated[
        int | None, typer.Option("-k", min=1, max=50, help="passages to answer from")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help=f"exit 1 if a metric is under {THRESHOLDS}")
    ] = False,
    answerer: Annotated[
        Literal["extractive", "llm"] | None,
        typer.Option(help="default: QA_ANSWERER; with --url, checks the service uses it"),
    ] = None,
    conversation: Annotated[
        bool, typer.Option("--conversation", help="also ask them all as one conversation")
    ] = False,
) -> None:
    """Score answers, abstention, citations, retrieval and latency on a gold set."""
    from qa.evaluation import InProcess, OverHttp, below, evaluate, summary
    from qa.service import build_service

    settings = get_settings()
    if answerer:
        settings = settings.model_copy(update={"answerer": answerer})
    try:
        backend = OverHttp(url, answerer=answerer) if url else InProcess(build_service(settings))
        report = evaluate(backend, gold, out, k, conversation)
        failed = below(report["overall"], json.loads(THRESHOLDS.read_text())) if check else []
    except (QAError, OSError, ValueError) as exc:
        _fail(str(exc))
    typer.echo("\n".join([*summary(report), f"report: {out / 'report.md'}"]))
    if failed:
        _fail("below the thresholds: " + ", ".join(failed))


if __name__ == "__main__":  # python -m qa.cli
    app()
