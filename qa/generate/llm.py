"""Answers and follow-ups from a language model: ``LLMAnswerer`` and ``LLMCondenser`` take
any LangChain chat model (``qa.generate.client`` builds the one for ``QA_LLM_BASE_URL``) and a
prompt (``qa.generate.prompts``).

The model's answer is streamed as it comes, then checked (``qa.generate.citations``): the final
``Answer`` carries the checked text and citations. A model that is down, too slow or
answers nothing usable raises ``ModelUnavailable`` (or a subclass), or gives the
fallback's answer when one is set (``QA_LLM_FALLBACK=extractive``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate

from qa.answer import condense, no_answer
from qa.answerer import Answerer, Condenser
from qa.errors import ModelFailed, ModelUnavailable
from qa.generate.citations import CitationChecker
from qa.generate.client import model_error
from qa.generate.prompts import history_block, passage_block
from qa.models import Answer, Passage, Turn

logger = logging.getLogger("qa.generate.llm")

FALLBACK_NAME = "extractive (fallback)"
_LABEL = re.compile(r"^\s*(standalone question|question|rewritten question)\s*:\s*", re.I)


# -- answering --------------------------------------------------------------------------------
class LLMAnswerer:
    """Generates a cited answer from the passages, streamed, then checks its citations."""

    name = "llm"

    def __init__(
        self,
        model: BaseChatModel,
        prompt: ChatPromptTemplate,
        checker: CitationChecker,
        fallback: Answerer | None = None,
        where: str = "the configured server",
    ):
        self.model = model
        self.prompt = prompt
        self.checker = checker
        self.fallback = fallback
        self.where = where  # the server, for error messages

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        items = list(self.stream(question, passages))
        final = items[-1]
        assert isinstance(final, Answer)
        return final

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        """The model's text as it comes, then the checked ``Answer``."""
        if not passages:
            yield no_answer(question, self.name)
            return
        messages = self.prompt.format_messages(passages=passage_block(passages), question=question)
        pieces: list[str] = []
        try:
            for chunk in self.model.stream(messages):
                if piece := chunk.text:
                    pieces.append(piece)
                    yield piece
            if not re.search(r"\w", "".join(pieces)):
                raise ModelFailed(f"The language model at {self.where} answered nothing usable.")
        except Exception as exc:
            yield self._fallback(question, passages, model_error(exc, self.where))
            return
        yield self.checker.check(question, "".join(pieces), passages)

    def _fallback(
        self, question: str, passages: Sequence[Passage], error: ModelUnavailable
    ) -> Answer:
        if self.fallback is None:
            raise error
        logger.warning("%s Answering with the extractive answerer instead.", error)
        answer = self.fallback.answer(question, passages)
        return answer.model_copy(update={"answerer": FALLBACK_NAME})


# -- follow-ups -------------------------------------------------------------------------------
class LLMCondenser:
    """Rewrites a follow-up into a standalone question with the model; the rules of
    ``qa.answer.history.condense`` when the model fails or answers something unusable."""

    def __init__(
        self,
        model: BaseChatModel,
        prompt: ChatPromptTemplate,
        fallback: Condenser = condense,
        where: str = "the configured server",
    ):
        self.model = model
        self.prompt = prompt
        self.fallback = fallback
        self.where = where

    def __call__(self, question: str, history: Sequence[Turn]) -> str:
        question = question.strip()
        if not history:
            return question
        messages = self.prompt.format_messages(history=history_block(history), question=question)
        try:
            rewritten = standalone(self.model.invoke(messages).text, question)
        except Exception as exc:
            error = model_error(exc, self.where)
            logger.warning("%s Rewriting the follow-up with rules instead.", error)
            return self.fallback(question, history)
        return rewritten or self.fallback(question, history)


def standalone(reply: str, question: str) -> str | None:
    """The question in the model's reply: its first line, without a label or quotes; None
    when there is none, or when it is far longer than a question."""
    line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
    line = _LABEL.sub("", line).strip().strip("\"'`“”*").strip()
    if not re.search(r"\w", line) or len(line) > max(300, 3 * len(question)):
        return None
    return line
