"""Every sentence weighed on the evidence (``qa.answer.evidence``), with the real reader, and the
choices made from it (``recipes.answer_tune``) on small made-up rows."""

from __future__ import annotations

import numpy as np
import pytest

from qa.answer.evidence import FEATURES, Candidate, SentenceModel, candidates, is_open
from qa.answer.reader import SHIPPED, Reader
from qa.answer.reading import Span
from recipes.answer_data import Row
from recipes.answer_tune import balanced, differ_rate, join_scores, span_threshold

BRIDGE = "The bridge was designed by the engineer Maria Keller in 1931. It opened in 1933."
COPY = "It opened in 1933. Tolls were dropped in 1950."


@pytest.mark.parametrize(
    ("question", "open_"),
    [
        ("Did Iran's supreme leader signal that more action would follow?", True),
        ("Was anybody killed?", True),
        ("Why did Iran ask Interpol for help?", True),
        ("How did the U.S. label Soleimani?", False),
        ("How many people were charged?", False),
        ("How old was Soleimani?", False),
        ("Who designed the bridge?", False),
        ("Which news agency did he tell?", False),
    ],
)
def test_questions_that_no_span_answers_in_a_word(question: str, open_: bool) -> None:
    assert is_open(question) is open_


def test_each_sentence_is_weighed_once_with_its_best_span_inside_it(reader: Reader) -> None:
    question, texts = "Who designed the bridge?", [BRIDGE, COPY]
    found = candidates(question, texts, reader.reading(question, texts))
    shown = [texts[c.passage][c.start : c.end] for c in found]
    # "It opened in 1933." is in both passages: weighed once, where it was first read
    assert shown == [
        "The bridge was designed by the engineer Maria Keller in 1931.",
        "It opened in 1933.",
        "Tolls were dropped in 1950.",
    ]
    assert [c.passage for c in found] == [0, 0, 1]
    for c in found:
        assert len(c.features) == len(FEATURES)
        assert c.span is not None and c.start <= c.span.start < c.span.end <= c.end
        assert texts[c.passage][c.span.start : c.span.end] == c.span.text
    best = SentenceModel.load(SHIPPED)
    chances = [best.chance(c) for c in found]
    assert found[0].span is not None and found[0].span.text == "Maria Keller"
    assert chances[0] == max(chances)


def test_the_shipped_weights_are_the_tuned_ones() -> None:
    model = SentenceModel.load(SHIPPED)
    assert model != SentenceModel()  # reader.json's, not the defaults
    assert len(model.weights) == len(FEATURES) and 0 < model.answer_threshold < 1
    assert model.tune["questions"]["realtimeqa answerable"] > 0


def _row(name: str, answerable: bool, margins: list[float], holds: list[bool]) -> Row:
    found = [
        Candidate(i, 0, 10, Span(i, 0, 4, f"Name{i}", m, 0.0), (0.0,) * len(FEATURES))
        for i, m in enumerate(margins)
    ]
    docs = [f"d{i}" for i in range(len(margins))]
    em = [1.0 if h else 0.0 for h in holds]
    return Row(name, "Who?", ("Name0",), answerable, found, holds, em, ["x"] * len(found), docs)


def test_the_answer_threshold_balances_answering_and_abstaining() -> None:
    rows = [
        _row("a", True, [9.0], [True]),
        _row("a", True, [9.0], [True]),
        _row("a", False, [1.0], [False]),
        _row("a", False, [1.0], [False]),
    ]
    chances = [np.array([0.8]), np.array([0.6]), np.array([0.3]), np.array([0.1])]
    t = balanced(rows, chances)
    assert 0.3 < t <= 0.6  # both answerable answered, both unanswerable abstained


def test_the_span_threshold_shows_spans_right_at_least_half_the_time() -> None:
    rows = [
        _row("a", True, [10.0], [True]),
        _row("a", True, [7.0], [True]),
        _row("a", True, [3.0], [False]),
        _row("a", True, [2.0], [False]),
    ]
    chances = [np.array([0.9])] * 4
    # from 3 logits 2 of 3 shown spans are right; from 2, 2 of 4: both at least half
    assert span_threshold(rows, chances, 0.5) == -4.0
    rows[1] = _row("a", True, [7.0], [False])  # now only the 10-logit span is right
    assert span_threshold(rows, chances, 0.5) == 4.0


def test_differ_is_counted_only_for_a_sure_fact_of_the_same_kind() -> None:
    # another document's likeliest sentence, sure of another name: a false "differ"
    rows = [_row("a", True, [9.0, 8.0], [True, False])]
    chances = [np.array([0.9, 0.8])]
    assert differ_rate(rows, chances, (0.5, 6.0, 0.5, 0.5)) == {"a": 1.0}
    # not nearly as likely as the best: heard, but no "differ"
    assert differ_rate(rows, chances, (0.5, 6.0, 0.5, 0.95)) == {"a": 0.0}
    # not likely enough to join: not heard at all
    assert differ_rate(rows, chances, (0.5, 6.0, 0.85, 0.5)) == {"a": 0.0}
    # not sure of its span: no "differ"
    rows = [_row("a", True, [9.0, 4.0], [True, False])]
    assert differ_rate(rows, chances, (0.5, 6.0, 0.5, 0.5)) == {"a": 0.0}


def test_joining_is_scored_by_the_articles_heard_that_answer() -> None:
    rows = [
        _row("a", True, [9.0, 8.0], [True, True]),  # another article answers too
        _row("a", True, [9.0, 8.0], [True, False]),  # another article is beside the point
    ]
    chances = [np.array([0.9, 0.6]), np.array([0.9, 0.4])]
    # at 0.5 only the one that answers is heard: precision 1, recall 1
    assert join_scores(rows, chances, (0.5, 6.0, 0.5, 1.0)) == {"a": 1.0, "all": 1.0}
    # at 0.3 the other is heard too: precision 1/2, recall 1, F1 2/3
    assert join_scores(rows, chances, (0.5, 6.0, 0.3, 1.0)) == {"a": 0.6667, "all": 0.6667}
    # at 0.7 none is heard
    assert join_scores(rows, chances, (0.5, 6.0, 0.7, 1.0)) == {"a": 0.0, "all": 0.0}
    # two sets: their counts pooled
    both = [*rows, _row("b", True, [9.0, 8.0], [True, False])]
    scores = join_scores(both, [*chances, np.array([0.9, 0.6])], (0.5, 6.0, 0.5, 1.0))
    assert scores == {"a": 1.0, "b": 0.0, "all": 0.6667}  # precision 1/2, recall 1
