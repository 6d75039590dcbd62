"""Answerers: turn a question and retrieved passages into a short, cited answer.

``ExtractiveAnswerer`` runs offline with no language model, and answers in tiers, as a
search engine's featured snippet does. The reader (``qa.answer.reader``) reads every retrieved
passage in one batch; every sentence of them is weighed on all the evidence
(``qa.answer.evidence``) and the likeliest one answers:
- its span is sure: the short answer leads, inside its quoted, cited sentence (``span``);
- its span is not (or no span answers in a word: yes/no, why): the sentence alone,
  quoted and cited (``sentence``);
- no sentence is likely enough: "The articles don't say." (``none``).
Another article that states the same answer is cited too. One that states a different
fact of the same kind (two dates, two numbers, two names), each sure in its own article,
is cited with its own answer and the answer says that the articles differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from qa.answer.evidence import Candidate, SentenceModel, candidates
from qa.answer.quote import Quote
from qa.answer.reader import Reader, Span
from qa.models import Answer, Citation, Passage, Tier
from qa.text import agree, kind

NO_ANSWER = "The articles don't say."
DIFFER = "The articles differ."
# What any answer may be, the one home of these limits (the eval scores by them too).
MAX_SENTENCES, MAX_CHARS = 3, 500
RELATED = 3  # passages shown where to look when the articles don't say


class Answerer(Protocol):
    """Anything that answers a question from numbered passages, with citations."""

    name: str

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer: ...

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """Pieces of the answer text, then the whole ``Answer``."""
        ...


def no_answer(question: str, answerer: str = "extractive") -> Answer:
    return Answer(answer=NO_ANSWER, answered=False, standalone_question=question, answerer=answerer)


@dataclass(frozen=True)
class Other:
    """A sentence of another article likely enough to answer, as the rule between articles
    sees it: its article, its chance, its span and whether that span is sure."""

    document: str
    chance: float
    span: Span | None
    sure: bool


def between(
    short: Span, chance: float, others: Sequence[Other], share: float
) -> tuple[list[int], int | None]:
    """What the other articles say beside the best sentence's sure span ``short`` (of
    ``chance``): per article (``others``, likeliest first), the index of its sentence whose
    span states the same answer; and, for the first article that states none, the index of
    its likeliest sentence when that one differs: at least ``share`` of ``chance``, sure of
    its span, and that span a fact of the same kind (two dates, numbers or names)."""
    agreeing: list[int] = []
    differing: int | None = None
    for doc in dict.fromkeys(o.document for o in others):
        own = [i for i, o in enumerate(others) if o.document == doc]
        same = [i for i in own if (x := others[i].span) is not None and agree(x.text, short.text)]
        top = others[own[0]]
        if same:
            agreeing.append(same[0])
        elif (
            differing is None
            and top.sure
            and top.span is not None
            and top.chance >= share * chance
            and kind(top.span.text) is not None
            and kind(top.span.text) == kind(short.text)
        ):
            differing = own[0]
    return agreeing, differing


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
        self.answer_threshold = self.model.answer if answer_threshold is None else answer_threshold
        # the least margin (logits) of its span over "no answer", for the span to lead
        self.span_threshold = self.model.span if span_threshold is None else span_threshold

    def weigh(self, question: str, passages: Sequence[Passage]) -> list[Scored]:
        """Every sentence of the passages with the chance that it answers, likeliest first."""
        texts = [p.text for p in passages]
        found = candidates(question, texts, self.reader.reading(question, texts))
        scored = [Scored(c, self.model.chance(c), passages[c.passage]) for c in found]
        return sorted(scored, key=lambda s: -s.chance)

    def sure(self, s: Scored, question: str) -> bool:
        return self.model.sure(s.candidate, question, self.span_threshold)

    def choose(self, question: str, scored: list[Scored]) -> tuple[list[Quote], bool]:
        """The likeliest sentence, led by its span when sure, then per other article: its
        sentence that states the same short answer, or, sure of its own answer of the same
        kind and stating none that agrees, one that differs. Without a sure span, the next
        likeliest sentence too when it is likely enough to answer on its own."""
        if not scored or scored[0].chance < self.answer_threshold:
            return [], False
        best = scored[0]
        short = best.candidate.span if self.sure(best, question) else None
        if short is None:  # the next likeliest sentence too, when it is likely enough
            return [_quote(s, None) for s in scored[:2] if s.chance >= self.answer_threshold], False
        skip = {best.passage.document_id, *(c.document_id for c in best.passage.copies)}
        likely = [
            s
            for s in scored[1:]
            if s.chance >= self.answer_threshold and s.passage.document_id not in skip
        ]
        others = [
            Other(s.passage.document_id, s.chance, s.candidate.span, self.sure(s, question))
            for s in likely
        ]
        agreeing, differing = between(short, best.chance, others, self.model.differ)
        if differing is not None:
            return [_quote(best, short), _quote(likely[differing], others[differing].span)], True
        quotes = [_quote(best, short), *(_quote(likely[i], others[i].span) for i in agreeing)]
        return quotes[:MAX_SENTENCES], False

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        scored = self.weigh(question, passages)
        chosen, differ = self.choose(question, scored)
        if not chosen:
            return no_answer(question).model_copy(update={"related": related(scored)})
        return self.compose(question, chosen, differ, scored[0].chance)

    def compose(self, question: str, chosen: list[Quote], differ: bool, chance: float) -> Answer:
        """``short: "sentence" [1]`` or ``"sentence" [1]``; when the articles differ, each
        answer with its own."""
        lead = f"{DIFFER} " if differ else ""
        budget = (MAX_CHARS - len(lead)) // len(chosen) - 12
        parts: list[str] = []
        citations: list[Citation] = []
        for q in chosen:
            short = q.span.text if q.span else ""
            label = f"{short}: " if short and (differ or not citations) else ""
            room = budget - len(short)
            # the same words in a near-copy of the article: its outlet is cited beside it
            cited = [
                each.citation(len(citations) + i + 1, room, chance)
                for i, each in enumerate([q, *q.copies()])
            ]
            citations += cited
            parts.append(f'{label}"{q.shown(room)[2]}" ' + "".join(f"[{c.n}]" for c in cited))
        tier: Tier = "span" if chosen[0].span else "sentence"
        return Answer(
            answer=lead + " ".join(parts),
            answered=True,
            standalone_question=question,
            citations=citations,
            short_answer=chosen[0].span.text if chosen[0].span else None,
            sources_differ=differ,
            tier=tier,
        )

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The whole answer at once: the chain streams it after its citations."""
        yield self.answer(question, passages)


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
