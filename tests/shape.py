"""The tree as the layout test (``tests/test_layout.py``) reads it: modules and their
imports, the folders of ``qa/`` and what each exports, circles in a graph, definitions and
fixtures by name, and the page's scripts (a tokenizer just good enough to find each
function's block: strings, template literals, comments and regular expressions blanked
first, so that their braces do not count)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QA = ROOT / "qa"
OURS = [QA, *(ROOT / name for name in ("recipes", "corpora", "bench", "eval", "tests"))]
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


def definitions(path: Path | str) -> set[str]:
    """The names a module defines at its top: functions and classes."""
    source = path.read_text() if isinstance(path, Path) else path
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {n.name for n in ast.parse(source).body if isinstance(n, kinds)}


def fixtures(path: Path | str) -> list[str]:
    """The pytest fixtures a module defines."""
    source = path.read_text() if isinstance(path, Path) else path
    return [
        n.name
        for n in ast.parse(source).body
        if isinstance(n, ast.FunctionDef)
        and any("fixture" in ast.unparse(d) for d in n.decorator_list)
    ]


# ``function name(...) {``, a method ``name(...) {``, or an arrow with a block body
FUNCTION = re.compile(r"function\s*(\w*)\s*\([^)]*\)\s*\{|(\w+)\s*\([^()]*\)\s*\{|=>\s*\{")


def code_of(script: str) -> str:
    """A script with its strings, template literals, comments and regular expressions
    blanked (their braces are not code), lines kept."""
    out, i, n = [], 0, len(script)
    last = "("  # the last significant character: a "/" after an operator opens a regex
    while i < n:
        ch = script[i]
        if script.startswith("//", i) or script.startswith("/*", i):
            end = script.find("\n" if script[i + 1] == "/" else "*/", i + 2)
            end = n if end < 0 else end + (0 if script[i + 1] == "/" else 2)
        elif ch in "\"'`" or (ch == "/" and last in "(,=:[!&|?{};"):
            end = i + 1
            while end < n and script[end] != ch:
                end += 2 if script[end] == "\\" else 1
            end += 1
        else:
            out.append(ch)
            last = ch if not ch.isspace() else last
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", script[i:end]))
        last = "x"
        i = end
    return "".join(out)


def script_functions(script: str) -> dict[str, int]:
    """Each function of a script (``function name(``, or an arrow or method with a block
    body) and its length in lines."""
    code = code_of(script)
    found = {}
    for match in FUNCTION.finditer(code):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(code)):
            depth += {"{": 1, "}": -1}.get(code[end], 0)
            if depth == 0:
                break
        first = code.count("\n", 0, match.start()) + 1
        name = match.group(1) or match.group(2) or "arrow"
        found[f"{name}:{first}"] = code.count("\n", match.start(), end) + 1
    return found
