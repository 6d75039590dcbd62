"""The retrieval chain, as a LangChain Runnable from ``Question`` to ``Answer``:
question (+ history) -> standalone question -> retrieve -> answer with citations.

It composes the parts it is given (a condenser, a retriever, an answerer) and builds no
clients of its own. ``invoke`` answers (``POST /chat``), ``batch`` answers many (the
eval), ``stream`` gives the answer as it grows (``POST /chat/stream``): each item is the
``Answer`` so far with the timings so far, and the last one is the final, checked answer.
The time of each step comes from LangChain's callbacks (``Timer``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda, ensure_config

from qa.answer import recent
from qa.answerer import Answerer, Condenser
from qa.models import Answer, Passage, Question
from qa.search import Retriever

STEPS = ("condense", "retrieve", "answer")


@dataclass(frozen=True)
class Retrieved:
    """What the answer step reads: the standalone question and its passages."""

    standalone: str
    passages: list[Passage]


class Timer(BaseCallbackHandler):
    """The milliseconds each named step of one run took, from LangChain's callbacks."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._open: dict[UUID, tuple[str, float]] = {}

    def on_chain_start(
        self, serialized: Any, inputs: Any, *, run_id: UUID, name: str | None = None, **kw: Any
    ) -> None:
        if name in STEPS:
            self._open[run_id] = (name, time.perf_counter())

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kw: Any) -> None:
        if (opened := self._open.pop(run_id, None)) is not None:
            self.timings[opened[0]] = round((time.perf_counter() - opened[1]) * 1000, 1)

    def stamp(self, answer: Answer) -> Answer:
        """``answer`` with the times so far (a step still running: until now)."""
        now = time.perf_counter()
        running = {name: round((now - at) * 1000, 1) for name, at in self._open.values()}
        total = round((now - self.started) * 1000, 1)
        timings = {**self.timings, **running, "total": total}
        return answer.model_copy(update={"timings_ms": timings})


class Chain(Runnable[Question, Answer]):
    """Answers questions over the store."""

    def __init__(
        self,
        condense: Condenser,
        retriever: Retriever,
        answerer: Answerer,
        history: tuple[int, int] = (50, 2000),
    ):
        """``history``: the turns kept and the characters kept of each (``recent``)."""
        self.condense = condense
        self.answerer = answerer

        def standalone(q: Question) -> tuple[Question, str]:
            return q, condense(q.text, recent(q.history, *history))

        def retrieve(state: tuple[Question, str]) -> Retrieved:
            q, text = state  # passages as they are: LangChain Documents are for its users
            return Retrieved(text, retriever.search(text, q.k, q.filters))

        self.steps: Runnable[Question, Answer] = (
            RunnableLambda(standalone, name="condense")
            | RunnableLambda(retrieve, name="retrieve")
            | RunnableLambda(self._answer, name="answer")
        )

    def _answer(self, state: Retrieved) -> Iterator[Answer]:
        """The answer as it grows (the LLM's text so far), then the final ``Answer``."""
        text = ""
        for item in self.answerer.stream(state.standalone, state.passages):
            if isinstance(item, Answer):
                yield item
                return
            text += item
            yield Answer(
                answer=text,
                answered=True,
                standalone_question=state.standalone,
                answerer=self.answerer.name,
                tier="generated",
            )

    def invoke(self, input: Question, config: RunnableConfig | None = None, **kw: Any) -> Answer:
        timer = Timer()
        answer = self.steps.invoke(input, _with(config, timer))
        return timer.stamp(answer)

    def stream(
        self, input: Question, config: RunnableConfig | None = None, **kw: Any
    ) -> Iterator[Answer]:
        timer = Timer()
        for answer in self.steps.stream(input, _with(config, timer)):
            yield timer.stamp(answer)


def _with(config: RunnableConfig | None, timer: Timer) -> RunnableConfig:
    """``config`` with ``timer`` among its callbacks."""
    config = ensure_config(config)
    callbacks = config.get("callbacks")
    if callbacks is None:
        handlers: list[Any] = [timer]
    elif isinstance(callbacks, list):
        handlers = [*callbacks, timer]
    else:  # a callback manager
        manager = callbacks.copy()
        manager.add_handler(timer, inherit=True)
        return {**config, "callbacks": manager}
    return {**config, "callbacks": handlers}
