"""Sentence embeddings through onnxruntime and the ``tokenizers`` library, from a folder
that ``qa.onnx_export`` wrote (``model.onnx``, ``tokenizer.json``, ``encoder.json``).

Texts are sorted by length and read in batches padded to their longest member, so a batch
of short texts costs what short texts cost; the vectors come back in the given order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer


class OnnxEncoder:
    """Unit-length embeddings of texts, ``batch_size`` texts to a pass."""

    def __init__(self, folder: Path, batch_size: int = 32, threads: int = 0):
        import onnxruntime as ort

        config = json.loads((folder / "encoder.json").read_text())
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(int(config["max_length"]))

        def session(threads: int) -> ort.InferenceSession:
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            # idle threads sleep: the reader's session and the ingest's other threads share
            # the cores
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            path = str(folder / "model.onnx")
            return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

        self.session = session(threads)
        # one text (a query) on one thread: as fast, and the search's other work gets a core
        self.single = session(1)
        self.batch_size = batch_size
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dimension) float32 array of unit vectors, one row per text, in order."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for at in range(0, len(order), self.batch_size):
            rows = order[at : at + self.batch_size]
            out[rows] = self._pass([texts[i] for i in rows])
        return out

    def _pass(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (vectors,) = (self.single if len(texts) == 1 else self.session).run(["embedding"], feed)
        return np.asarray(vectors, dtype=np.float32)
