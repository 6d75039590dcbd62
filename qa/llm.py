"""Answers and follow-ups from a language model on any OpenAI-compatible server.

``chat_model`` builds the client (langchain-openai's ``ChatOpenAI`` with a base URL: this
module is the only one that uses langchain-openai); the service builds it from the
settings and hands it to ``LLMAnswerer`` and ``LLMCondenser``, which take any LangChain
chat model. The prompts are files (``prompts/answer.txt``, ``prompts/condense.txt``).

The passages go to the model as data: in the user message only, each inside
``<passage n="1">…</passage>`` with ``<`` and ``>`` of its text escaped, so an
article can neither close its tag nor open a message of its own. The model's answer is
streamed as it comes, then checked (``qa.citations``): the final ``Answer`` carries the
checked text and citations. A model that is down, too slow or answers nothing usable
raises ``ModelUnavailable`` (or a subclass), or gives the fallback's answer when one is
set (``QA_LLM_FALLBACK=extractive``).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from qa.answering import Answerer, no_answer
from qa.citations import CitationChecker
from qa.errors import ModelFailed, ModelTimeout, ModelUnavailable, QAError
from qa.history import Condenser, condense
from qa.models import Answer, Passage, Turn
from qa.settings import Settings

logger = logging.getLogger("qa.llm")

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
FALLBACK_NAME = "extractive (fallback)"
_SECTION = re.compile(r"^--- (system|user) ---[ \t]*$", re.MULTILINE)
_LABEL = re.compile(r"^\s*(standalone question|question|rewritten question)\s*:\s*", re.I)


# -- building: the client and the prompts ---------------------------------------------------
def chat_model(settings: Settings, max_tokens: int | None = None) -> ChatOpenAI:
    """A client for the server at ``QA_LLM_BASE_URL`` (any OpenAI-compatible one) that
    generates at most ``max_tokens`` (default ``QA_LLM_MAX_TOKENS``)."""
    key = settings.llm_api_key or SecretStr("not-needed")  # local servers want none
    limit = max_tokens or settings.llm_max_tokens
    field = settings.llm_max_tokens_field
    legacy = {"max_tokens": limit} if field in ("both", "max_tokens") else None
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=key,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        max_completion_tokens=None if field == "max_tokens" else limit,
        extra_body=legacy,  # llama-cpp-python reads only the older field
        temperature=settings.llm_temperature,
    )


def prompts_dir(configured: Path | None = None) -> Path:
    """``QA_PROMPTS_DIR``, else the project's ``prompts/``, else ``./prompts``."""
    if configured is not None:
        return configured
    return PROMPTS if PROMPTS.is_dir() else Path("prompts")


def load_prompt(path: Path) -> ChatPromptTemplate:
    """A chat prompt from a file of ``--- system ---`` and ``--- user ---`` sections."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QAError(f"cannot read the prompt {path}: {exc}") from exc
    parts = _SECTION.split(text)
    if parts[0].strip() or len(parts) < 3:
        raise QAError(f"the prompt {path} must start with a '--- system ---' line")
    roles = {"system": "system", "user": "human"}
    messages = [(roles[r], body.strip()) for r, body in zip(parts[1::2], parts[2::2], strict=True)]
    return ChatPromptTemplate.from_messages(messages)


def model_error(exc: BaseException, where: str) -> ModelUnavailable:
    """A clear error for whatever the client raised."""
    if isinstance(exc, ModelUnavailable):
        return exc
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return ModelTimeout(
            f"The language model at {where} did not answer in time (QA_LLM_TIMEOUT)."
        )
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError | ConnectionError):
        return ModelUnavailable(
            f"The language model at {where} cannot be reached: is the server running? "
            f"(QA_LLM_BASE_URL) ({exc})"
        )
    if isinstance(exc, openai.APIStatusError):
        return ModelFailed(
            f"The language model at {where} answered with an error {exc.status_code}: {exc.message}"
        )
    return ModelFailed(f"The language model at {where} failed: {type(exc).__name__}: {exc}")


# -- what the model is sent -------------------------------------------------------------------
def escape(text: str) -> str:
    """Article or chat text as data: no tag (nor special token such as ``<|im_start|>``)
    can be formed from it. ``&`` is left alone: an entity forms no tag."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def passage_block(passages: Sequence[Passage]) -> str:
    """The numbered passages, each inside its ``<passage>`` tag."""
    blocks = []
    for n, p in enumerate(passages, 1):
        attributes = f'n="{n}" title="{html.escape(p.title)}"'
        if p.source:
            attributes += f' source="{html.escape(p.source)}"'
        if p.published:
            attributes += f' published="{p.published.isoformat()}"'
        blocks.append(f"<passage {attributes}>\n{escape(p.text)}\n</passage>")
    return "\n".join(blocks)


def history_block(history: Sequence[Turn]) -> str:
    return "\n".join(f"{t.role}: {escape(' '.join(t.content.split()))}" for t in history)


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
    ``qa.history.condense`` when the model fails or answers something unusable."""

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
