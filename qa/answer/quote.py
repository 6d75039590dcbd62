"""A sentence to quote from a retrieved passage, with the short answer in it: where it and
its short answer lie in the document, the same sentence in near-copies of its article, and
how it is cut to fit the answer's room."""

from __future__ import annotations

from dataclasses import dataclass

from qa.answer.reading import Span
from qa.models import Citation, Cited, Finding, Passage
from qa.text import passage_sentences


@dataclass(frozen=True)
class Quote:
    """A sentence to quote (``[start, end)`` of its passage's text), with the short answer
    in it, if it leads with one."""

    passage: Passage
    start: int
    end: int
    span: Span | None = None

    @property
    def answer(self) -> tuple[int, int] | None:  # document offsets of the short answer
        if self.span is None:
            return None
        return self.passage.start + self.span.start, self.passage.start + self.span.end

    def copies(self) -> list[Quote]:
        """The same sentence in the passage's near-copies (other outlets) that carry it, or,
        where a copy words it otherwise, its sentence that holds the same short answer."""
        out = []
        for copy in self.passage.copies:
            quote = self._in(copy)
            if quote is not None:
                out.append(quote)
        return out

    def _in(self, copy: Passage) -> Quote | None:
        text = self.passage.text[self.start : self.end]
        at = copy.text.find(text)
        if at >= 0:
            return Quote(copy, at, at + len(text), self._moved(at - self.start))
        if self.span is None or (where := copy.text.find(self.span.text)) < 0:
            return None
        around = [r for r in passage_sentences(copy.text) if r.start <= where < r.end]
        if not around:
            return None
        return Quote(copy, around[0].start, around[0].end, self._moved(where - self.span.start))

    def _moved(self, shift: int) -> Span | None:
        s = self.span
        return (
            None
            if s is None
            else Span(s.passage, s.start + shift, s.end + shift, s.text, s.score, s.null)
        )

    def citation(self, n: int, budget: int, score: float) -> Citation:
        start, quote, _ = self.shown(budget)
        return Citation.of(n, self.passage, quote, start, round(score, 4), self.answer)

    def shown(self, budget: int) -> tuple[int, str, str]:
        """The document offset and text of the quote, and how to show it: cut to about
        ``budget`` characters around the short answer (or from the sentence's start), at
        spaces, with "…" where it was cut."""
        text, a, b = self.passage.text, self.start, self.end
        lo, hi = (self.span.start, self.span.end) if self.span else (a, a)
        before = after = ""
        room = max(0, budget - (hi - lo)) // (2 if self.span else 1)
        if b - a > budget and self.span and lo - room > a:
            a, before = text.find(" ", lo - room, lo) + 1 or lo, "…"
        if b - a > budget and hi + room < b:
            b, after = max(hi, text.rfind(" ", hi, hi + room)), "…"
        quote = text[a:b].strip()
        return self.passage.start + text.find(quote, a), quote, f"{before}{quote}{after}"


def finding(quotes: list[Quote], cited: list[Citation], chance: float) -> Finding:
    """What the article of ``quotes`` says (the first leads, with its short answer if it
    shows one), cited as ``cited`` (its quotes, each followed by the same sentence in its
    near-copies), a near-copy's citations making a finding of its own."""
    ours, *copies = findings(cited, chance)
    return ours.model_copy(update={"copies": copies})


def findings(cited: list[Citation], chance: float | None = None) -> list[Finding]:
    """The citations as findings, one per article in the order first cited: its quotes,
    the short answer its first quote holds (if any), and ``chance``."""
    by: dict[str, list[Citation]] = {}
    for c in cited:
        by.setdefault(c.document_id, []).append(c)
    return [_finding(quotes, chance) for quotes in by.values()]


def _finding(quotes: list[Citation], chance: float | None) -> Finding:
    lead = quotes[0]
    a, b = lead.answer_start, lead.answer_end
    short = None if a is None or b is None else lead.quote[a - lead.start : b - lead.start]
    return Finding(
        **lead.model_dump(include=set(Cited.model_fields)),
        quotes=quotes,
        short_answer=short,
        answer_start=a,
        answer_end=b,
        chance=None if chance is None else round(chance, 4),
    )
