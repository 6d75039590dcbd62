"""Evaluation: answers graded by SQuAD's rules against a gold file, and the report."""

from qa.evaluation.evaluate import InProcess, OverHttp, evaluate, evaluate_service
from qa.evaluation.grading import (
    best_f1,
    contains,
    exact_match,
    f1,
    is_correct,
    normalize,
    strip_markers,
)
from qa.evaluation.report import below, cell, percentile, summary

__all__ = [
    "InProcess",
    "OverHttp",
    "below",
    "best_f1",
    "cell",
    "contains",
    "evaluate",
    "evaluate_service",
    "exact_match",
    "f1",
    "is_correct",
    "normalize",
    "percentile",
    "strip_markers",
    "summary",
]
