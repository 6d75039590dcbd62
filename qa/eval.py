"""``qa eval``: answer accuracy, abstention, citations, retrieval and latency on a gold set.

Runs in-process over the configured store, or against a running service (``--url``).
Every metric is defined in ``eval/README.md``; the report goes to ``--out``.
"""

from __future__ import annotations

import json
import re
import string
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import httpx
import typer
from pydantic import BaseModel, Field

from qa.errors import QAError
from qa.models import Answer, Citation, Turn
from qa.report import Row, below, cell, metrics, write_report
from qa.settings import get_settings

if TYPE_CHECKING:
    from qa.service import Service

GOLD = Path("eval/gold-seeds.jsonl")
RESULTS = Path("eval/results")
THRESHOLDS = Path("eval/thresholds.json")
RETRIEVE_K = 10
MAX_SENTENCES, MAX_CHARS = 3, 500
_MARKER = re.compile(r"\[\d+\]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)
Texts = dict[str, str | None]


# -- scoring text (the official SQuAD rules) ------------------------------------------------
def normalize(text: str) -> str:
    """Lower case, no punctuation, no a/an/the, single spaces (SQuAD's normalize_answer)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def strip_markers(text: str) -> str:
    """The answer without its citation markers (``[1]``)."""
    return " ".join(_MARKER.sub("", text).split())


def contains(text: str, accepted: Sequence[str]) -> bool:
    """Whether a normalised accepted answer occurs in the normalised text, as whole words."""
    padded = f" {normalize(text)} "
    return any(n and f" {n} " in padded for n in map(normalize, accepted))


def is_correct(answer: str, accepted: Sequence[str]) -> bool:
    """Contains an accepted answer, in at most 3 sentences and 500 characters."""
    from qa.chunking import sentences

    answer = strip_markers(answer)
    if len(answer) > MAX_CHARS or len(sentences(answer)) > MAX_SENTENCES:
        return False
    return contains(answer, accepted)


def versions(text: str, accepted: Sequence[str]) -> int:
    """How many different accepted answers the text names: "Ali Algasimehr" and
    "Algasimehr" are one version (one contains the other), "Qassem" and "Qasem" two."""
    found = [normalize(a) for a in accepted if contains(text, [a])]
    return sum(not any(f != g and f" {f} " in f" {g} " for g in found) for f in set(found))


def f1(prediction: str, truth: str) -> float:
    """SQuAD's token F1 of two strings."""
    predicted, expected = normalize(prediction).split(), normalize(truth).split()
    same = sum((Counter(predicted) & Counter(expected)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(expected)
    return 2 * precision * recall / (precision + recall)


# -- what is evaluated: in-process or over HTTP ---------------------------------------------
class Gold(BaseModel):
    id: str
    question: str
    history: list[Turn] = Field(default_factory=list)
    answers: list[str]
    documents: list[str]
    type: str


class InProcess:
    """A ``Service`` in this process."""

    def __init__(self, service: Service):
        self.service = service

    def ask(self, question: str, history: list[Turn], k: int | None) -> Answer:
        return self.service.chain.invoke(question, history, k)

    def ranked(self, question: str, history: list[Turn], standalone: str) -> list[str]:
        _, passages = self.service.chain.passages(question, history, k=RETRIEVE_K)
        return [p.document_id for p in passages]

    def text(self, document_id: str) -> str | None:
        try:
            return self.service.document(document_id).text
        except QAError:
            return None

    def stems(self) -> dict[str, str]:
        return {Path(d.origin).stem: d.id for d in self.service.documents() if d.origin}


class OverHttp:
    """A running service: ``POST /chat``, ``GET /search``, ``GET /documents``."""

    def __init__(self, url: str, client: httpx.Client | None = None, seeds: Path | None = None):
        self.client = client or httpx.Client(base_url=url.rstrip("/"), timeout=120)
        self.seeds = seeds or get_settings().default_ingest_path

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def ask(self, question: str, history: list[Turn], k: int | None) -> Answer:
        body = {"message": question, "history": [t.model_dump() for t in history], "k": k}
        return Answer.model_validate(self._json("POST", "/chat", json=body))

    def ranked(self, question: str, history: list[Turn], standalone: str) -> list[str]:
        search = {"q": standalone, "k": RETRIEVE_K}
        results = self._json("GET", "/search", params=search)["results"]
        return [str(r["document_id"]) for r in results]

    def text(self, document_id: str) -> str | None:
        response = self.client.get(f"/documents/{document_id}")
        return str(response.json()["text"]) if response.status_code == 200 else None

    def stems(self) -> dict[str, str]:
        """The ids the files in ``seeds`` (default QA_DEFAULT_INGEST_PATH) get when ingested,
        if the service holds them: the API does not expose file names."""
        from qa.ingest import files, parse

        stored = {d["id"] for d in self._json("GET", "/documents")["documents"]}
        found: dict[str, str] = {}
        for path in files([self.seeds]):
            try:
                ids = [a.id for a in parse(path.name, path.read_bytes(), 10**9)]
            except QAError:
                continue
            if ids and ids[0] in stored:
                found[path.stem] = ids[0]
        return found


Backend = InProcess | OverHttp


# -- running the questions ------------------------------------------------------------------
def load_gold(path: Path) -> list[Gold]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Gold.model_validate_json(line) for line in lines if line.strip()]


def _citation_scores(gold: Gold, answer: Answer, supporting: set[str], texts: Texts) -> Row:
    def valid(c: Citation) -> bool:
        text = texts.get(c.document_id)
        return text is not None and text[c.start : c.end] == c.quote

    cites = answer.citations
    scored = answer.answered and bool(gold.answers)
    precise = sum(c.document_id in supporting or contains(c.quote, gold.answers) for c in cites)
    cited = len({c.document_id for c in cites} & supporting) / max(len(supporting), 1)
    return {
        "citations_valid": sum(map(valid, cites)),
        "citations_precise": precise if scored else None,
        "citation_recall": cited if scored and supporting else None,
    }


def _retrieval_scores(ranked: list[str], supporting: set[str]) -> Row:
    if not supporting:
        return {"recall_at_5": None, "recall_at_10": None, "rr_at_10": None}
    first = next((i for i, d in enumerate(ranked[:RETRIEVE_K]) if d in supporting), None)
    return {
        "recall_at_5": len(supporting & set(ranked[:5])) / len(supporting),
        "recall_at_10": len(supporting & set(ranked[:10])) / len(supporting),
        "rr_at_10": 0.0 if first is None else 1 / (first + 1),
    }


def _run(backend: Backend, gold: Gold, stems: dict[str, str], k: int | None, texts: Texts) -> Row:
    started = time.perf_counter()
    answer = backend.ask(gold.question, gold.history, k)
    latency = (time.perf_counter() - started) * 1000
    ranked = backend.ranked(gold.question, gold.history, answer.standalone_question)
    for c in answer.citations:
        if c.document_id not in texts:
            texts[c.document_id] = backend.text(c.document_id)
    given, accepted = answer.answer, gold.answers
    score = max((f1(strip_markers(given), a) for a in accepted), default=None)
    score = score if answer.answered or score is None else 0.0
    supporting = {stems[s] for s in gold.documents}
    return {
        **gold.model_dump(include={"id", "type", "question"}),
        "standalone": answer.standalone_question,
        "expected": accepted,
        "answer": given,
        "answered": answer.answered,
        "correct": is_correct(given, accepted) if answer.answered else not accepted,
        "f1": None if score is None else round(score, 4),
        "sources_differ": answer.sources_differ,
        "versions": versions(strip_markers(given), accepted) if answer.answered else 0,
        "citations": [c.model_dump(mode="json") for c in answer.citations],
        "latency_ms": round(latency, 1),
        **_citation_scores(gold, answer, supporting, texts),
        **_retrieval_scores(ranked, supporting),
    }


def evaluate(backend: Backend, gold: Path, out: Path, k: int | None = None) -> dict[str, Any]:
    """Ask every gold question, score it, and write the report to ``out``."""
    questions = load_gold(gold)
    stems = backend.stems()
    missing = sorted({s for q in questions for s in q.documents} - stems.keys())
    if missing:
        raise QAError(f"the store holds no document from {', '.join(missing)}: run `qa ingest`")
    if questions:  # warm up (model loading, caches) outside the timed calls
        backend.ask(questions[0].question, [], k)
    texts: Texts = {}
    rows = [_run(backend, q, stems, k, texts) for q in questions]
    kinds = dict.fromkeys(r["type"] for r in rows)
    by_type = {kind: metrics([r for r in rows if r["type"] == kind]) for kind in kinds}
    report = dict(gold=str(gold), k=k, overall=metrics(rows), by_type=by_type, questions=rows)
    write_report(report, out)
    return report


def evaluate_service(
    service: Service, gold: Path, out: Path, k: int | None = None
) -> dict[str, Any]:
    """``evaluate`` over a ``Service`` in this process."""
    return evaluate(InProcess(service), gold, out, k)


# -- the command ----------------------------------------------------------------------------
def eval_command(
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
        typer.Option(
            "--answerer", help="default: QA_ANSWERER; with --url, checks the service uses it"
        ),
    ] = None,
) -> None:
    """Score answers, abstention, citations, retrieval and latency on a gold set."""
    try:
        if url:
            _check_answerer(OverHttp(url), answerer)
            report = evaluate(OverHttp(url), gold, out, k)
        else:
            from qa.service import Service

            settings = get_settings()
            if answerer:
                settings = settings.model_copy(update={"answerer": answerer})
            report = evaluate_service(Service(settings), gold, out, k)
        failed = below(report["overall"], json.loads(THRESHOLDS.read_text())) if check else []
    except (QAError, httpx.HTTPError, OSError, ValueError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    for name, value in report["overall"].items():
        typer.echo(f"{name:>18}: {cell(value)}")
    typer.echo(f"report: {out / 'report.md'}")
    if failed:
        typer.secho("below the thresholds: " + ", ".join(failed), fg=typer.colors.RED, err=True)
        raise typer.Exit(1)


def _check_answerer(backend: OverHttp, answerer: str | None) -> None:
    """A running service answers with its own QA_ANSWERER: say so if it is not the one asked."""
    served = backend._json("GET", "/health").get("answerer") if answerer else answerer
    if served != answerer:
        raise ValueError(
            f"the service answers with {served!r}: restart it with QA_ANSWERER={answerer}"
        )
