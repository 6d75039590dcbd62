"""The shape of the house, checked so that it cannot rot: ``qa/`` in folders by stage, each
folder's ``__init__.py`` the only door the others use (the recipes, the benchmarks and the
data sets use them too), no circle between folders (nor between the modules of
``recipes/``, ``bench/`` and ``corpora/``), ``bench`` imported only by itself and the
tests, and no module anywhere (Python, or the page's scripts) over 250 lines nor any
function over 40."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scripts import script_functions

ROOT = Path(__file__).resolve().parents[1]
QA = ROOT / "qa"
OURS = [QA, *(ROOT / name for name in ("recipes", "corpora", "bench", "tests"))]
FOLDERS = sorted(p.name for p in QA.iterdir() if (p / "__init__.py").exists())
MAX_LINES, MAX_FUNCTION = 250, 40


def modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def imports(path: Path | str) -> Iterator[tuple[str, list[str]]]:
    """Every ``from X import names`` of the module (inside functions too), absolute; a
    module's path, or its source."""
    source = path.read_text() if isinstance(path, Path) else path
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def folder_of(path: Path) -> str | None:
    """The folder of ``qa/`` a module lives in (None: the top of ``qa/``)."""
    parts = path.relative_to(QA).parts
    return parts[0] if len(parts) > 1 else None


def exported(folder: str) -> set[str]:
    """The names in a folder's ``__all__``."""
    tree = ast.parse((QA / folder / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


def crossings(path: Path, source: str | None = None, own: str | None = None) -> list[str]:
    """The imports of the module at ``path`` (or of ``source``, as if it lived in folder
    ``own``) that reach into another folder past its ``__init__.py``, or take a name that
    folder does not export."""
    if source is None:
        source, own = path.read_text(), folder_of(path)
    bad = []
    for module, names in imports(source):
        parts = module.split(".")
        if parts[0] != "qa" or len(parts) < 2 or parts[1] not in FOLDERS or parts[1] == own:
            continue
        if len(parts) > 2:
            bad.append(f"{path.name} imports {module}")
        else:
            doors = exported(parts[1])
            bad += [f"{path.name}: {n} from {module}" for n in names if n not in doors]
    return bad


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of the graph, if it has one."""
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


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
