"""Checking a generated answer's ``[n]`` markers against the passages they point at.

Each sentence of the answer is checked against each passage it cites: the passage
supports it when one of its sentences is close to it in meaning (cosine of the
embeddings, ``min_similarity``), holds most of its words (the share of the sentence's
stemmed, stop-word-free words, ``min_overlap``) and every number it states. A marker
pointing at a passage that does not support its sentence, or at no passage at all, is
removed; a sentence left with no
citation is kept but marked unsupported; an answer with no supported sentence becomes
"The articles don't say.". The kept citations are renumbered 1..m in order of first use,
and each quotes the passage's best-supporting sentence with its exact document offsets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.answer import findings, no_answer
from qa.encoders import Embedder
from qa.models import Answer, Citation, Passage, Sentence
from qa.text import sentences, tokenize

# [1], [1][2], [1, 2], [passage 1]: the numbers of the passages cited
MARKER = re.compile(r"\[\s*(?:passage\s*)?\d+(?:\s*[,;]\s*(?:passage\s*)?\d+)*\s*\]", re.I)
_LEADING = re.compile(rf"^(?:\s*{MARKER.pattern})+", re.I)
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")
# a sentence that says the passages do not tell: never "supported"
_ABSTAINS = re.compile(
    r"\b(articles?|passages?|texts?|sources?|context)\b.*\b(do(es)?n['’]?t|do(es)? not|never)\b"
    r".*\b(say|mention|contain|state|provide|specify|include)|\bno information\b",
    re.I,
)


def numbers(text: str) -> list[int]:
    """The passage numbers cited in ``text``, once each, in order."""
    found = (int(n) for m in MARKER.finditer(text) for n in re.findall(r"\d+", m.group()))
    return list(dict.fromkeys(found))


def clean(text: str) -> str:
    """The text without its markers, on one line, with no space before punctuation."""
    bare = " ".join(MARKER.sub(" ", text).split())
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", bare)


@dataclass
class Claim:
    """A sentence of the answer (without markers) and the passage numbers it cites."""

    text: str
    cited: list[int] = field(default_factory=list)


def claims(answer: str) -> list[Claim]:
    """The answer's sentences. Markers that open a sentence ("... stunt. [1] He ...")
    belong to the sentence before, as do markers standing alone."""
    found: list[Claim] = []
    for span in sentences(answer):
        raw = answer[span.start : span.end]
        lead = _LEADING.match(raw)
        if lead and found:
            found[-1].cited += numbers(lead.group())
            raw = raw[lead.end() :]
        text = clean(raw)
        if text and re.search(r"\w", text):
            found.append(Claim(text, numbers(raw)))
        elif found:
            found[-1].cited += numbers(raw)
    for claim in found:
        claim.cited = list(dict.fromkeys(claim.cited))
    return found


@dataclass(frozen=True)
class Support:
    """The sentence of a passage that best supports a claim, in document offsets."""

    quote: str
    start: int
    end: int
    similarity: float
    overlap: float


class CitationChecker:
    """Checks a generated answer's citations; the result is the ``Answer`` to return."""

    def __init__(
        self,
        embedder: Embedder,
        min_similarity: float = 0.5,
        min_overlap: float = 0.65,
        name: str = "llm",
    ):
        self.embedder = embedder
        self.min_similarity = min_similarity
        self.min_overlap = min_overlap
        self.name = name  # the answerer the checked answers are reported as

    def support(self, claim: str, passage: Passage) -> Support | None:
        """The passage's best sentence for the claim, or None if none supports it."""
        spans = sentences(passage.text)
        texts = [passage.text[s.start : s.end] for s in spans]
        words = set(tokenize([claim])[0])
        if not texts or not words:
            return None
        vectors = self.embedder.encode([claim, *texts])
        similarity = vectors[1:] @ vectors[0]
        overlap = [len(words & set(t)) / len(words) for t in tokenize(texts)]
        figures = _figures(claim)
        best: Support | None = None
        for span, text, sim, share in zip(spans, texts, similarity, overlap, strict=True):
            if sim < self.min_similarity or share < self.min_overlap:
                continue
            if not figures <= _figures(text):  # "45 years old" is not "62-year-old"
                continue
            if best is None or sim + share > best.similarity + best.overlap:
                start = passage.start + span.start
                best = Support(text, start, start + len(text), float(sim), share)
        return best

    def check(self, question: str, text: str, passages: Sequence[Passage]) -> Answer:
        """The answer with only supported citations, renumbered, and each sentence marked."""
        numbering: dict[tuple[int, int], int] = {}  # (passage number, quote start) -> n
        citations: list[Citation] = []
        checked: list[Sentence] = []
        for claim in claims(text):
            kept: list[int] = []
            cited = [] if _ABSTAINS.search(claim.text) else claim.cited
            for number in cited:
                if not 1 <= number <= len(passages):
                    continue  # a passage that was never sent
                passage = passages[number - 1]
                found = self.support(claim.text, passage)
                if found is None:
                    continue
                key = (number, found.start)
                if key not in numbering:
                    numbering[key] = len(numbering) + 1
                    citations.append(
                        Citation.of(
                            numbering[key], passage, found.quote, found.start, found.similarity
                        )
                    )
                kept += [numbering[key]] if numbering[key] not in kept else []
            checked.append(Sentence(text=claim.text, citations=kept, supported=bool(kept)))
        if not any(s.supported for s in checked):
            return no_answer(question, self.name)
        return Answer(
            answer=" ".join(map(render, checked)),
            answered=True,
            standalone_question=question,
            citations=citations,
            findings=findings(citations),  # no chance: the words are the model's
            answerer=self.name,
            sentences=checked,
            tier="generated",
        )


def _figures(text: str) -> set[str]:
    """The numbers written in digits in ``text`` ("1,000" as "1000")."""
    return {n.replace(",", "") for n in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text)}


def render(sentence: Sentence) -> str:
    """The sentence followed by its markers, as the extractive answerer writes them."""
    markers = "".join(f"[{n}]" for n in sentence.citations)
    return f"{sentence.text} {markers}" if markers else sentence.text
