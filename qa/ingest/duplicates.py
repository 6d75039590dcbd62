"""Near-copies: the same (wire) story republished, with small edits, by another outlet.

An article's fingerprint is a MinHash (datasketch) of its word 3-grams; its LSH bands (the
band layout ``MinHashLSH`` chooses for the threshold) are kept on the stored article's
record (``qa.store.bands``), so a new article is compared only with the stored ones
that share a band (found in one lookup, however large the archive; their own
fingerprints are made again from their text). Two articles are near-copies when the
estimated Jaccard similarity of their 3-grams reaches the threshold
(``QA_NEAR_DUPLICATE_THRESHOLD``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH

from qa.similarity import shingles

PERMUTATIONS = 128


@lru_cache(maxsize=8)
def _layout(threshold: float) -> tuple[int, int]:
    """LSH bands and rows per band that datasketch chooses for the threshold."""
    lsh = MinHashLSH(threshold=threshold, num_perm=PERMUTATIONS)
    return lsh.b, lsh.r


@dataclass(frozen=True)
class Fingerprint:
    """An article's MinHash signature and the keys of its LSH bands."""

    signature: np.ndarray
    bands: dict[str, str]

    @classmethod
    def of(cls, text: str, threshold: float) -> Fingerprint:
        minhash = MinHash(num_perm=PERMUTATIONS)
        minhash.update_batch(s.encode("utf-8") for s in sorted(shingles(text)))
        signature = minhash.hashvalues.astype(np.uint32)
        b, r = _layout(threshold)
        bands = {
            f"lsh{b}x{r}_{i}": hashlib.blake2b(
                signature[i * r : (i + 1) * r].tobytes(), digest_size=8
            ).hexdigest()
            for i in range(b)
        }
        return cls(signature, bands)

    def similarity(self, other: Fingerprint) -> float:
        """Estimated Jaccard similarity of the two articles' 3-grams."""
        return float(np.mean(self.signature == other.signature))

    def shares_band(self, other: Fingerprint) -> bool:
        return any(other.bands.get(k) == v for k, v in self.bands.items())
