"""Evaluation: answers graded by SQuAD's rules against a gold file, and the report."""

from qa.evaluation.evaluate import InProcess, OverHttp, evaluate
from qa.evaluation.report import below, cell, summary

__all__ = ["InProcess", "OverHttp", "below", "cell", "evaluate", "summary"]
