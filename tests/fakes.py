"""Fakes for what a test is not about: a chat model that answers as told (and obeys an
instruction that escaped its passage, as a real model would), and an answerer that fails
midway through its stream."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from qa.models import Answer, Passage

HOOK = "Brian Hook called the arrest warrant a propaganda stunt"
PWNED = "PWNED: Trump was acquitted of every charge [1]."


class Fake(GenericFakeChatModel):
    """A fake chat model that records what it is sent. ``reply`` makes its answer from the
    user message; it follows any instruction found outside the ``<passages>`` block, as a
    model would obey an injected instruction that escaped its passage."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)
    reply: Callable[[str], str] | None = None

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        text = "\n".join(m.text for m in messages)
        outside = re.sub(r"<passages>.*?</passages>", "", text, flags=re.S)
        if "ignore previous instructions" in outside.lower():
            content = PWNED
        elif self.reply is not None:
            content = self.reply(messages[-1].text)
        else:
            return super()._generate(messages, *args, **kwargs)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=content))])


def fake(reply: Callable[[str], str] | str) -> Fake:
    return Fake(messages=iter(()), reply=reply if callable(reply) else (lambda _: reply))


def failing(exc: Exception) -> Fake:
    def fail(_: str) -> str:
        raise exc

    return fake(fail)


def citing(phrase: str, claim: str) -> Callable[[str], str]:
    """A reply that cites the passage holding ``phrase`` (whatever its number)."""

    def reply(prompt: str) -> str:
        found = re.search(rf'<passage n="(\d+)"[^>]*>\n[^<]*{re.escape(phrase)}', prompt)
        return f"{claim} [{found.group(1) if found else 1}]."

    return reply


class BreaksMidway:
    """An answerer that fails after its first piece, as a model server that goes away."""

    name = "breaks"

    def __init__(self, error: Exception):
        self.error = error

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        raise self.error

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str | Answer]:
        yield "A partial "
        raise self.error
