"""The extractive answer: the span reader, each sentence weighed, tiers, follow-ups."""

from qa.answer.evidence import FEATURES, Candidate, candidates, is_open
from qa.answer.extractive import ExtractiveAnswerer, no_answer
from qa.answer.history import condense, recent
from qa.answer.kinds import fits
from qa.answer.outlets import Other, heard
from qa.answer.quote import findings
from qa.answer.reader import SHIPPED, Reader
from qa.answer.render import MAX_CHARS, MAX_SENTENCES, NO_ANSWER, render

__all__ = [
    "FEATURES",
    "MAX_CHARS",
    "MAX_SENTENCES",
    "NO_ANSWER",
    "SHIPPED",
    "Candidate",
    "ExtractiveAnswerer",
    "Other",
    "Reader",
    "candidates",
    "condense",
    "findings",
    "fits",
    "heard",
    "is_open",
    "no_answer",
    "recent",
    "render",
]
