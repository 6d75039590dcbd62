"""The embedding model as ONNX: exported once from its sentence-transformers folder
(``torch.onnx``, then onnxruntime's dynamic int8 quantisation) into a cache folder, so that
the service embeds through onnxruntime and never imports torch.

The graph takes ``input_ids``, ``attention_mask`` and ``token_type_ids`` and gives the mean
of the token vectors, unit length (what the model's ``Pooling`` and ``Normalize`` do). A
cached copy is keyed by the model folder's files and the precision, and is written aside
and renamed, so workers starting together never load half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from qa.errors import QAError

EXPORT_VERSION = 1
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/qa/embedders`` (``~/.cache/qa/embedders``)."""
    home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(home) / "qa" / "embedders"


def exported(folder: Path, cache: Path, quantize: bool = True) -> Path:
    """The folder of the ONNX copy of the sentence-transformers model in ``folder``
    (``model.onnx``, ``tokenizer.json``, ``encoder.json``), exported now if not cached."""
    max_length = _check(folder)
    target = cache / f"{folder.name}-{_key(folder, quantize)}"
    if (target / "encoder.json").exists():
        return target
    logging.getLogger(__name__).warning("exporting %s to ONNX, once, into %s", folder, target)
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=cache))
    work.chmod(0o755)
    try:
        _export(folder, work / "model-fp32.onnx")
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(
                work / "model-fp32.onnx",
                work / "model.onnx",
                weight_type=QuantType.QInt8,
                per_channel=True,
            )
            (work / "model-fp32.onnx").unlink()
        else:
            (work / "model-fp32.onnx").rename(work / "model.onnx")
        shutil.copy(folder / "tokenizer.json", work / "tokenizer.json")
        config = {"max_length": max_length, "quantized": quantize, "source": str(folder)}
        (work / "encoder.json").write_text(json.dumps(config, indent=2) + "\n")
        try:
            work.rename(target)
        except OSError:  # another process finished the same export first
            if not (target / "encoder.json").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _check(folder: Path) -> int:
    """The model's maximum length in tokens, after checking that it pools by the mean."""
    pooling = folder / "1_Pooling" / "config.json"
    if not (folder / "tokenizer.json").exists() or not pooling.exists():
        raise QAError(
            f"cannot export the embedding model {str(folder)!r} to ONNX: it needs a "
            "sentence-transformers folder with tokenizer.json and 1_Pooling/ "
            "(or set QA_EMBEDDING_BACKEND=sentence-transformers)"
        )
    if not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens"):
        raise QAError(
            f"the embedding model {str(folder)!r} does not pool by the mean: set "
            "QA_EMBEDDING_BACKEND=sentence-transformers"
        )
    config = folder / "sentence_bert_config.json"
    return (
        int(json.loads(config.read_text()).get("max_seq_length", 512)) if config.exists() else 512
    )


def _key(folder: Path, quantize: bool) -> str:
    """Changes when any file of the model folder or the way it is exported changes."""
    digest = hashlib.sha256(f"{EXPORT_VERSION} {quantize} {folder.resolve()}".encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)} {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:12]


def _export(folder: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    class MeanPooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    model = MeanPooled(AutoModel.from_pretrained(str(folder)).eval())
    dummy = tuple(torch.ones((2, 16), dtype=torch.long) for _ in INPUTS)
    axes = {n: {0: "batch", 1: "tokens"} for n in INPUTS} | {"embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on the model's Python code
        torch.onnx.export(
            model,
            dummy,
            str(out),
            input_names=list(INPUTS),
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
