"""The reader's weights: a trained model exported as the shipped int8 ONNX file, and that
file's weights back as a model to train further.

``qa/answer/reader/model.onnx`` is all that is kept of a training run (no checkpoint is
committed). Its int8 weights, dequantised (``(q - zero_point) * scale``, per channel for
the matrices, per tensor for the embeddings), are a ``BertForQuestionAnswering`` that
reads as the shipped model does before its activations are quantised; a later learning-rate
cycle starts from them (``recipes.train_reader --start-from qa/answer/reader``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

QUANTIZED, SCALE, ZERO = "_quantized", "_scale", "_zero_point"


def dequantized(model_onnx: Path) -> dict[str, np.ndarray]:
    """The state dict (names as ``BertForQuestionAnswering`` has them) of an ONNX reader
    exported by ``recipes.train_reader`` and quantised with onnxruntime's dynamic
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


def export(final: Path, out: Path, fp32: Path) -> None:
    """A trained model folder as ``out``'s int8 ONNX reader (dynamic quantisation, per
    channel) beside its tokenizer, by way of an fp32 export at ``fp32``."""
    import shutil

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import BertForQuestionAnswering

    class Logits(torch.nn.Module):
        def __init__(self, model: torch.nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.start_logits, out.end_logits

    model = Logits(BertForQuestionAnswering.from_pretrained(final).eval())
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones((2, 16), dtype=torch.long) for _ in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "start_logits", "end_logits"]}
    torch.onnx.export(
        model,
        dummy,
        str(fp32),
        input_names=names,
        output_names=["start_logits", "end_logits"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    out.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(
        str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True
    )
    shutil.copy(final / "tokenizer.json", out / "tokenizer.json")


def write_config(out: Path, update: dict) -> None:
    """``update`` merged into the reader's ``reader.json`` in ``out``."""
    path = out / "reader.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**data, **update}, indent=2) + "\n")
