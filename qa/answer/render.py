"""An answer's text, rendered in one place from its findings (``qa.models.Finding``), for
people and for clients that read only text. Nothing reads it back: the page, follow-ups and
the OpenAI-compatible extras read the findings and citations.

- one article answers: ``Brian Hook: "The U.S special representative…" [1]``;
- the articles agree: the short answer with every finding that states it, then each
  quoted sentence: ``62 [1][2]: "Qassem Soleimani was a 62-year-old…" [1] "…" [2]``;
- the articles differ: each short answer with the article that states it:
  ``The articles differ: Ali Algasimehr, in "U.S. calls…" [1]; Ali Alghasi-Mehr, in "Iran
  Asks Interpol…" [2].``;
- no short answer (tier ``sentence``): the quoted sentences, ``"…" [1] "…" [2]``;
- no finding: ``The articles don't say.``
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qa.models import Finding

NO_ANSWER = "The articles don't say."
DIFFER = "The articles differ:"
# What any answer may be, the one home of these limits (the eval scores by them too).
MAX_SENTENCES, MAX_CHARS = 3, 500
_ENDS = ".!?\"'”’)"


def render(findings: Sequence[Finding], differ: bool = False) -> str:
    """The answer's text: see the module's docstring."""
    if not findings:
        return NO_ANSWER
    if differ:
        return _differing(findings)
    stated = [f for f in findings if f.short_answer]
    cited = markers(n for f in stated for n in f.numbers) if len(stated) > 1 else ""
    lead = f"{stated[0].short_answer}{' ' if cited else ''}{cited}: " if stated else ""
    return lead + " ".join(_quoted(f) for f in findings)


def markers(numbers: Iterable[int]) -> str:
    """``[1][2]``: the citation markers of these numbers."""
    return "".join(f"[{n}]" for n in numbers)


def _differing(findings: Sequence[Finding]) -> str:
    """Each short answer with the titles of the articles that state it, and the sentences
    of any finding without one."""
    named: dict[str, list[Finding]] = {}
    for f in findings:
        if f.short_answer:
            named.setdefault(f.short_answer, []).append(f)
    quoted = [_quoted(f) for f in findings if not f.short_answer]
    fixed = len(DIFFER) + sum(len(s) + 8 for s in named) + sum(len(q) + 1 for q in quoted)
    titles = sum(len(v) for v in named.values())
    room = max(12, (MAX_CHARS - fixed) // max(titles, 1) - 10)
    parts = [
        f"{short}, in "
        + " and ".join(f'"{_cut(f.title, room)}" {markers(f.numbers)}' for f in stating)
        for short, stating in named.items()
    ]
    return " ".join([DIFFER, "; ".join(parts) + ".", *quoted]).strip()


def _quoted(f: Finding) -> str:
    """The finding's sentences, each quoted with its own citation and those of the same
    sentence in near-copies (numbered right after it)."""
    numbers = f.numbers
    own = [q.n for q in f.quotes]
    out = []
    for k, q in enumerate(f.quotes):
        upto = own[k + 1] if k + 1 < len(own) else max(numbers) + 1
        cited = [n for n in numbers if q.n <= n < upto]
        out.append(f'"{_shown(q.quote)}" {markers(cited)}')
    return " ".join(out)


def _shown(quote: str) -> str:
    """The quote with "…" where it was cut: it starts in lower case or ends without a
    sentence's end."""
    before = "…" if quote[:1].islower() else ""
    after = "" if quote[-1:] in _ENDS else "…"
    return f"{before}{quote}{after}"


def _cut(title: str, room: int) -> str:
    if len(title) <= room:
        return title
    return title[: title.rfind(" ", 0, room - 1) if " " in title[: room - 1] else room - 1] + "…"
