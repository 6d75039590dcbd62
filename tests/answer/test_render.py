"""The answer's text, rendered from its findings (``qa.answer.render``)."""

from __future__ import annotations

import pytest

from qa.answer.render import MAX_CHARS, NO_ANSWER, render
from qa.models import Citation, Finding


def _finding(
    n: int, quote: str, short: str | None = None, title: str = "T", copies: int = 0
) -> Finding:
    at = quote.find(short) if short else -1
    cited = Citation(
        n=n, document_id=f"d{n}", title=title, quote=quote, start=100, end=100 + len(quote),
        score=1.0, answer_start=100 + at if short else None,
        answer_end=100 + at + len(short) if short else None,
    )  # fmt: skip
    near = [
        Finding(
            document_id=f"c{n + k}", title=title, quotes=[cited.model_copy(update={"n": n + k})]
        )
        for k in range(1, copies + 1)
    ]
    return Finding(
        document_id=f"d{n}", title=title, quotes=[cited], short_answer=short, copies=near
    )


AGED = "Qassem Soleimani was a 62-year-old general."
KILLED = "In January, 62-year-old Soleimani was killed."


@pytest.mark.parametrize(
    ("findings", "differ", "text"),
    [
        ([], False, NO_ANSWER),
        ([_finding(1, AGED, "62")], False, f'62: "{AGED}" [1]'),
        (  # agreeing articles are cited together beside the short answer
            [_finding(1, AGED, "62"), _finding(2, KILLED, "62")],
            False,
            f'62 [1][2]: "{AGED}" [1] "{KILLED}" [2]',
        ),
        (  # a near-copy is cited beside the sentence it repeats
            [_finding(1, AGED, "62", copies=1)],
            False,
            f'62: "{AGED}" [1][2]',
        ),
        (  # no short answer: the sentences alone; a cut one shows where it was cut
            [_finding(1, AGED), _finding(2, "was killed in a drone strike")],
            False,
            f'"{AGED}" [1] "…was killed in a drone strike…" [2]',
        ),
        (  # each different answer with the article that gives it
            [
                _finding(1, "Prosecutor Ali Algasimehr spoke.", "Ali Algasimehr", "U.S. calls"),
                _finding(2, "Ali Alghasi-Mehr spoke.", "Ali Alghasi-Mehr", "Iran Asks"),
            ],
            True,
            'The articles differ: Ali Algasimehr, in "U.S. calls" [1]; '
            'Ali Alghasi-Mehr, in "Iran Asks" [2].',
        ),
    ],
)
def test_the_text_is_rendered_from_the_findings(
    findings: list[Finding], differ: bool, text: str
) -> None:
    assert render(findings, differ) == text


def test_long_titles_are_cut_to_keep_the_answer_within_its_limit() -> None:
    title = "An exceedingly long headline " * 12
    findings = [_finding(n, f"Name{n} spoke.", f"Name{n}", title) for n in (1, 2, 3)]
    text = render(findings, differ=True)
    assert len(text) <= MAX_CHARS and text.count("…") == 3
    assert all(f"Name{n}, in" in text for n in (1, 2, 3))
