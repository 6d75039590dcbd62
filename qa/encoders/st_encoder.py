"""Sentence embeddings through sentence-transformers (torch), for a model that
``qa.encoders.onnx_export`` cannot export, or named on a model hub (``QA_EMBEDDING_BACKEND=
sentence-transformers``)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from qa.errors import QAError


class SentenceTransformerEncoder:
    """Unit-length embeddings of texts, ``batch_size`` texts to a pass."""

    def __init__(self, model: str, batch_size: int = 32):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        try:
            self.model = SentenceTransformer(model, device="cpu")
        except OSError as exc:
            raise QAError(f"cannot load the embedding model {model!r}: {exc}") from exc
        self.batch_size = batch_size
        self.dimension = int(self.model.get_embedding_dimension() or 0)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)
