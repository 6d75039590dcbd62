"""The extractive answer: the span reader, each sentence weighed, tiers, follow-ups."""

from qa.answer.extractive import Answerer, ExtractiveAnswerer, no_answer
from qa.answer.history import Condenser, condense, recent
from qa.answer.quote import findings
from qa.answer.reader import Reader
from qa.answer.render import MAX_CHARS, MAX_SENTENCES, NO_ANSWER, render

__all__ = [
    "MAX_CHARS",
    "MAX_SENTENCES",
    "NO_ANSWER",
    "Answerer",
    "Condenser",
    "ExtractiveAnswerer",
    "Reader",
    "condense",
    "findings",
    "no_answer",
    "recent",
    "render",
]
