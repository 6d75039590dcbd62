"""The reader: the shipped int8 ONNX weights, another reader by name, and its spans."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from qa.answer.reader import SHIPPED, Reader, ReaderConfig
from qa.encoders.embeddings import resolve_model
from qa.errors import QAError
from qa.settings import BUNDLED_MODEL

SUPER_BOWL = (
    "Super Bowl 50 was an American football game to determine the champion of the National "
    "Football League (NFL) for the 2015 season. The American Football Conference (AFC) "
    "champion Denver Broncos defeated the National Football Conference (NFC) champion "
    "Carolina Panthers 24–10 to earn their third Super Bowl title. The game was played on "
    "February 7, 2016, at Levi's Stadium in the San Francisco Bay Area at Santa Clara, "
    "California."
)
OFF_TOPIC = "The recipe needs two cups of flour, one egg and a pinch of salt. Bake for an hour."


def test_the_shipped_reader_is_one_small_int8_file() -> None:
    weights = list(SHIPPED.glob("*.onnx")) + list(SHIPPED.glob("*.safetensors"))
    assert [w.name for w in weights] == ["model.onnx"]
    assert weights[0].stat().st_size <= 40 * 2**20
    config = json.loads((SHIPPED / "reader.json").read_text())
    chosen = {"max_answer_tokens", "held_out", "squad2", "sentences"}
    assert chosen <= set(config)
    # one threshold per choice, by one name: the span rules' retired fields are gone
    assert not {"threshold", "differ_gap", "rank_weight", "overlap_weight"} & set(config)
    assert {"answer_threshold", "span_threshold"} <= set(config["sentences"])
    assert (SHIPPED / "README.md").exists()  # the model card


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which team won Super Bowl 50?", "Denver Broncos"),
        ("Where was Super Bowl 50 played?", "Levi's Stadium"),
        ("When was the game played?", "February 7, 2016"),
    ],
)
def test_the_shipped_reader_answers_a_known_question(
    reader: Reader, question: str, expected: str
) -> None:
    best = reader.read(question, [OFF_TOPIC, SUPER_BOWL])[0]
    assert best.passage == 1 and expected in best.text
    assert SUPER_BOWL[best.start : best.end] == best.text
    assert best.margin > 0  # beats "no answer" in its passage


def test_no_answer_beats_every_span_of_an_unrelated_passage(reader: Reader) -> None:
    best = reader.read("Which team won Super Bowl 50?", [OFF_TOPIC])[0]
    assert best.margin < 0


def test_a_passage_longer_than_the_window_is_read_whole(reader: Reader) -> None:
    long = " ".join([OFF_TOPIC] * 40 + [SUPER_BOWL])  # far past 256 tokens
    best = reader.read("Which team won Super Bowl 50?", [long])[0]
    assert "Denver Broncos" in best.text and long[best.start : best.end] == best.text


@pytest.mark.parametrize(
    "pasted",
    [
        " ".join([OFF_TOPIC] * 20),  # about 400 tokens of other words before the question
        "word " * 300,
        "x" * 1500,  # one long word: cut inside it, not emptied
    ],
    ids=["paragraph", "many-words", "one-long-word"],
)
def test_a_question_longer_than_the_window_is_read_by_its_end(reader: Reader, pasted: str) -> None:
    """The window keeps room for the passage and the stride whatever the question's length
    (was a tokenizer panic: "stride must be strictly less than max_len")."""
    question = f"{pasted} Which team won Super Bowl 50?"
    clipped = reader._clipped(question)
    assert clipped.endswith("Which team won Super Bowl 50?") and question.endswith(clipped)
    assert len(reader._question.encode(clipped, add_special_tokens=False).ids) <= 64
    best = reader.read(question, [SUPER_BOWL])[0]  # what the words before it make of it
    assert SUPER_BOWL[best.start : best.end] == best.text


def test_spans_are_whole_words(reader: Reader) -> None:
    for span in reader.read("Who did the Broncos beat?", [SUPER_BOWL]):
        before = SUPER_BOWL[span.start - 1] if span.start else " "
        after = SUPER_BOWL[span.end] if span.end < len(SUPER_BOWL) else " "
        assert not before.isalnum() and not after.isalnum()


def test_another_reader_loads_by_path_with_transformers(tmp_path: Path) -> None:
    """QA_READER_MODEL may name a transformers question-answering model (here a tiny
    untrained one saved to a folder, since no hub is reachable)."""
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    config = BertConfig(
        vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64,
    )  # fmt: skip
    BertForQuestionAnswering(config).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(resolve_model(BUNDLED_MODEL)).save_pretrained(tmp_path)
    other = Reader.load(tmp_path)
    assert other.config == ReaderConfig()
    spans = other.read("Which team won?", [SUPER_BOWL])
    assert spans and all(SUPER_BOWL[s.start : s.end] == s.text for s in spans)


@pytest.fixture(scope="module")
def dequantised(tmp_path_factory: pytest.TempPathFactory) -> Reader:
    """The shipped weights, dequantised, as a transformers model (``recipes.reader_weights``:
    a further training cycle starts from them, since no fp32 checkpoint is kept)."""
    from recipes.reader_weights import save_dequantized

    folder = save_dequantized(
        SHIPPED, Path(resolve_model(BUNDLED_MODEL)), tmp_path_factory.mktemp("dequantised")
    )
    (folder / "reader.json").write_text((SHIPPED / "reader.json").read_text())
    return Reader.load(folder)


@pytest.mark.parametrize(
    "question",
    ["Which team won Super Bowl 50?", "Who did the Broncos beat?", "When was the game played?"],
)
def test_the_shipped_weights_dequantised_read_as_the_shipped_reader(
    reader: Reader, dequantised: Reader, question: str
) -> None:
    """The same best span, its score and "no answer" each within a logit (the shipped
    reader also quantises its activations)."""
    shipped, again = (r.read(question, [SUPER_BOWL])[0] for r in (reader, dequantised))
    assert again.text == shipped.text
    assert again.score == pytest.approx(shipped.score, abs=1.0)
    assert again.null == pytest.approx(shipped.null, abs=1.0)


def test_a_missing_reader_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="cannot load the reader model"):
        Reader.load(tmp_path / "nowhere")


@pytest.mark.parametrize("passes", [1, 2])
def test_at_most_so_many_passes_run_at_once(reader: Reader, passes: int) -> None:
    running, most, lock = 0, 0, threading.Lock()

    def logits(batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return reader.logits(batch)

    gated = Reader(reader.tokenizer, logits, reader.config, "gated", passes=passes)
    with ThreadPoolExecutor(6) as pool:
        found = list(pool.map(lambda _: gated.read("Which team won?", [SUPER_BOWL]), range(6)))
    assert most == passes
    assert all("Denver Broncos" in spans[0].text for spans in found)
