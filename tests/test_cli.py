"""The ``qa`` command as a user runs it, in a subprocess, against a temporary store."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fakes import HOOK, citing
from tests.helpers import BAD_FILES, MOON
from tests.servers import openai_stub, serve_app

QA = [sys.executable, "-m", "qa.cli"]


def run(
    store: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "QA_VECTORSTORE_DIR": str(store), **(env or {})}
    return subprocess.run(
        [*QA, *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store"
    first = run(path, "ingest")
    assert first.returncode == 0, first.stderr
    assert "added 2, unchanged 0, replaced 0, rejected 0" in first.stdout
    return path


def test_empty_store_says_to_ingest_without_a_traceback(tmp_path: Path) -> None:
    result = run(tmp_path / "empty", "ask", "Who is Brian Hook?")
    assert result.returncode == 1
    assert "qa ingest" in result.stderr and "Traceback" not in result.stderr


def test_ask_json_is_the_chat_object(store: Path) -> None:
    result = run(store, "ask", "Who called the arrest warrant a propaganda stunt?", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {
        "answer", "answered", "standalone_question", "citations", "timings_ms", "answerer",
        "sentences", "short_answer", "sources_differ", "tier", "related", "findings",
    }  # fmt: skip
    assert answer["answerer"] == "extractive" and answer["sentences"] == []
    assert answer["answered"] and "Brian Hook" in answer["answer"]
    citation = answer["citations"][0]
    assert set(citation) == {
        "n", "document_id", "title", "source", "published", "quote", "start", "end", "score",
        "answer_start", "answer_end",
    }  # fmt: skip
    shown = run(store, "show", citation["document_id"])
    assert citation["quote"] in shown.stdout


def test_reingest_documents_search_and_errors(store: Path, tmp_path: Path) -> None:
    again = run(store, "ingest", "--if-empty")
    assert "already holds 2" in again.stdout
    listing = run(store, "documents")
    assert "Iran Asks Interpol for Help in Arresting Donald Trump" in listing.stdout
    assert listing.stdout.splitlines()[-1] == "1-2 of 2"
    first = run(store, "documents", "--limit", "1").stdout.splitlines()
    second = run(store, "documents", "--offset", "1", "--limit", "1").stdout.splitlines()
    assert first[1:] == ["1-1 of 2", "next page: --offset 1"] and second[1:] == ["2-2 of 2"]
    assert first[0] != second[0] and first[0] in listing.stdout and second[0] in listing.stdout
    found = run(store, "documents", "--search", "INTERPOL").stdout.splitlines()
    assert "Interpol" in found[0] and found[1:] == ["1-1 of 1"]
    found = json.loads(run(store, "search", "propaganda stunt", "-k", "2", "--json").stdout)
    assert len(found["results"]) == 2 and "propaganda stunt" in found["results"][0]["text"]
    missing = run(store, "show", "nope")
    assert missing.returncode == 1 and "no document" in missing.stderr
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4")
    bad = run(store, "ingest", str(tmp_path / "x.pdf"))
    assert bad.returncode == 1 and "unsupported file type" in bad.stdout


def test_ingest_refuses_each_bad_file_and_takes_the_good_ones(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, (raw, _) in BAD_FILES.items():
        (folder / name).write_bytes(raw)
    (folder / "good.md").write_text("---\ntitle: Harbour\n---\nThe ferry ran late on Monday.")
    result = run(tmp_path / "store", "ingest", str(folder))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"added 1, unchanged 0, replaced 0, rejected {len(BAD_FILES)}" in result.stdout
    for name, (_, word) in BAD_FILES.items():
        line = next(x for x in result.stdout.splitlines() if f"{name}:" in x)
        assert word.lower() in line.lower(), line


def test_ask_with_a_model_flags_what_the_articles_do_not_support(store: Path) -> None:
    """QA_ANSWERER=llm against an OpenAI-compatible server: the cited sentence is kept with
    its source, the invented one is flagged, and the answerer is named."""
    reply = citing("Brian Hook", HOOK)
    with serve_app(openai_stub(lambda prompt: f"{reply(prompt)} {MOON} [1].")) as url:
        llm = {"QA_ANSWERER": "llm", "QA_LLM_BASE_URL": f"{url}/v1", "QA_LLM_CONDENSE": "false"}
        result = run(store, "ask", "Who called the arrest warrant a propaganda stunt?", env=llm)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{HOOK}. [1] {MOON}."
    assert lines[1].startswith("  [1] ") and "Brian Hook" in lines[1]
    assert lines[2:] == [f"  not supported by the articles: {MOON}.", "  answered by: llm"]
