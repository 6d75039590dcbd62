"""``qa eval``: the SQuAD scoring rules, the length rule, and whole runs on a gold subset,
in-process and over the HTTP API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qa.api import create_app
from qa.cli import app
from qa.evaluation.evaluate import OverHttp, evaluate, evaluate_service
from qa.evaluation.grading import contains, f1, is_correct, normalize, strip_markers
from qa.evaluation.report import below, percentile
from qa.service import Service
from tests.conftest import ROOT, SEEDS

GOLD = ROOT / "eval" / "gold-seeds.jsonl"
# two single-article factoids, one answered by both articles, one conflict,
# one follow-up (with history) and one unanswerable
SUBSET = ["seed-001", "seed-002", "seed-033", "seed-039", "seed-047", "seed-070"]
RATES = [
    "answer_accuracy",
    "answer_f1",
    "abstention",
    "false_abstention",
    "citation_validity",
    "citation_precision",
    "citation_recall",
    "recall_at_5",
    "recall_at_10",
    "mrr_at_10",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the Cat!", "cat"),
        ("The  quick, brown fox.", "quick brown fox"),
        ("An apple a day", "apple day"),
        ("Theater and anthem", "theater and anthem"),  # articles only as whole words
        ("U.S.-Iran  relations", "usiran relations"),  # SQuAD drops punctuation, no space
    ],
)
def test_normalize_follows_squad(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_f1_is_squads_token_f1() -> None:
    assert f1("the Cat!", "cat") == 1.0
    assert f1("a cat sat", "the cat") == pytest.approx(2 / 3)  # precision 1/2, recall 1
    assert f1("cat cat", "cat") == pytest.approx(2 / 3)  # repeated tokens count once each
    assert f1("Brian Hook", "Hook") == pytest.approx(2 / 3)
    assert f1("dog", "cat") == 0.0
    assert f1("the", "a") == 0.0  # nothing left after normalising


def test_markers_are_stripped_before_scoring() -> None:
    assert strip_markers("Brian Hook said so. [1] [12]") == "Brian Hook said so."
    assert strip_markers("[1]Hook") == "Hook"


def test_containment_after_normalisation_on_whole_words() -> None:
    assert contains("The U.S. envoy, Brian Hook, said so.", ["brian hook"])
    assert contains("It was in Baghdad.", ["Paris", "baghdad"])
    assert not contains("Born in 1962.", ["62"])
    assert not contains("Anything at all.", [])


def test_correct_answers_are_short() -> None:
    three = "The U.S. envoy Brian Hook spoke. He said it. Then he left. [1]"
    assert is_correct(three, ["Brian Hook"])  # "U.S." ends no sentence
    assert not is_correct(three + " He came back.", ["Brian Hook"])  # 4 sentences
    long = "Brian Hook said " + "very " * 100 + "much. [1]"
    assert len(strip_markers(long)) > 500
    assert not is_correct(long, ["Brian Hook"])
    assert is_correct("x" * 480 + " Hook [1] [2] [3] [4]", ["Hook"])  # markers not counted
    assert not is_correct("The articles don't say.", [])


def test_percentile_and_thresholds() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([float(v) for v in range(101)], 95) == 95.0
    assert percentile([], 50) is None
    overall = {"answer_accuracy": 0.5, "abstention": None, "citation_validity": 1.0}
    failed = below(overall, {"answer_accuracy": 0.6, "abstention": 0.1, "citation_validity": 1})
    assert [f.split()[0] for f in failed] == ["answer_accuracy", "abstention"]


def test_a_command_error_is_exit_1(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.jsonl")
    args = ["eval", "--gold", missing, "--url", "http://127.0.0.1:9", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "error:" in result.output and "missing.jsonl" in result.output


@pytest.fixture(scope="module")
def subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
    picked = [r for r in rows if r["id"] in SUBSET]
    assert len(picked) == 6
    path = tmp_path_factory.mktemp("gold") / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in picked))
    return path


def check_report(report: dict[str, Any], out: Path) -> None:
    for name in ("report.json", "report.md", "report.png"):
        assert (out / name).stat().st_size > 0
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "report.json").read_text()) == report
    assert "## Worst failures" in (out / "report.md").read_text()
    overall = report["overall"]
    assert overall["questions"] == 6
    assert overall["citation_validity"] == 1.0
    for name in RATES:
        assert overall[name] is not None and 0.0 <= overall[name] <= 1.0, name
    assert 0 < overall["latency_p50_ms"] <= overall["latency_p95_ms"]
    assert {"follow-up", "unanswerable", "factoid-one"} <= set(report["by_type"])
    rows = {r["id"]: r for r in report["questions"]}
    assert rows["seed-047"]["standalone"] != rows["seed-047"]["question"]  # condensed
    assert rows["seed-070"]["f1"] is None and rows["seed-070"]["recall_at_5"] is None
    for row in rows.values():
        assert {"expected", "answer", "answered", "correct", "citations", "latency_ms"} <= set(row)


def test_evaluate_in_process(seeded: Service, subset: Path, tmp_path: Path) -> None:
    report = evaluate_service(seeded, subset, tmp_path)
    check_report(report, tmp_path)
    assert report["overall"]["recall_at_10"] == 1.0  # two articles: both always retrieved


def test_evaluate_over_http(seeded: Service, subset: Path, tmp_path: Path) -> None:
    with TestClient(create_app(service=seeded)) as client:
        # the TestClient is httpx2's Client, which OverHttp uses as it would httpx's
        http = cast(httpx.Client, client)
        report = evaluate(OverHttp("http://testserver", http, seeds=SEEDS), subset, tmp_path)
    check_report(report, tmp_path)


def test_the_questions_asked_as_one_conversation(
    seeded: Service, subset: Path, tmp_path: Path
) -> None:
    """Each question after all the others, with the history as the page sends it, beside
    the same asked alone; none of those that stand on their own is rewritten."""
    report = evaluate_service(seeded, subset, tmp_path, talk=True)
    talk = report["conversation"]
    assert talk["standalone_questions"] == sum(
        r["type"] != "follow-up" for r in report["questions"]
    )
    assert talk["rewritten"] == []
    for key in ("accuracy", "standalone_accuracy", "follow_up_accuracy"):
        assert talk[key] is not None and abs(talk[key] - talk[f"{key}_alone"]) <= 0.2, key
    assert "## Asked as one conversation" in (tmp_path / "report.md").read_text()
