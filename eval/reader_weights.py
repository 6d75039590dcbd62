"""The shipped reader's weights back as a model to train further.

``qa/reader/model.onnx`` is all that is kept of a training run (no checkpoint is
committed). Its int8 weights, dequantised (``(q - zero_point) * scale``, per channel for
the matrices, per tensor for the embeddings), are a ``BertForQuestionAnswering`` that
reads as the shipped model does before its activations are quantised; a later learning-rate
cycle starts from them (``eval.train_reader --start-from qa/reader``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

QUANTIZED, SCALE, ZERO = "_quantized", "_scale", "_zero_point"


def dequantized(model_onnx: Path) -> dict[str, np.ndarray]:
    """The state dict (names as ``BertForQuestionAnswering`` has them) of an ONNX reader
    exported by ``eval.train_reader`` and quantised with onnxruntime's dynamic
    quantisation: its float initializers as they are, its int8 ones dequantised, the
    weights of its integer matrix products transposed back."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_onnx)).graph
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}

    def value(name: str) -> np.ndarray:
        if name in arrays:
            return arrays[name].astype(np.float32)
        q, zero = arrays[name + QUANTIZED].astype(np.float32), arrays[name + ZERO]
        return (q - zero.astype(np.float32)) * arrays[name + SCALE].astype(np.float32)

    state = {}
    for name in arrays:
        base = name.removesuffix(QUANTIZED)
        if name.startswith("model.") and not name.endswith((SCALE, ZERO)):
            state[base.removeprefix("model.")] = value(base)
    for node in graph.node:
        if node.op_type == "MatMulInteger":  # /model/<module path>/MatMul_quant
            module = node.name.removeprefix("/model/").removesuffix("/MatMul_quant")
            weight = value(node.input[1].removesuffix(QUANTIZED))
            state[module.replace("/", ".") + ".weight"] = np.ascontiguousarray(weight.T)
    return state


def save_model(state: Mapping[str, Any], base: Path, out: Path) -> Path:
    """These weights (every one of the architecture's, no other) as a transformers model
    folder, with the architecture and the tokenizer of ``base``, the bundled MiniLM."""
    import torch
    from transformers import AutoTokenizer, BertForQuestionAnswering

    with torch.random.fork_rng(devices=[]):  # the training's random state stays as seeded
        model = BertForQuestionAnswering.from_pretrained(base)
    model.load_state_dict(state)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    return out


def save_dequantized(reader: Path, base: Path, out: Path) -> Path:
    """The reader folder's weights, dequantised, as a transformers model folder."""
    import torch

    state = {k: torch.from_numpy(v) for k, v in dequantized(reader / "model.onnx").items()}
    return save_model(state, base, out)
