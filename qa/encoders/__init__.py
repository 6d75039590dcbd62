"""Encoders: embeddings of the bundled all-MiniLM-L6-v2 (int8 ONNX, or sentence-transformers)."""

from qa.encoders.embeddings import Embedder, resolve_model

__all__ = ["Embedder", "resolve_model"]
