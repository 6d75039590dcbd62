"""The chain and the extractive answerer over the seeds, with the real model and store."""

import dataclasses

import pytest

from qa.answer.extractive import NO_ANSWER, ExtractiveAnswerer
from qa.answer.history import condense
from qa.answer.kinds import fits, kind
from qa.answer.outlets import agree
from qa.api.streaming import events as answer_events
from qa.models import Answer, Passage, Question, Turn
from qa.service import Service
from tests.helpers import answer_turn


def _check_offsets(service: Service, answer: Answer) -> None:
    for c in answer.citations:
        assert service.document(c.document_id).text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.answer


def test_propaganda_stunt_is_brian_hook(seeded: Service) -> None:
    answer = seeded.chain.invoke(Question(text="Who called the arrest warrant a propaganda stunt?"))
    assert answer.answered and "Brian Hook" in answer.answer and "[1]" in answer.answer
    assert "Brian Hook" in answer.citations[0].quote
    _check_offsets(seeded, answer)
    assert answer.timings_ms["total"] >= answer.timings_ms["retrieve"] > 0


@pytest.mark.parametrize(
    "question", ["Who won the 2022 World Cup?", "What sentence did the court give?"]
)
def test_abstains_when_the_articles_do_not_say(seeded: Service, question: str) -> None:
    answer = seeded.chain.invoke(Question(text=question))
    assert not answer.answered, answer.answer
    assert answer.answer == NO_ANSWER and answer.citations == []


def test_follow_up_is_resolved_from_history(seeded: Service) -> None:
    asked = "Who was the head of Iran's Quds Force?"
    first = seeded.chain.invoke(Question(text=asked))
    assert first.findings  # the names in its short answer and quote: Qassem Soleimani
    history = [
        Turn(role="user", content=asked),
        Turn(role="assistant", content=first.answer, findings=first.findings),
    ]
    answer = seeded.chain.invoke(Question(text="How old was he?", history=history))
    assert answer.standalone_question == "How old was Qassem Soleimani?"
    assert answer.answered and "62" in answer.answer
    _check_offsets(seeded, answer)


@pytest.mark.parametrize(
    ("asked", "answered", "follow_up", "standalone"),
    [
        (  # the person the short answer names, not the force in the same sentence
            "Who led the Quds Force?",
            ("Soleimani", "Soleimani led Iran's Quds Force, the foreign operations wing."),
            "How old was he?",
            "How old was Soleimani?",
        ),
        (  # "it" is a thing: the organisation, not a person
            "Which organization did Iran ask for help?",
            ("Interpol", "Iran asked Interpol, the International Criminal Police Organization."),
            "What kind of notice did Iran ask it to issue?",
            "What kind of notice did Iran ask Interpol to issue?",
        ),
        (  # a multi-word person over a place named first, from the quote (no short answer)
            "Who announced the charges against Trump?",
            (None, "Tehran prosecutor Ali Algasimehr announced the charges."),
            "Which news agency did he tell?",
            "Which news agency did Ali Algasimehr tell?",
        ),
    ],
)
def test_pronouns_find_their_referent(
    asked: str, answered: tuple[str | None, str], follow_up: str, standalone: str
) -> None:
    short, quote = answered
    history = [Turn(role="user", content=asked), answer_turn(short, quote)]
    assert condense(follow_up, history) == standalone


def test_an_answer_is_read_by_its_findings_never_its_text() -> None:
    """An assistant turn that comes without findings (a client that keeps only the text)
    names nothing, however its text reads; and "he" is never a thing of the question."""
    history = [
        Turn(role="user", content="Who led the Quds Force?"),
        Turn(role="assistant", content='Soleimani: "Soleimani led the Quds Force." [1]'),
    ]
    standalone = condense("How old was he?", history)
    assert "Soleimani" not in standalone and "was Quds Force" not in standalone


@pytest.mark.parametrize(
    "question",
    [
        "Iran has issued an arrest warrant for U.S. President Donald Trump",
        "Which unit of Iran's military did Soleimani command?",
        "What crimes is Trump accused of by Iran?",
    ],
)
def test_answers_are_short_and_never_quote_a_passage_twice(seeded: Service, question: str) -> None:
    answer = seeded.chain.invoke(Question(text=question))
    assert len(answer.answer) <= 500 and len(answer.citations) <= 3
    quotes = [c.quote for c in answer.citations]
    assert len(set(quotes)) == len(quotes)
    _check_offsets(seeded, answer)


def test_cites_each_article_that_supports_the_answer(seeded: Service) -> None:
    answer = seeded.chain.invoke(
        Question(text="How many other people did Iran charge along with Trump?")
    )
    assert answer.answered and answer.short_answer in ("35", "35 others")
    assert not answer.sources_differ
    assert len({c.document_id for c in answer.citations}) == 2
    assert all("35" in c.quote for c in answer.citations)


def test_stream_gives_citations_then_pieces_then_the_answer(seeded: Service) -> None:
    events = list(answer_events(seeded.chain.stream(Question(text="How old was Soleimani?"))))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "citations" and kinds[-1] == "done" and "delta" in kinds
    done = events[-1][1]
    assert isinstance(done, Answer)
    assert "".join(str(v) for k, v in events if k == "delta") == done.answer


@pytest.fixture
def eager(seeded: Service) -> ExtractiveAnswerer:
    """The mechanism, whatever the thresholds: every sentence and every span is taken, and
    every other article is heard and may differ."""
    shipped = seeded.chain.answerer
    assert isinstance(shipped, ExtractiveAnswerer)
    model = dataclasses.replace(shipped.model, join=0.0, differ=0.0)
    return ExtractiveAnswerer(shipped.reader, 0.0, span_threshold=-100.0, model=model)


def _passage(text: str, document_id: str = "d1") -> Passage:
    return Passage(
        chunk_id=f"c-{document_id}", document_id=document_id, title=f"T {document_id}", text=text,
        start=10, end=10 + len(text), score=1.0,
    )  # fmt: skip


def test_the_short_answer_leads_and_its_offsets_are_the_documents(seeded: Service) -> None:
    answer = seeded.chain.invoke(Question(text="Who called the arrest warrant a propaganda stunt?"))
    assert answer.answered and answer.short_answer == "Brian Hook"
    assert answer.answer.startswith('Brian Hook: "') and "[1]" in answer.answer
    first = answer.citations[0]
    text = seeded.document(first.document_id).text
    assert first.answer_start is not None and first.answer_end is not None
    assert text[first.answer_start : first.answer_end] == answer.short_answer
    assert first.start <= first.answer_start < first.answer_end <= first.end
    _check_offsets(seeded, answer)


def test_articles_that_agree_are_all_cited(eager: ExtractiveAnswerer) -> None:
    passages = [
        _passage("The museum opened in Lyon in 1998, after a long campaign.", "a"),
        _passage("Visitors have come to the Lyon museum since it opened in 1998.", "b"),
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
        _passage("The bridge was designed by the engineer Maria Keller in 1931.", "a"),
        _passage("The bridge was designed by the engineer Hans Vogel in 1931.", "b"),
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
        _passage("The bridge was designed by the engineer Maria Keller in 1931.", "a"),
        _passage("The bridge was designed by a team of young engineers from abroad.", "b"),
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
    answer = eager.answer("Will the library stay open through the winter?", [_passage(text)])
    assert answer.answered and answer.tier == "sentence" and answer.short_answer is None
    assert answer.citations[0].quote == (
        "The mayor said the library would stay open through the winter."
    )
    assert answer.citations[0].answer_start is None
    assert text[answer.citations[0].start - 10 :].startswith(answer.citations[0].quote)


def test_a_long_sentence_is_cut_around_the_answer(seeded: Service) -> None:
    filler = ", ".join(f"and the {w} committee" for w in ["first", "second", "third", "fourth"] * 8)
    text = f"The treaty was signed in Vienna in 1815 {filler}, which all agreed to it."
    answer = seeded.chain.answerer.answer("Where was the treaty signed?", [_passage(text)])
    assert answer.answered and answer.short_answer == "Vienna" and len(answer.answer) <= 500
    quote = answer.citations[0].quote
    assert "Vienna" in quote and text[answer.citations[0].start - 10 :].startswith(quote)


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
    answer = eager.answer("Which organization issues the red notice?", [_passage(text)])
    assert answer.tier == "span" and answer.short_answer == "Interpol", answer.answer
    first = answer.citations[0]
    assert "Interpol" in first.quote and first.answer_start is not None
