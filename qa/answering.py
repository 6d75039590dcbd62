"""Answerers: turn a question and retrieved passages into a short, cited answer.

``ExtractiveAnswerer`` runs offline with no language model. The reader (``qa.reader``)
reads every retrieved passage in one batch and points at the words that answer; the
answer leads with them and quotes the sentence that holds them. Another article that
states the same answer is cited too; one that states a different answer, about as surely,
is cited with its own answer and the answer says that the articles differ. Spans are
ranked by their margin over their own passage's "no answer" (``qa.reader.preferred``);
when the reader is sure of none (``qa.reader.sure``: no passage's "no answer" is low
enough), it abstains.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Protocol

from qa.models import Answer, Citation, Passage
from qa.reader import Reader, Span, preferred, sure
from qa.text import passage_sentences, shared_words, stemmed

NO_ANSWER = "The articles don't say."
DIFFER = "The articles differ."
# What any answer may be, the one home of these limits (the eval scores by them too).
MAX_SENTENCES, MAX_CHARS = 3, 500


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
class Found:
    """A span the reader found, placed in its passage and document."""

    span: Span
    passage: Passage

    @property
    def start(self) -> int:  # document offsets of the short answer
        return self.passage.start + self.span.start

    @property
    def end(self) -> int:
        return self.passage.start + self.span.end

    def copies(self) -> list[Found]:
        """The same span in the passage's near-copies (other outlets) that carry it."""
        out = []
        for copy in self.passage.copies:
            at = copy.text.find(self.span.text)
            if at >= 0:
                out.append(Found(replace(self.span, start=at, end=at + len(self.span.text)), copy))
        return out

    def citation(self, n: int, budget: int, margin: float) -> Citation:
        """Citation ``n``: the sentence that holds the span, and the span's offsets."""
        start, quote, _ = self.sentence(budget)
        return Citation.of(n, self.passage, quote, start, round(margin, 4), (self.start, self.end))

    def sentence(self, budget: int) -> tuple[int, str, str]:
        """The document offset and text of the sentence(s) holding the span, and how to
        show it: cut to about ``budget`` characters around the span, at spaces, with "…"
        where it was cut."""
        text, s = self.passage.text, self.span
        spans = passage_sentences(text)
        a = max((x.start for x in spans if x.start <= s.start), default=0)
        b = min((x.end for x in spans if x.end >= s.end), default=len(text))
        before = after = ""
        room = max(0, budget - (s.end - s.start)) // 2
        if b - a > budget and s.start - room > a:
            a, before = text.find(" ", s.start - room, s.start) + 1 or s.start, "…"
        if b - a > budget and s.end + room < b:
            b, after = max(s.end, text.rfind(" ", s.end, s.end + room)), "…"
        quote = text[a:b].strip()
        return self.passage.start + text.find(quote, a), quote, f"{before}{quote}{after}"


def agree(a: str, b: str) -> bool:
    """The same answer: one's words contain the other's, word endings aside ("red notices"
    and "red notice"; ``qa.text.stemmed``)."""
    x, y = f" {stemmed(a)} ", f" {stemmed(b)} "
    return x.strip() != "" and y.strip() != "" and (x in y or y in x)


def corroborating(best: Span, own: Sequence[Span]) -> Span | None:
    """The span of another article (``own``: its spans, best first) that states ``best``'s
    answer: its own best span when that agrees, or another agreeing span of it that beats
    its passage's "no answer"; None when it does not corroborate ``best``."""
    same = [s for s in own if agree(s.text, best.text)]
    return same[0] if same and (same[0] is own[0] or same[0].margin > 0) else None


class ExtractiveAnswerer:
    """Quote the words that answer and the sentence around them; abstain when none do."""

    name = "extractive"

    def __init__(
        self,
        reader: Reader,
        threshold: float | None = None,
        differ_gap: float | None = None,
    ):
        self.reader = reader
        self.threshold = reader.config.threshold if threshold is None else threshold
        # another article's own, different answer whose margin is this close to the best's
        self.differ_gap = reader.config.differ_gap if differ_gap is None else differ_gap
        self.rank_weight = reader.config.rank_weight
        self.overlap_weight = reader.config.overlap_weight

    def find(self, question: str, passages: Sequence[Passage]) -> list[Found]:
        """Every span the reader proposes, best first, each once (passages overlap)."""
        seen: set[tuple[str, int, int]] = set()
        out = []
        for span in self.reader.read(question, [p.text for p in passages]):
            found = Found(span, passages[span.passage])
            key = (found.passage.document_id, found.start, found.end)
            if key not in seen:
                seen.add(key)
                out.append(found)
        return out

    def choose(self, question: str, found: list[Found]) -> tuple[list[Found], bool]:
        """The preferred span (``qa.reader.preferred``), then per other article: its span
        that corroborates it (``corroborating``), or its own best answer when the reader is
        sure of it, its margin is nearly as high and it says something else."""
        text = {f.span: f.passage.text for f in found}

        @cache  # the differ check below asks again for spans already weighed
        def overlap(s: Span) -> float:
            return shared_words(question, text[s], s.start, s.end)

        best_span = preferred(
            list(text), self.threshold, self.rank_weight, self.overlap_weight, overlap
        )
        if best_span is None:
            return [], False
        best = next(f for f in found if f.span is best_span)
        chosen, differ = [best], False
        for doc in dict.fromkeys(f.passage.document_id for f in found):
            if doc == best.passage.document_id or len(chosen) >= MAX_SENTENCES:
                continue
            own = [f for f in found if f.passage.document_id == doc]
            top = own[0]
            hit = corroborating(best.span, [f.span for f in own])
            if hit is not None:
                chosen.append(next(f for f in own if f.span is hit))
            elif top.span.margin >= best.span.margin - self.differ_gap and sure(
                top.span, self.threshold, self.overlap_weight * overlap(top.span)
            ):
                chosen.append(top)
                differ = True
        return chosen, differ

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        chosen, differ = self.choose(question, self.find(question, passages))
        if not chosen:
            return no_answer(question)
        return self.compose(question, chosen, differ)

    def compose(self, question: str, chosen: list[Found], differ: bool) -> Answer:
        """``short: "sentence" [1]``; when the articles differ, each answer with its own."""
        lead = f"{DIFFER} " if differ else ""
        chosen = chosen[: MAX_SENTENCES - 1] if differ else chosen  # the lead counts
        budget = (MAX_CHARS - len(lead)) // len(chosen) - 12
        parts: list[str] = []
        citations: list[Citation] = []
        for f in chosen:
            label = f"{f.span.text}: " if (differ or not citations) else ""
            room = budget - len(f.span.text)
            # the same words in a near-copy of the article: its outlet is cited beside it
            cited = [
                each.citation(len(citations) + i + 1, room, f.span.margin)
                for i, each in enumerate([f, *f.copies()])
            ]
            citations += cited
            parts.append(f'{label}"{f.sentence(room)[2]}" ' + "".join(f"[{c.n}]" for c in cited))
        return Answer(
            answer=lead + " ".join(parts),
            answered=True,
            standalone_question=question,
            citations=citations,
            short_answer=chosen[0].span.text,
            sources_differ=differ,
        )

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The whole answer at once: the chain streams it after its citations."""
        yield self.answer(question, passages)
