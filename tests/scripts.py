"""The page's scripts read as the layout test reads them: a tokenizer just good enough to
find each function's block (strings, template literals, comments and regular expressions
blanked first, so that their braces do not count)."""

from __future__ import annotations

import re

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
    for match in re.finditer(
        r"function\s*(\w*)\s*\([^)]*\)\s*\{|(\w+)\s*\([^()]*\)\s*\{|=>\s*\{", code
    ):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(code)):
            depth += {"{": 1, "}": -1}.get(code[end], 0)
            if depth == 0:
                break
        first = code.count("\n", 0, match.start()) + 1
        name = match.group(1) or match.group(2) or "arrow"
        found[f"{name}:{first}"] = code.count("\n", match.start(), end) + 1
    return found
