"""Answerers: turn a question and retrieved passages into a short, cited answer.

``ExtractiveAnswerer`` runs offline with no language model, and answers in tiers, as a
search engine's featured snippet does. The reader (``qa.answer.reader``) reads every retrieved
passage in one batch; every sentence of them is weighed on all the evidence
(``qa.answer.evidence``) and the likeliest one answers:
- its span is sure: the short answer leads, inside its quoted, cited sentence (``span``);
- its span is not (or no span answers in a word: yes/no, why): the sentence alone,
  quoted and cited (``sentence``);
- no sentence is likely enough: "The articles don't say." (``none``), with the passages
  most likely to bear on the question (``related``).
Every other article whose sentence is likely enough to join (``SentenceModel.join``) is
heard too, up to three articles in all: by its sentence that states the same answer, or by
its likeliest. One that states a different fact of the same kind (two dates, numbers or
names), sure in its own article, is named with its answer: the articles differ. What each
article says is a ``Finding``; the text is rendered from them (``qa.answer.render``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.answer.evidence import Candidate, SentenceModel, candidates, is_open
from qa.answer.kinds import fits
from qa.answer.outlets import Other, heard
from qa.answer.quote import Quote, finding
from qa.answer.reader import Reader, Span
from qa.answer.reading import Reading
from qa.answer.render import MAX_CHARS, MAX_SENTENCES, NO_ANSWER, render
from qa.models import Answer, Citation, Finding, Passage

RELATED = 3  # passages shown where to look when the articles don't say


def no_answer(question: str, answerer: str = "extractive") -> Answer:
    return Answer(answer=NO_ANSWER, answered=False, standalone_question=question, answerer=answerer)


@dataclass
class Said:
    """What one article heard in the answer is quoted by (the first sentence leads, with
    its short answer if it shows one), and the chance that its lead sentence answers."""

    quotes: list[Quote]
    chance: float


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    chance: float
    passage: Passage


class ExtractiveAnswerer:
    """Quote the sentence that answers, led by its short answer when the reader is sure of
    it; abstain when no sentence is likely enough to answer."""

    name = "extractive"

    def __init__(
        self,
        reader: Reader,
        answer_threshold: float | None = None,
        span_threshold: float | None = None,
        model: SentenceModel | None = None,
    ):
        self.reader = reader
        self.model = model or SentenceModel.load(Path(reader.name))
        # the least chance (0 to 1) that the likeliest sentence answers, to answer at all
        self.answer_threshold = (
            self.model.answer_threshold if answer_threshold is None else answer_threshold
        )
        # the least margin (logits) of its span over "no answer", for the span to lead
        self.span_threshold = (
            self.model.span_threshold if span_threshold is None else span_threshold
        )

    def weigh(self, question: str, passages: Sequence[Passage], reading: Reading) -> list[Scored]:
        """Every sentence of the passages, as the reader read them (``reading``), with the
        chance that it answers, likeliest first."""
        found = candidates(question, [p.text for p in passages], reading)
        scored = [Scored(c, self.model.chance(c), passages[c.passage]) for c in found]
        return sorted(scored, key=lambda s: -s.chance)

    def sure(self, s: Scored, question: str) -> bool:
        return self.model.sure(s.candidate, question, self.span_threshold)

    def named(
        self, best: Scored, scored: list[Scored], question: str, reading: Reading
    ) -> list[Quote]:
        """Where the best sentence's span is sure but not of the kind the question asks
        for ("the international organization" for "Which organization…?"), the span of
        that kind the reader scores surely in the sentence itself, else the likeliest other
        sentence of its passage with a sure one (quoted before it); else nothing."""
        c = best.candidate
        if c.span is None or c.span.margin < self.span_threshold or is_open(question):
            return []
        own = reading.within(c.passage, c.start, c.end, lambda text: fits(question, text))
        if own is not None and own.margin >= self.span_threshold:
            return [_quote(best, own)]
        same = (s for s in scored if s.passage is best.passage and s is not best)
        other = next((s for s in same if self.sure(s, question)), None)
        return [] if other is None else [_quote(other, other.candidate.span), _quote(best, None)]

    def choose(
        self, question: str, scored: list[Scored], reading: Reading
    ) -> tuple[list[Said], bool]:
        """Per article heard, the sentences it is quoted by, and whether they differ: the
        likeliest sentence, led by its span when sure (without one, the article's next
        likeliest sentence too when it is likely enough to answer on its own), then other
        articles whose sentences are likely enough to join (``heard``)."""
        if not scored or scored[0].chance < self.answer_threshold:
            return [], False
        best = scored[0]
        short = best.candidate.span if self.sure(best, question) else None
        first = Said([_quote(best, short)], best.chance)
        doc = best.passage.document_id
        if short is None and (named := self.named(best, scored, question, reading)):
            # a phrase that refers back gives way to the name the reader scores for it
            first.quotes, short = named, named[0].span
        elif short is None:
            first.quotes += [
                _quote(s, None)
                for s in scored[1:2]
                if s.chance >= self.answer_threshold and s.passage.document_id == doc
            ]
        skip = {doc, *(c.document_id for c in best.passage.copies)}
        join = self.model.join
        likely = [s for s in scored[1:] if s.chance >= join and s.passage.document_id not in skip]
        others = [
            Other(s.passage.document_id, s.chance, s.candidate.span, self.sure(s, question))
            for s in likely
        ]
        room = MAX_SENTENCES - len(first.quotes)  # at most 3 sentences in all
        joined, differ = heard(short, best.chance, others, self.model.differ, room)
        said = [first] + [
            Said([_quote(likely[i], likely[i].candidate.span if shown else None)], likely[i].chance)
            for i, shown in joined
        ]
        return said, differ

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        reading = self.reader.reading(question, [p.text for p in passages])
        scored = self.weigh(question, passages, reading)
        said, differ = self.choose(question, scored, reading)
        if not said:
            return no_answer(question).model_copy(update={"related": related(scored)})
        return compose(question, said, differ)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The whole answer at once: the chain streams it after its citations."""
        yield self.answer(question, passages)


def compose(question: str, said: list[Said], differ: bool) -> Answer:
    """The answer of the articles heard (``said``) as findings and the citations they hold,
    its text rendered from them: each quote cut to its share of the answer's room, less
    until the text fits."""
    spans = [q.span.text for s in said for q in s.quotes if q.span]
    room = (MAX_CHARS - sum(len(x) + 8 for x in spans[:1])) // sum(len(s.quotes) for s in said)
    room -= 12  # its quotation marks and markers
    while True:
        citations, findings = _cited(said, room)
        text = render(findings, differ)
        if len(text) <= MAX_CHARS or room < 60:
            break
        room -= 20
    return Answer(
        answer=text,
        answered=True,
        standalone_question=question,
        citations=citations,
        findings=findings,
        short_answer=findings[0].short_answer,
        sources_differ=differ,
        tier="span" if findings[0].short_answer else "sentence",
    )


def _cited(said: list[Said], room: int) -> tuple[list[Citation], list[Finding]]:
    """Each quote (and the same sentence in its article's near-copies: their outlets are
    cited beside it) cut to ``room``, numbered, and each article's finding."""
    citations: list[Citation] = []
    findings: list[Finding] = []
    for s in said:
        cited: list[Citation] = []
        for q in s.quotes:
            for each in [q, *q.copies()]:
                cited.append(each.citation(len(citations) + len(cited) + 1, room, s.chance))
        citations += cited
        findings.append(finding(s.quotes, cited, s.chance))
    return citations, findings


def related(scored: list[Scored], most: int = RELATED) -> list[Citation]:
    """Where to look when no sentence answers: the likeliest sentence of each of the
    ``most`` passages likeliest to bear on the question, quoted whole (or cut to fit)."""
    out: list[Citation] = []
    seen: set[tuple[str, int]] = set()
    for s in scored:
        where = (s.passage.document_id, s.passage.start)
        if where not in seen and len(out) < most:
            seen.add(where)
            out.append(_quote(s, None).citation(len(out) + 1, MAX_CHARS // most, s.chance))
    return out


def _quote(s: Scored, span: Span | None) -> Quote:
    return Quote(s.passage, s.candidate.start, s.candidate.end, span)
