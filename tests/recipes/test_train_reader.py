"""The reader's training examples (``recipes.reader_data``): the hard no-answer example."""

from __future__ import annotations

import random

import pytest

from corpora import (
    SQUAD,
    SQUAD_TRAIN,
    SQUAD_V2,
    TEST,
    TRAIN,
    TUNE,
    SquadQuestion,
    training_questions,
)
from recipes.reader_data import Example, examples, similar, unanswerable

GOLD = "The Eiffel Tower was finished in 1889 for the World's Fair held in Paris."
NEAR_WITH_ANSWER = "Work on the Eiffel Tower in Paris ended in 1889, in time for the fair."
NEAR = "The Eiffel Tower in Paris is repainted every seven years by a team of workers."
FAR = "Bananas grow in tropical climates and are rich in potassium."


class Other(random.Random):
    """Every question gets the other-paragraph no-answer example (the first third of the
    roll), and a random pick is the article's first other paragraph."""

    def random(self) -> float:
        return 0.0

    def choice(self, seq):
        return seq[0]


def question(context: str, text: str, answer: str) -> SquadQuestion:
    return SquadQuestion(0, text, context, answer, context.index(answer), (answer,))


ASKED = question(GOLD, "When was the Eiffel Tower in Paris finished?", "1889")
ARTICLE = [
    ASKED,
    question(NEAR_WITH_ANSWER, "What ended in 1889?", "Work on the Eiffel Tower"),
    question(NEAR, "How often is the tower repainted?", "every seven years"),
    question(FAR, "Where do bananas grow?", "in tropical climates"),
]


def no_answer(made: list[Example], asked: SquadQuestion) -> list[str]:
    return [e.context for e in made if e.question == asked.question and e.start == -1]


def test_the_other_paragraphs_are_ranked_by_likeness_to_the_question() -> None:
    assert similar(ARTICLE)[0] == [NEAR_WITH_ANSWER, NEAR, FAR]  # the gold one left out


def test_a_hard_example_is_the_most_alike_paragraph_that_lacks_the_answer() -> None:
    hard = examples(ARTICLE, Other(), similar(ARTICLE))
    assert no_answer(hard, ASKED) == [NEAR]  # not the likelier one that holds "1889"
    easy = examples(ARTICLE, Other())  # the random pick holds the answer: no example
    assert no_answer(easy, ASKED) == []
    answerable = [e for e in hard if e.start >= 0]
    assert answerable == [e for e in easy if e.start >= 0]  # the same gold spans either way


@pytest.mark.parametrize(("scope", "count"), [(TRAIN, 3816), (TUNE, 494), (TEST, 1635)])
def test_squad2_unanswerable_questions_by_article(scope: range, count: int) -> None:
    """SQuAD 2.0's unanswerable questions, split as v1.1 dev's articles are (train on 0-31,
    choose on 32-35, never see 36-47), each pointing at [CLS]."""
    made = unanswerable(SQUAD_V2, SQUAD, scope)
    assert len(made) == count and all(e.start == e.end == -1 for e in made)


def test_training_questions_are_squad_train_and_dev_0_to_31() -> None:
    qs = training_questions(SQUAD, SQUAD_TRAIN)
    assert len(qs) == 87_599 + 7_235
    assert {q.article for q in qs} & set(TUNE) == set() and {q.article for q in qs} & set(
        TEST
    ) == set()
    assert all(q.context[q.answer_start :].startswith(q.answer) for q in qs)
