"""The embedder: the model exported to ONNX (int8 by default) agrees with
sentence-transformers, is exported once and cached, never loads a half-written export, and
keeps torch out of the service; its cache stays within its byte budget."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.encoders.embeddings import Embedder, load_encoder, resolve_model
from qa.encoders.onnx_encoder import OnnxEncoder
from qa.encoders.onnx_export import default_cache, exported
from qa.encoders.st_encoder import SentenceTransformerEncoder
from qa.errors import QAError
from qa.settings import BUNDLED_MODEL
from tests.conftest import ROOT

TEXTS = [
    "Iran issued an arrest warrant for Donald Trump over the killing of Qassem Soleimani.",
    "Brian Hook called it a propaganda stunt.",
    "The recipe needs two cups of flour and a pinch of salt.",
    "Interpol said it would not consider requests of a political nature." * 20,  # truncated
]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return SentenceTransformerEncoder(resolve_model(BUNDLED_MODEL)).encode(TEXTS)


@pytest.mark.parametrize(("backend", "least"), [("onnx", 0.99999), ("onnx-int8", 0.97)])
def test_the_onnx_encoder_agrees_with_sentence_transformers(
    backend: str, least: float, reference: np.ndarray, tmp_path: Path
) -> None:
    encoder = load_encoder(BUNDLED_MODEL, backend, batch_size=3, cache=tmp_path)  # type: ignore[arg-type]
    vectors = encoder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert (np.sum(vectors * reference, axis=1) >= least).all()
    # alone or in a batch of longer texts, a text embeds alike (int8 activations are
    # quantised per batch, so alike within its precision)
    assert np.dot(encoder.encode([TEXTS[1]])[0], vectors[1]) >= least


def test_an_export_is_made_once_and_a_half_written_one_is_never_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(resolve_model(BUNDLED_MODEL))
    first = exported(folder, tmp_path)
    assert {p.name for p in first.iterdir()} == {"model.onnx", "tokenizer.json", "encoder.json"}
    assert json.loads((first / "encoder.json").read_text())["max_length"] == 256
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no work folder left behind

    import qa.encoders.onnx_export

    def fail(*_: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(qa.encoders.onnx_export, "_export", fail)
    assert exported(folder, tmp_path) == first  # cached: not exported again
    (first / "encoder.json").unlink()  # an export interrupted before its last file
    with pytest.raises(AssertionError, match="exported again"):
        exported(folder, tmp_path)


def test_a_model_the_onnx_backend_cannot_take_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="QA_EMBEDDING_BACKEND=sentence-transformers"):
        load_encoder("someone/some-model", "onnx-int8", cache=tmp_path)
    model = tmp_path / "cls-pooled"
    shutil.copytree(resolve_model(BUNDLED_MODEL), model)
    pooling = model / "1_Pooling" / "config.json"
    pooling.write_text(json.dumps({"pooling_mode_cls_token": True}))
    with pytest.raises(QAError, match="does not pool by the mean"):
        load_encoder(str(model), "onnx-int8", cache=tmp_path)


def test_the_service_embeds_and_answers_without_torch(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from qa.service import build_service\n"
        "from qa.settings import Settings\n"
        "from qa.models import Question\n"
        f"s = build_service(Settings(vectorstore_dir={str(tmp_path)!r}))\n"
        f"s.ingest_paths([__import__('pathlib').Path({str(ROOT / 'seeds')!r})])\n"
        "a = s.chain.invoke(Question(text='Who called the arrest warrant a propaganda stunt?'))\n"
        "print(a.short_answer, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == ["Hook", "False", "False"]


def test_the_cache_stays_within_its_byte_budget_and_answers_the_same() -> None:
    embedder = Embedder(cache_bytes=20_000)  # about ten texts with their vectors
    texts = [f"Article {n} says the bridge cost {n} million dollars." for n in range(40)]
    first = embedder.encode(texts)  # more than the cache holds, in one call
    assert first.shape == (40, embedder.dimension)
    assert 0 < embedder._held <= 20_000 and len(embedder._cache) < 40
    cached = [i for i, t in enumerate(texts) if t in embedder._cache]
    assert cached
    again = embedder.encode(texts[::-1])[::-1]
    assert np.array_equal(again[cached], first[cached])  # from the cache, as they were
    # the others are encoded again in another batch: int8 activations are quantised per
    # batch, so a vector moves within int8's precision
    assert (np.sum(again * first, axis=1) >= 0.97).all()
    assert np.array_equal(embedder.encode([texts[0]])[0], again[0])  # used last: cached


@pytest.mark.parametrize("workers", [2, 3])
def test_batches_read_side_by_side_come_back_in_order(workers: int) -> None:
    """Each core's session takes whichever batch is next: every vector still lands on its
    own text, as one session reading the batches in turn puts it."""
    folder = exported(Path(resolve_model(BUNDLED_MODEL)), default_cache(), True)
    texts = [f"{n}: " + TEXTS[n % len(TEXTS)][: 15 + 9 * n] for n in range(30)]
    alone = OnnxEncoder(folder, batch_size=4, workers=1).encode(texts)
    side_by_side = OnnxEncoder(folder, batch_size=4, workers=workers).encode(texts)
    assert np.array_equal(side_by_side, alone)
    assert len({round(float(v[0]), 6) for v in alone}) == len(texts)  # all distinct
