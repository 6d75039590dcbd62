"""The retrieval chain, as LangChain Runnables:
question (+ history) -> standalone question -> retrieve -> answer with citations.

It composes the objects it is given (a condenser, a retriever, an answerer) and builds
no clients of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from qa.answering import Answerer
from qa.history import Condenser
from qa.models import Answer, Citation, Filters, Passage, Turn
from qa.retrieval import Retriever


def _timed(name: str, step: Any) -> RunnableLambda:
    """A Runnable that runs ``step(state)`` and records its time in ``state['timings_ms']``."""

    def run(state: dict[str, Any]) -> Any:
        started = time.perf_counter()
        result = step(state)
        state["timings_ms"][name] = round((time.perf_counter() - started) * 1000, 1)
        return result

    return RunnableLambda(run)


class Chain:
    """Answers questions over the store; ``invoke`` and ``stream`` share every step."""

    def __init__(self, condense: Condenser, retriever: Retriever, answerer: Answerer, k: int = 6):
        self.answerer = answerer
        self.k = k
        self.retrieve_chain: Runnable = RunnablePassthrough.assign(
            standalone=_timed("condense", lambda s: condense(s["question"], s["history"]))
        ) | RunnablePassthrough.assign(
            passages=_timed(
                "retrieve", lambda s: retriever.search(s["standalone"], s["k"], s["filters"])
            )
        )
        self.chain: Runnable = self.retrieve_chain | RunnablePassthrough.assign(
            answer=_timed("answer", lambda s: answerer.answer(s["standalone"], s["passages"]))
        )

    def _state(
        self, question: str, history: Sequence[Turn], k: int | None, filters: Filters | None
    ) -> dict[str, Any]:
        return {
            "question": question,
            "history": list(history),
            "k": k or self.k,
            "filters": filters,
            "timings_ms": {},
            "started": time.perf_counter(),
        }

    @staticmethod
    def _finish(state: dict[str, Any], answer: Answer) -> Answer:
        timings = state["timings_ms"]
        timings["total"] = round((time.perf_counter() - state["started"]) * 1000, 1)
        return answer.model_copy(
            update={"standalone_question": state["standalone"], "timings_ms": timings}
        )

    def invoke(
        self,
        question: str,
        history: Sequence[Turn] = (),
        k: int | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        state = self.chain.invoke(self._state(question, history, k, filters))
        return self._finish(state, state["answer"])

    def passages(
        self,
        question: str,
        history: Sequence[Turn] = (),
        k: int | None = None,
        filters: Filters | None = None,
    ) -> tuple[str, list[Passage]]:
        """The standalone question and the passages retrieved for it (for the eval)."""
        state = self.retrieve_chain.invoke(self._state(question, history, k, filters))
        return state["standalone"], state["passages"]

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        k: int | None = None,
        filters: Filters | None = None,
    ) -> Iterator[tuple[str, str | list[Citation] | Answer]]:
        """Events: ("citations", [...]), then ("delta", text) pieces, then ("done", Answer).

        An answerer that gives its whole answer at once (extractive) has its citations in
        the first event and its text cut into pieces. One that streams pieces as they are
        generated (the LLM answerer) gets ("citations", []) first, its pieces as deltas,
        and its checked citations and text only in "done", which is authoritative: the
        check may remove or renumber markers, or turn the answer into an abstention."""
        state = self.retrieve_chain.invoke(self._state(question, history, k, filters))
        started = time.perf_counter()
        pieces: list[str] = []
        for item in self.answerer.stream(state["standalone"], state["passages"]):
            if isinstance(item, Answer):
                state["timings_ms"]["answer"] = round((time.perf_counter() - started) * 1000, 1)
                if not pieces:
                    yield "citations", item.citations
                    for piece in _pieces(item.answer):
                        yield "delta", piece
                yield "done", self._finish(state, item)
                return
            if not pieces:
                yield "citations", []
            pieces.append(item)
            yield "delta", item


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
