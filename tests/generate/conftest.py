"""The generated answer's fixtures: three seed passages and the citation check over the
seeded store."""

from __future__ import annotations

import pytest

from qa.generate.citations import CitationChecker
from qa.models import Passage
from qa.service import Service
from tests.generate.answering import passage


@pytest.fixture(scope="module")
def passages(seeded: Service) -> list[Passage]:
    """1: Brian Hook's words, 2: Soleimani's age, 3: Interpol's refusal."""
    phrases = ("Brian Hook, dismissed", "62-year-old Soleimani was killed", "Interpol issued")
    return [passage(seeded, p) for p in phrases]


@pytest.fixture(scope="module")
def checker(seeded: Service) -> CitationChecker:
    s = seeded.settings
    return CitationChecker(seeded.embedder, s.citation_min_similarity, s.citation_min_overlap)
