"""What each outlet says: articles that agree cited together, articles that differ each
named with their answer, facts of different kinds never differing, and short answers
of the kind the question asks for, over the seeds with the real model."""

import pytest

from qa.answer.extractive import ExtractiveAnswerer
from qa.answer.kinds import fits, kind
from qa.answer.outlets import agree
from tests.helpers import made_passage


def test_articles_that_agree_are_all_cited(eager: ExtractiveAnswerer) -> None:
    passages = [
        made_passage("The museum opened in Lyon in 1998, after a long campaign.", "a"),
        made_passage("Visitors have come to the Lyon museum since it opened in 1998.", "b"),
    ]
    answer = eager.answer("In which year did the museum open?", passages)
    assert answer.answered and answer.short_answer == "1998" and not answer.sources_differ
    assert [c.document_id for c in answer.citations] == ["a", "b"]
    assert all(c.answer_start is not None for c in answer.citations)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("red notices", "red notice", True),  # an ending aside: no "the articles differ"
        ("Ayatollah Ali Khamenei", "Khamenei", True),
        ("drone strike", "the drone strikes", True),
        ("Ali Algasimehr", "Ali Alghasi-Mehr", False),  # a name spelled two ways
        ("35", "36", False),
        ("millions of people", "hundreds of U.S. troops", False),
        ("", "anything", False),
    ],
)
def test_answers_agree_when_their_words_do(a: str, b: str, same: bool) -> None:
    assert agree(a, b) is same and agree(b, a) is same


def test_articles_that_differ_are_each_cited_with_their_own_answer(
    eager: ExtractiveAnswerer,
) -> None:
    passages = [
        made_passage("The bridge was designed by the engineer Maria Keller in 1931.", "a"),
        made_passage("The bridge was designed by the engineer Hans Vogel in 1931.", "b"),
    ]
    answer = eager.answer("Who designed the bridge?", passages)
    assert answer.answered and answer.sources_differ
    named = {(f.document_id, f.short_answer) for f in answer.findings}
    assert named == {("a", "Maria Keller"), ("b", "Hans Vogel")}
    said = [f'{f.short_answer}, in "{f.title}" [{n}]' for n, f in enumerate(answer.findings, 1)]
    assert answer.answer == "The articles differ: " + "; ".join(said) + "."
    by_doc = {c.document_id: c for c in answer.citations}
    for doc, name in (("a", "Maria Keller"), ("b", "Hans Vogel")):
        c, text = by_doc[doc], passages[0 if doc == "a" else 1].text
        assert c.answer_start is not None and c.answer_end is not None
        assert text[c.answer_start - 10 : c.answer_end - 10] == name  # document offsets


def test_facts_of_different_kinds_do_not_differ(eager: ExtractiveAnswerer) -> None:
    passages = [
        made_passage("The bridge was designed by the engineer Maria Keller in 1931.", "a"),
        made_passage("The bridge was designed by a team of young engineers from abroad.", "b"),
    ]
    answer = eager.answer("Who designed the bridge?", passages)
    assert answer.answered and not answer.sources_differ, answer.answer
    assert answer.tier == "span"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("January 3", "date"),
        ("Friday", "date"),
        ("in 2020", "date"),
        ("35 others", "number"),
        ("millions of people", "number"),
        ("Ali Algasimehr", "name"),
        ("Islamic Revolutionary Guard Corps", "name"),
        ("a propaganda stunt", None),
    ],
)
def test_the_kind_of_a_fact(text: str, expected: str | None) -> None:
    assert kind(text) == expected


def test_a_yes_no_question_is_answered_by_the_sentence_alone(eager: ExtractiveAnswerer) -> None:
    text = (
        "The council met on Monday. The mayor said the library would stay open through the "
        "winter. Parking fees rose."
    )
    answer = eager.answer("Will the library stay open through the winter?", [made_passage(text)])
    assert answer.answered and answer.tier == "sentence" and answer.short_answer is None
    assert answer.citations[0].quote == (
        "The mayor said the library would stay open through the winter."
    )
    assert answer.citations[0].answer_start is None
    assert text[answer.citations[0].start - 10 :].startswith(answer.citations[0].quote)


@pytest.mark.parametrize(
    ("question", "answer", "fit"),
    [
        ("Who called the warrant a propaganda stunt?", "Brian Hook", True),
        ("Who called the warrant a propaganda stunt?", "the special representative", False),
        ("Which organization was asked for a red notice?", "Interpol", True),
        ("Which organization was asked for a red notice?", "international organization", False),
        ("In which month was the general killed?", "January", True),
        ("When was the general killed?", "in a drone strike", False),
        ("Besides Trump, how many people face charges?", "35 others", True),
        ("How many people face charges?", "Trump's associates", False),
        ("What type of attack killed Soleimani?", "drone strike", True),  # no kind asked
        ("What is the job title of the official who announced it?", "prosecutor", True),
    ],
)
def test_a_short_answer_fits_the_kind_the_question_asks_for(
    question: str, answer: str, fit: bool
) -> None:
    assert fits(question, answer) is fit


def test_a_phrase_that_refers_back_gives_way_to_the_name(eager: ExtractiveAnswerer) -> None:
    """The reader's span is "the international organization"; a "which organization"
    question wants a name: the name the reader scores in the passage leads instead, in its
    own quoted sentence, and the sentence that answered best is quoted after it."""
    text = (
        "The police have asked Interpol to help arrest the suspect. The red notice is the "
        "highest-level request issued by the international organization."
    )
    answer = eager.answer("Which organization issues the red notice?", [made_passage(text)])
    assert answer.tier == "span" and answer.short_answer == "Interpol", answer.answer
    first = answer.citations[0]
    assert "Interpol" in first.quote and first.answer_start is not None
