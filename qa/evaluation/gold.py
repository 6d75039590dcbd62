"""The gold questions (JSONL, one per line), and their conversations as a client of ours
sends them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from qa.models import Answer, Turn


class Gold(BaseModel):
    id: str
    question: str
    history: list[Turn] = Field(default_factory=list)
    answers: list[str]
    documents: list[str]
    type: str


def load_gold(path: Path) -> list[Gold]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Gold.model_validate_json(line) for line in lines if line.strip()]


Ask = Callable[[list[Gold]], list[tuple[Answer, float]]]


def replayed(golds: list[Gold], ask: Ask) -> list[Gold]:
    """Each question with its history as the page (or any client of ours) sends it: each
    assistant turn the gold file wrote is the service's own answer to the question before
    it, with its findings, which a follow-up reads (the text alone is never parsed)."""
    return [g.model_copy(update={"history": _conversation(g, ask)}) for g in golds]


def _conversation(gold: Gold, ask: Ask) -> list[Turn]:
    turns: list[Turn] = []
    for turn in gold.history:
        if turn.role == "assistant" and turns and turns[-1].role == "user":
            asked = Gold(id=gold.id, question=turns[-1].content, history=turns[:-1],
                         answers=[], documents=[], type=gold.type)  # fmt: skip
            answer, _ = ask([asked])[0]
            turn = Turn(role="assistant", content=answer.answer, findings=answer.findings)
        turns.append(turn)
    return turns


def conversation(golds: list[Gold], ask: Ask) -> tuple[list[Gold], list[tuple[Answer, float]]]:
    """Every question asked one after another in one conversation, as a person asks them on
    the page without "New conversation": each with all the turns before it (a follow-up's
    own earlier exchange replayed into it first), and its answers."""
    talk: list[Turn] = []
    asked: list[Gold] = []
    answers: list[tuple[Answer, float]] = []

    def say(gold: Gold) -> tuple[Answer, float]:
        answer = ask([gold])[0]
        talk.append(Turn(role="user", content=gold.question))
        talk.append(Turn(role="assistant", content=answer[0].answer, findings=answer[0].findings))
        return answer

    for g in golds:
        for turn in g.history:
            if turn.role == "user":
                say(g.model_copy(update={"question": turn.content, "history": list(talk)}))
        now = g.model_copy(update={"history": list(talk)})
        answers.append(say(now))
        asked.append(now)
    return asked, answers
