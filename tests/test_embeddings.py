"""The embedder's cache: bounded in bytes, and never changing what ``encode`` returns."""

from __future__ import annotations

import numpy as np

from qa.embeddings import Embedder


def test_the_cache_stays_within_its_byte_budget_and_answers_the_same() -> None:
    embedder = Embedder(cache_bytes=20_000)  # about ten texts with their vectors
    texts = [f"Article {n} says the bridge cost {n} million dollars." for n in range(40)]
    first = embedder.encode(texts)  # more than the cache holds, in one call
    assert first.shape == (40, embedder.dimension)
    assert 0 < embedder._held <= 20_000 and len(embedder._cache) < 40
    again = embedder.encode(texts[::-1])
    assert np.allclose(again[::-1], first, atol=1e-5)
    assert np.allclose(embedder.encode([texts[-1]])[0], first[-1], atol=1e-5)
