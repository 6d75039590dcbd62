"""The chain and the extractive answerer over the seeds, with the real model and store:
cited answers, abstentions, follow-ups, streaming and short answers at their offsets."""

import pytest

from qa.answer.extractive import NO_ANSWER
from qa.answer.history import condense
from qa.api.streaming import events as answer_events
from qa.models import Answer, Question, Turn
from qa.service import Service
from tests.helpers import answer_turn, made_passage


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


def test_a_long_sentence_is_cut_around_the_answer(seeded: Service) -> None:
    filler = ", ".join(f"and the {w} committee" for w in ["first", "second", "third", "fourth"] * 8)
    text = f"The treaty was signed in Vienna in 1815 {filler}, which all agreed to it."
    answer = seeded.chain.answerer.answer("Where was the treaty signed?", [made_passage(text)])
    assert answer.answered and answer.short_answer == "Vienna" and len(answer.answer) <= 500
    quote = answer.citations[0].quote
    assert "Vienna" in quote and text[answer.citations[0].start - 10 :].startswith(quote)
