"""The extractive reader: points at the words of a passage that answer a question.

Wraps onnxruntime (the shipped int8 model in ``qa/answer/reader/``) and the ``tokenizers``
library. A question and its passages are read in one batched pass; each passage gets its
best spans (document offsets relative to the passage) and a no-answer score, all on the
same scale (the sum of a start and an end logit), and spans are ranked across passages by
their margin over their own passage's no-answer score. What the pass saw is kept
(``qa.answer.reading.Reading``), so that the answerer can weigh every sentence on it.
``QA_READER_MODEL`` may name another reader: a folder holding ``model.onnx`` and
``tokenizer.json``, or a Hugging Face question-answering model (loaded with transformers).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer

from qa.answer.reading import Reading, Span, Window, distinct, whole_words
from qa.errors import QAError
from qa.settings import Settings

SHIPPED = Path(__file__).with_name("reader")
Logits = Callable[[dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]


def resolve_reader(name: str) -> str | Path:
    """The shipped reader's folder for "bundled", else the folder or model name as given."""
    return SHIPPED if name == "bundled" else name


@dataclass(frozen=True)
class ReaderConfig:
    """``reader.json`` beside the weights: the windowing and the longest answer (the
    answerer's own choices are its ``sentences``: ``qa.answer.evidence.SentenceModel``)."""

    max_length: int = 256
    stride: int = 96
    max_answer_tokens: int = 30
    # a question is read by its last this-many tokens, so that a window always leaves the
    # passage more room than the stride (a pasted paragraph ends with what it asks)
    max_question_tokens: int = 64

    @property
    def question_budget(self) -> int:
        """The question's tokens a window may hold: ``max_question_tokens``, or less when
        ``max_length`` is short, so that [CLS], two [SEP]s, the stride and at least 32
        tokens of passage always fit."""
        return max(1, min(self.max_question_tokens, self.max_length - 3 - self.stride - 32))

    @classmethod
    def load(cls, folder: Path) -> ReaderConfig:
        path = folder / "reader.json"
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class Reader:
    """Best spans of a question over passages, from one batched pass of the model."""

    def __init__(
        self, tokenizer: Tokenizer, logits: Logits, config: ReaderConfig, name: str, passes: int = 0
    ):
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self._question = Tokenizer.from_str(tokenizer.to_str())  # the question's own tokens
        self._question.no_truncation()
        self.tokenizer.enable_truncation(
            config.max_length, stride=config.stride, strategy="only_second"
        )
        self.logits = logits
        self.config = config
        self.name = name
        # at most this many passes at once: more would only share the cores, and each
        # holds its activations (the server's memory under load)
        self._passes = threading.BoundedSemaphore(passes or 2 * (os.cpu_count() or 1))

    @classmethod
    def from_settings(cls, settings: Settings) -> Reader:
        return cls.load(
            resolve_reader(settings.reader_model), settings.reader_threads, settings.reader_passes
        )

    @classmethod
    def load(cls, model: str | Path = SHIPPED, threads: int = 0, passes: int = 0) -> Reader:
        """The folder's ONNX model, else a transformers model of that name or path."""
        folder = Path(model)
        try:
            if (folder / "model.onnx").exists():
                return cls._onnx(folder, threads, passes)
            return cls._transformers(str(model), passes)
        except (OSError, ValueError) as exc:
            raise QAError(f"cannot load the reader model {str(model)!r}: {exc}") from exc

    @classmethod
    def _onnx(cls, folder: Path, threads: int, passes: int) -> Reader:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        names = {i.name for i in session.get_inputs()}

        def logits(batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            start, end = session.run(None, {k: v for k, v in batch.items() if k in names})
            return start, end

        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        return cls(tokenizer, logits, ReaderConfig.load(folder), str(folder), passes)

    @classmethod
    def _transformers(cls, name: str, passes: int) -> Reader:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        model = AutoModelForQuestionAnswering.from_pretrained(name).eval()
        tokenizer = AutoTokenizer.from_pretrained(name).backend_tokenizer

        def logits(batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            with torch.inference_mode():
                out = model(**{k: torch.from_numpy(v) for k, v in batch.items()})
            return out.start_logits.numpy(), out.end_logits.numpy()

        folder = Path(name)
        config = ReaderConfig.load(folder) if folder.is_dir() else ReaderConfig()
        return cls(tokenizer, logits, config, name, passes)

    def read(self, question: str, passages: Sequence[str], per_passage: int = 3) -> list[Span]:
        """The best ``per_passage`` spans of every passage, best first across all: by how
        far each beats its own passage's "no answer" (raw scores favour passages the model
        finds easy to read, whatever they say)."""
        return self.reading(question, passages, per_passage).spans

    def reading(self, question: str, passages: Sequence[str], per_passage: int = 3) -> Reading:
        """``read``'s spans, and the scores behind them to find the best span within any
        part of a passage (``Reading.within``)."""
        if not passages:
            return Reading([], [], {}, self.config.max_answer_tokens)
        question = self._clipped(question)
        windows = []
        for i, encoding in enumerate(
            self.tokenizer.encode_batch([(question, p) for p in passages])
        ):
            windows += [(i, w) for w in [encoding, *encoding.overflowing]]
        width = max(len(w.ids) for _, w in windows)
        batch = {
            name: np.zeros((len(windows), width), dtype=np.int64)
            for name in ("input_ids", "attention_mask", "token_type_ids")
        }
        for row, (_, w) in enumerate(windows):
            batch["input_ids"][row, : len(w.ids)] = w.ids
            batch["attention_mask"][row, : len(w.ids)] = w.attention_mask
            batch["token_type_ids"][row, : len(w.ids)] = w.type_ids
        with self._passes:
            starts, ends = self.logits(batch)
        found: dict[int, list[Span]] = {}
        nulls: dict[int, float] = {}
        scored = []
        for row, (i, w) in enumerate(windows):
            null = float(starts[row, 0] + ends[row, 0])
            nulls[i] = min(nulls.get(i, null), null)
            found.setdefault(i, []).extend(self._spans(i, passages[i], w, starts[row], ends[row]))
            scored.append(Window.of(i, passages[i], w, starts[row], ends[row]))
        spans = []
        for i, candidates in found.items():
            best = distinct(sorted(candidates, key=lambda s: -s.score))[:per_passage]
            spans += [Span(s.passage, s.start, s.end, s.text, s.score, nulls[i]) for s in best]
        spans.sort(key=lambda s: -s.margin)
        return Reading(spans, scored, nulls, self.config.max_answer_tokens)

    def _clipped(self, question: str) -> str:
        """The question's last ``question_budget`` tokens, as text (whole words)."""
        budget = self.config.question_budget
        offsets = [
            o for o in self._question.encode(question, add_special_tokens=False).offsets if o[1]
        ]
        if len(offsets) <= budget:
            return question
        start = offsets[-budget][0]
        if start > 0 and not question[start - 1].isspace():  # from the next whole word
            space = question.find(" ", start)
            start = space + 1 if 0 <= space < len(question) - 1 else start
        return question[start:]

    def _spans(
        self, i: int, text: str, window: Encoding, start: np.ndarray, end: np.ndarray
    ) -> list[Span]:
        """The window's best spans within the passage, at most ``max_answer_tokens`` long and
        within one line."""
        context = np.array([sid == 1 for sid in window.sequence_ids])
        n = len(context)
        scores = start[:n, None] + end[None, :n]
        allowed = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(
            np.ones((n, n), dtype=bool), self.config.max_answer_tokens
        )
        allowed &= context[:, None] & context[None, :]
        scores = np.where(allowed, scores, -np.inf)
        best = np.argsort(scores, axis=None)[::-1][:10]
        out = []
        for flat in best:
            s, e = divmod(int(flat), n)
            if not np.isfinite(scores[s, e]):
                break
            a, b = whole_words(text, window.offsets[s][0], window.offsets[e][1])
            if "\n" in text[a:b]:  # a headline and the line after it are no one answer
                continue
            out.append(Span(i, a, b, text[a:b], float(scores[s, e]), 0.0))
        return out
