"""The answer's fixtures: the shipped reader, and an extractive answerer over the seeds
that leads with any span (``eager``), for the rules between articles."""

from __future__ import annotations

import dataclasses

import pytest

from qa.answer.extractive import ExtractiveAnswerer
from qa.answer.reader import Reader
from qa.service import Service


@pytest.fixture
def eager(seeded: Service) -> ExtractiveAnswerer:
    """The mechanism, whatever the thresholds: every sentence and every span is taken, and
    every other article is heard and may differ."""
    shipped = seeded.chain.answerer
    assert isinstance(shipped, ExtractiveAnswerer)
    model = dataclasses.replace(shipped.model, join=0.0, differ=0.0)
    return ExtractiveAnswerer(shipped.reader, 0.0, span_threshold=-100.0, model=model)


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader.load()
