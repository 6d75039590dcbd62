"""Sentence embeddings through onnxruntime and the ``tokenizers`` library, from a folder
that ``qa.encoders.onnx_export`` wrote (``model.onnx``, ``tokenizer.json``, ``encoder.json``).

Texts are sorted by length and read in batches padded to their longest member, so a batch
of short texts costs what short texts cost; the vectors come back in the given order.
Batches run side by side, one single-threaded session per core, rather than each batch
split across the cores by one session: a batch's threads then never wait for each other,
and a core taken by other work (an ingest's writes) slows one batch, not every batch
(2 cores: 8-19% more texts a second idle, 11-20% more beside a busy thread).
"""

from __future__ import annotations

import json
import os
import queue
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

MAX_WORKERS = 8  # each session holds its own copy of the model and a batch's activations


def cores() -> int:
    """The cores this process may run on, at most ``MAX_WORKERS`` (a container may see
    every core of its host)."""
    found = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(found or 1, MAX_WORKERS))


class OnnxEncoder:
    """Unit-length embeddings of texts, ``batch_size`` texts to a pass, ``workers`` passes
    at once (0: one per core)."""

    def __init__(self, folder: Path, batch_size: int = 32, workers: int = 0):
        import onnxruntime as ort

        config = json.loads((folder / "encoder.json").read_text())
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(int(config["max_length"]))

        def session() -> ort.InferenceSession:
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            path = str(folder / "model.onnx")
            return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

        sessions = [session() for _ in range(workers or cores())]
        self.dimension = int(sessions[0].get_outputs()[0].shape[-1])
        self._idle: queue.SimpleQueue[ort.InferenceSession] = queue.SimpleQueue()
        for s in sessions:
            self._idle.put(s)
        self._pool = ThreadPoolExecutor(len(sessions), thread_name_prefix="qa-encode")
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dimension) float32 array of unit vectors, one row per text, in order."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [order[at : at + self.batch_size] for at in range(0, len(order), self.batch_size)]
        if len(batches) == 1:  # a query: no hand-over to the pool
            out[batches[0]] = self._pass([texts[i] for i in batches[0]])
            return out
        passes = self._pool.map(self._pass, ([texts[i] for i in rows] for rows in batches))
        for rows, vectors in zip(batches, passes, strict=True):
            out[rows] = vectors
        return out

    def _pass(self, texts: list[str]) -> np.ndarray:
        """One batch through an idle session (there is one for each of the pool's threads)."""
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        session = self._idle.get()
        try:
            (vectors,) = session.run(["embedding"], feed)
        finally:
            self._idle.put(session)
        return np.asarray(vectors, dtype=np.float32)
