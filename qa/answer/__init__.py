"""The extractive answer: the span reader, each sentence weighed, tiers, follow-ups."""

from qa.answer.extractive import MAX_CHARS, MAX_SENTENCES, Answerer, ExtractiveAnswerer, no_answer
from qa.answer.history import Condenser, condense
from qa.answer.reader import Reader

__all__ = [
    "MAX_CHARS",
    "MAX_SENTENCES",
    "Answerer",
    "Condenser",
    "ExtractiveAnswerer",
    "Reader",
    "condense",
    "no_answer",
]
