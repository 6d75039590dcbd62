"""The eval (``qa eval``): answer accuracy, abstention, citations, retrieval and latency on
a gold set, in-process (``chain.batch``) or against a running service (``POST /chat``).

Every metric is defined in ``eval/README.md``; ``qa.evaluation.report`` writes the report.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from qa.errors import QAError
from qa.evaluation.gold import Gold, conversation, load_gold, replayed
from qa.evaluation.grading import contains, f1, is_correct, strip_markers, versions
from qa.evaluation.report import Row, metrics, talked, write_report
from qa.models import Answer, Citation, Question
from qa.settings import get_settings

if TYPE_CHECKING:
    from qa.service import Service

RETRIEVE_K = 10
Texts = dict[str, str | None]


# -- what is evaluated: in-process or over HTTP ---------------------------------------------
class InProcess:
    """A ``Service`` in this process."""

    def __init__(self, service: Service):
        self.service = service

    def answers(self, golds: list[Gold], k: int | None) -> list[tuple[Answer, float]]:
        """Every answer, one at a time (``chain.batch``), with its time in the chain."""
        questions = [Question(text=g.question, history=g.history, k=k) for g in golds]
        answers = self.service.chain.batch(questions, {"max_concurrency": 1})
        return [(a, a.timings_ms["total"]) for a in answers]

    def ranked(self, standalone: str) -> list[str]:
        return [p.document_id for p in self.service.search(standalone, RETRIEVE_K)]

    def text(self, document_id: str) -> str | None:
        try:
            return self.service.document(document_id).text
        except QAError:
            return None

    def stems(self) -> dict[str, str]:
        return {Path(d.origin).stem: d.id for d in self.service.documents() if d.origin}


class OverHttp:
    """A running service: ``POST /chat``, ``GET /search``, ``GET /documents``."""

    def __init__(
        self,
        url: str,
        client: httpx.Client | None = None,
        seeds: Path | None = None,
        answerer: str | None = None,
    ):
        """``answerer``: the answerer the service must use (checked before the first
        question: a service answers with its own QA_ANSWERER)."""
        self.client = client or httpx.Client(base_url=url.rstrip("/"), timeout=120)
        self.seeds = seeds or get_settings().default_ingest_path
        self.answerer = answerer

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise QAError(f"the service at {self.client.base_url} failed: {exc}") from exc
        return response.json()

    def check(self) -> None:
        served = self._json("GET", "/health").get("answerer") if self.answerer else None
        if served != self.answerer:
            raise QAError(
                f"the service answers with {served!r}: restart it with QA_ANSWERER={self.answerer}"
            )

    def answers(self, golds: list[Gold], k: int | None) -> list[tuple[Answer, float]]:
        """Every answer from ``POST /chat``, with its time measured here."""
        out = []
        for g in golds:
            history = [t.model_dump(mode="json") for t in g.history]
            body = {"message": g.question, "history": history, "k": k}
            started = time.perf_counter()
            answer = Answer.model_validate(self._json("POST", "/chat", json=body))
            out.append((answer, (time.perf_counter() - started) * 1000))
        return out

    def ranked(self, standalone: str) -> list[str]:
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

        found: dict[str, str] = {}
        for path in files([self.seeds]):
            try:
                ids = [a.id for a in parse(path.name, path.read_bytes(), 10**9)]
            except QAError:
                continue
            if ids and self.client.get(f"/documents/{ids[0]}").status_code == 200:
                found[path.stem] = ids[0]
        return found


Backend = InProcess | OverHttp


# -- running the questions ------------------------------------------------------------------
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


def _run(
    backend: Backend,
    gold: Gold,
    answer: Answer,
    latency: float,
    stems: dict[str, str],
    texts: Texts,
) -> Row:
    ranked = backend.ranked(answer.standalone_question)
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
        # declined though answerable: whether a passage it points to quotes the answer
        "related_shows_answer": (
            any(contains(r.quote, accepted) for r in answer.related)
            if accepted and not answer.answered
            else None
        ),
        "latency_ms": round(latency, 1),
        **_citation_scores(gold, answer, supporting, texts),
        **_retrieval_scores(ranked, supporting),
    }


def evaluate(
    backend: Backend, gold: Path, out: Path, k: int | None = None, talk: bool = False
) -> dict[str, Any]:
    """Ask every gold question, score it, and write the report to ``out``; with ``talk``,
    ask them again as one conversation (``conversation`` in the report)."""
    questions = load_gold(gold)
    if isinstance(backend, OverHttp):
        backend.check()
    stems = backend.stems()
    missing = sorted({s for q in questions for s in q.documents} - stems.keys())
    if missing:
        raise QAError(f"the store holds no document from {', '.join(missing)}: run `qa ingest`")
    if questions:  # warm up (model loading, caches) outside the timed calls
        backend.answers([Gold(**{**questions[0].model_dump(), "history": []})], k)
    texts: Texts = {}

    def ask(golds: list[Gold]) -> list[tuple[Answer, float]]:
        return backend.answers(golds, k)

    def scored(golds: list[Gold], answered: list[tuple[Answer, float]]) -> list[Row]:
        pairs = zip(golds, answered, strict=True)
        return [_run(backend, q, a, latency, stems, texts) for q, (a, latency) in pairs]

    rows = scored(questions, ask(replayed(questions, ask)))
    kinds = dict.fromkeys(r["type"] for r in rows)
    by_type = {kind: metrics([r for r in rows if r["type"] == kind]) for kind in kinds}
    report = dict(gold=str(gold), k=k, overall=metrics(rows), by_type=by_type, questions=rows)
    if talk:
        report["conversation"] = talked(rows, scored(questions, conversation(questions, ask)[1]))
    write_report(report, out)
    return report


def evaluate_service(
    service: Service, gold: Path, out: Path, k: int | None = None, talk: bool = False
) -> dict[str, Any]:
    """``evaluate`` over a ``Service`` in this process."""
    return evaluate(InProcess(service), gold, out, k, talk)
