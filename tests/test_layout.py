"""The shape of the house, checked so that it cannot rot: ``qa/`` in folders by stage, each
folder's ``__init__.py`` the only door the others use (the recipes, the benchmarks and the
data sets use them too), no circle between folders (nor between the modules of
``recipes/``, ``bench/`` and ``corpora/``), ``bench`` imported only by itself and the
tests, and no module anywhere (Python, or the page's scripts) over 250 lines nor any
function over 40."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from tests.shape import (
    FOLDERS,
    MAX_FUNCTION,
    MAX_LINES,
    OURS,
    QA,
    ROOT,
    crossings,
    cycle,
    definitions,
    exported,
    fixtures,
    folder_of,
    imports,
    modules,
    script_functions,
)


def test_each_folder_says_its_job_and_what_it_exports() -> None:
    stages = {"answer", "api", "encoders", "evaluation", "generate", "ingest", "search", "store"}
    assert stages <= set(FOLDERS)
    for folder in FOLDERS:
        init = (QA / folder / "__init__.py").read_text()
        doc = ast.get_docstring(ast.parse(init))
        assert doc, f"qa/{folder}/__init__.py says nothing of its job"
        if folder != "api":  # the API is entered through create_app alone
            assert exported(folder), f"qa/{folder}/__init__.py exports nothing"


def test_folders_meet_only_through_their_init() -> None:
    bad = [b for path in modules(QA) for b in crossings(path)]
    assert bad == []


@pytest.mark.parametrize("folder", ["recipes", "corpora", "bench"])
def test_the_scripts_use_qa_through_its_doors(folder: str) -> None:
    bad = [b for path in modules(ROOT / folder) for b in crossings(path, path.read_text())]
    assert bad == []


def bench_imports(path: Path | str) -> list[str]:
    """The imports of ``bench`` in a module (its path, or its source)."""
    return [m for m, _ in imports(path) if m == "bench" or m.startswith("bench.")]


def test_only_the_benchmarks_and_the_tests_import_bench() -> None:
    outside = [p for d in ("qa", "recipes", "corpora") for p in modules(ROOT / d)]
    bad = [f"{p.relative_to(ROOT)} imports {m}" for p in outside for m in bench_imports(p)]
    assert bad == []
    assert bench_imports("import bench\nfrom bench.metrics import mean\n") == [
        "bench",
        "bench.metrics",
    ]  # the check can fail


def test_the_folders_import_one_another_without_a_circle() -> None:
    graph: dict[str, set[str]] = {}
    for path in modules(QA):
        own = folder_of(path) or path.stem
        for module, _ in imports(path):
            parts = module.split(".")
            if parts[0] == "qa" and len(parts) > 1:
                other = parts[1]
                if other != own and (other in FOLDERS or (QA / f"{other}.py").exists()):
                    graph.setdefault(own, set()).add(other)
    graph = {k: v - {"__init__"} for k, v in graph.items()}
    # the service and the chain compose the folders; none of the folders reaches back
    assert cycle({k: v for k, v in graph.items() if k in FOLDERS}) is None


@pytest.mark.parametrize("folder", ["recipes", "bench", "corpora"])
def test_the_scripts_import_one_another_without_a_circle(folder: str) -> None:
    graph = {
        path.stem: {
            module.split(".")[1]
            for module, _ in imports(path)
            if module.startswith(f"{folder}.") and module.count(".") == 1
        }
        for path in modules(ROOT / folder)
    }
    assert cycle(graph) is None


@pytest.mark.parametrize(
    ("graph", "circle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"a"}}, True),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
    ],
)
def test_a_circle_is_found(graph: dict[str, set[str]], circle: bool) -> None:
    assert (cycle(graph) is not None) is circle


def test_no_module_is_over_250_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for folder in OURS
        for p in modules(folder)
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_function_is_over_40_lines() -> None:
    long = {
        f"{p.relative_to(ROOT)}:{node.name}": n
        for folder in OURS
        for p in modules(folder)
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (n := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_FUNCTION
    }
    assert long == {}


def test_a_reach_past_an_init_is_caught() -> None:
    """The check above can fail: a module of one folder that imports another's module, or
    a name its ``__init__.py`` does not export."""
    source = "from qa.search.retrieval import Retriever\nfrom qa.store import Nope, Store\n"
    assert crossings(Path("probe.py"), source, "answer") == [
        "probe.py imports qa.search.retrieval",
        "probe.py: Nope from qa.store",
    ]
    assert crossings(Path("probe.py"), source, "search") == ["probe.py: Nope from qa.store"]


SCRIPTS = sorted((QA / "web").glob("*.js"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_the_page_s_scripts_keep_to_the_same_limits(script: Path) -> None:
    text = script.read_text()
    assert len(text.splitlines()) <= MAX_LINES
    long = {k: v for k, v in script_functions(text).items() if v > MAX_FUNCTION}
    assert long == {}


def test_a_long_script_function_is_caught() -> None:
    body = "\n".join(f"  x += '{{{i}';" for i in range(41))  # braces in strings are not code
    arrow = "const f = () => { return 1; };"
    probe = f"const r = /^\\d{{4}}$/;\nfunction long(x) {{\n{body}\n}}\n{arrow}\n"
    assert script_functions(probe) == {"long:2": 43, "arrow:45": 1}


# -- the clean-up's rules, each with a probe that shows it can fail ------------------------
RETIRED = {"threshold", "differ_gap", "rank_weight", "overlap_weight"}  # the span rules'


def retired(config: dict) -> set[str]:
    """The span rules' fields that a ``reader.json`` still holds."""
    return RETIRED & set(config)


def test_one_setting_one_name_and_no_span_rules() -> None:
    from qa.answer.reader import SHIPPED, ReaderConfig
    from qa.settings import Settings

    assert {"answer_threshold", "span_threshold"} <= set(Settings.model_fields)
    assert "reader_threshold" not in Settings.model_fields
    assert not RETIRED & set(ReaderConfig.__dataclass_fields__)
    config = json.loads((SHIPPED / "reader.json").read_text())
    assert retired(config) == set()
    assert {"answer_threshold", "span_threshold"} <= set(config["sentences"])
    assert retired({"threshold": -0.23, "sentences": {}}) == {"threshold"}  # the probe


def importers(name: str, allowed: set[str]) -> list[str]:
    """Our modules outside ``allowed`` folders that import the top-level package ``name``."""
    return [
        f"{p.relative_to(ROOT)} imports {m}"
        for folder in OURS
        if folder.name not in allowed
        for p in modules(folder)
        for m, _ in imports(p)
        if m == name or m.startswith(f"{name}.")
    ]


@pytest.mark.parametrize("name", ["bench", "recipes"])
def test_the_recipes_and_the_benchmarks_stay_apart(name: str) -> None:
    assert importers(name, {name, "tests"}) == []
    assert importers("qa", {"qa"})  # the probe: everything imports qa


@pytest.mark.parametrize(
    ("names", "home"),
    [
        ({"Answerer", "Condenser"}, "qa/answerer.py"),
        ({"normalized", "stemmed", "shingles", "resemblance"}, "qa/similarity.py"),
        ({"kind", "wanted", "fits"}, "qa/answer/kinds.py"),
        ({"agree"}, "qa/answer/outlets.py"),
    ],
)
def test_interfaces_and_rules_have_one_home(names: set[str], home: str) -> None:
    homes = {str(p.relative_to(ROOT)) for p in modules(QA) if names & definitions(p)}
    assert homes == {home}
    assert definitions("class Answerer:\n    pass\n") == {"Answerer"}  # the probe


def test_langchain_documents_only_at_the_retriever() -> None:
    found = {
        str(p.relative_to(ROOT))
        for p in modules(QA)
        if any(m.startswith("langchain_core.documents") for m, _ in imports(p))
    }
    assert found <= {"qa/search/retrieval.py"}
    assert "retriever.search(" in (QA / "chain.py").read_text()


def test_the_tests_mirror_the_tree_with_each_fixture_defined_once() -> None:
    """A folder of tests per folder of ``qa/`` (and the recipes and benchmarks); a fixture
    defined once where its tests see it: never twice in one folder, and never again what
    the top ``conftest.py`` defines for all."""
    tests = ROOT / "tests"
    places = {p.name for p in tests.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert places <= {p.name for p in QA.iterdir() if p.is_dir()} | {"recipes", "bench"}
    top = {p.name for p in tests.glob("test_*.py")}
    assert top <= {"test_layout.py", "test_cli.py", "test_package.py", "test_image.py"}
    shared = fixtures(tests / "conftest.py")
    for folder in [tests, *(tests / name for name in places)]:
        defined = [fixtures(p) for p in sorted(folder.glob("*.py"))]
        assert duplicated(defined if folder == tests else [shared, *defined]) == [], folder
    assert duplicated([["client"], ["client", "server"]]) == ["client"]  # the probe


def duplicated(defined: list[list[str]]) -> list[str]:
    """Names defined by more than one module."""
    seen: dict[str, int] = {}
    for names in defined:
        for name in set(names):
            seen[name] = seen.get(name, 0) + 1
    return sorted(n for n, times in seen.items() if times > 1)
