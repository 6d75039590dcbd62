"""Encoders: embeddings of the bundled all-MiniLM-L6-v2 (int8 ONNX, or sentence-transformers)."""

from qa.encoders.embeddings import Embedder

__all__ = ["Embedder"]
