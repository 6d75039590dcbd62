"""The chain and the extractive answerer over the seeds, with the real model and store."""

from qa.answering import NO_ANSWER, ExtractiveAnswerer
from qa.models import Answer, Passage, Turn
from qa.service import Service


def _check_offsets(service: Service, answer: Answer) -> None:
    for c in answer.citations:
        assert service.document(c.document_id).text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.answer


def test_propaganda_stunt_is_brian_hook(seeded: Service) -> None:
    answer = seeded.chain.invoke("Who called the arrest warrant a propaganda stunt?")
    assert answer.answered and "Brian Hook" in answer.answer and "[1]" in answer.answer
    assert "Brian Hook" in answer.citations[0].quote
    _check_offsets(seeded, answer)
    assert answer.timings_ms["total"] >= answer.timings_ms["retrieve"] > 0


def test_abstains_when_the_articles_do_not_say(seeded: Service) -> None:
    for question in ("Who won the 2022 World Cup?", "What sentence did the court give?"):
        answer = seeded.chain.invoke(question)
        assert not answer.answered, answer.answer
        assert answer.answer == NO_ANSWER and answer.citations == []


def test_follow_up_is_resolved_from_history(seeded: Service) -> None:
    history = [
        Turn(role="user", content="Who was the head of Iran's Quds Force?"),
        Turn(role="assistant", content="Qassem Soleimani was the head of Iran's Quds Force. [1]"),
    ]
    answer = seeded.chain.invoke("How old was he?", history)
    assert answer.standalone_question == "How old was Qassem Soleimani?"
    assert answer.answered and "62" in answer.answer
    _check_offsets(seeded, answer)


def test_answers_are_short_and_never_quote_a_passage_twice(seeded: Service) -> None:
    for question in (
        "Iran has issued an arrest warrant for U.S. President Donald Trump",
        "Which unit of Iran's military did Soleimani command?",
        "What crimes is Trump accused of by Iran?",
    ):
        answer = seeded.chain.invoke(question)
        assert len(answer.answer) <= 500 and len(answer.citations) <= 3
        quotes = [c.quote for c in answer.citations]
        assert len(set(quotes)) == len(quotes)
        _check_offsets(seeded, answer)


def test_cites_each_article_that_supports_the_answer(seeded: Service) -> None:
    answer = seeded.chain.invoke("Which unit of Iran's military did Soleimani command?")
    assert answer.answered and "Quds Force" in answer.answer
    assert len({c.document_id for c in answer.citations}) == 2


def test_stream_gives_citations_then_pieces_then_the_answer(seeded: Service) -> None:
    events = list(seeded.chain.stream("How old was Soleimani?"))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "citations" and kinds[-1] == "done" and "delta" in kinds
    done = events[-1][1]
    assert isinstance(done, Answer)
    assert "".join(str(v) for k, v in events if k == "delta") == done.answer


def _passage(text: str, document_id: str = "d1") -> Passage:
    return Passage(
        chunk_id="c", document_id=document_id, title="T", text=text, start=10, end=10 + len(text),
        score=1.0,
    )  # fmt: skip


def test_expected_kind_of_answer_is_required(embedder: object, seeded: Service) -> None:
    answerer = ExtractiveAnswerer(seeded.embedder, seeded.retriever.tokens)
    passage = _passage("The council met to discuss the new bridge. It approved the plan quickly.")
    assert not answerer.answer("In what year did the council approve the plan?", [passage]).answered
    dated = _passage("The council approved the bridge plan in 2019 after a long debate.")
    answer = answerer.answer("In what year did the council approve the bridge plan?", [dated])
    assert answer.answered and answer.citations[0].start == 10  # offsets are the document's
