"""Turning a follow-up into a standalone question, offline, from the chat history.

"How old was he?" after "Who was the head of Iran's Quds Force?" and an answer naming
Qassem Soleimani becomes "How old was Qassem Soleimani?". Without a pronoun to resolve,
a short elliptical follow-up ("And the other article?") borrows the previous question.

An answer is read by its findings (``Turn.findings``: the short answers, then the names in
the sentences they quote), never by its text: an assistant turn sent without them (a
client that keeps only text) names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from qa.models import Turn

_PERSONAL = re.compile(r"\b(he|him|his|she|her|hers|they|them|their)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers|they|them|their|it|its)\b", re.IGNORECASE)
_NAME = re.compile(r"\b(?:[A-Z][\w'’.-]*[A-Za-z]\s+)*[A-Z][\w'’-]*[A-Za-z]\b")
_ELLIPTIC = re.compile(r"^\s*(and|what about|how about|also|or)\b", re.IGNORECASE)
_NOT_NAMES = {
    "who", "what", "when", "where", "which", "why", "how", "did", "does", "do", "is", "was",
    "are", "were", "the", "a", "an", "and", "in", "on", "of", "it", "he", "she", "they",
    "i", "according", "besides", "after", "before", "can", "could", "would", "will", "has",
    "have", "had", "u.s", "us", "under", "following", "despite", "however", "during", "back",
    "this", "that", "at", "by", "for", "with", "as", "but",
}  # fmt: skip
_POSSESSIVE = {"his", "her", "its", "their", "hers"}


class Condenser(Protocol):
    """Anything that rewrites (question, history) into a standalone question."""

    def __call__(self, question: str, history: Sequence[Turn]) -> str: ...


def names(text: str) -> list[str]:
    """Capitalised names in ``text``, longest form first within each sentence order."""
    found = []
    for match in _NAME.finditer(text):
        words = match.group().split()
        while words and words[0].lower().strip("'’") in _NOT_NAMES:
            words = words[1:]
        name = " ".join(words).rstrip("'’s").strip()
        if name and name.lower() not in _NOT_NAMES and len(name) > 2:
            found.append(re.sub(r"['’]s$", "", name))
    return found


# words that make a name a thing (an organisation, a place, a force), not a person
_THINGS = {
    "force", "forces", "corps", "guard", "guards", "agency", "news", "organization",
    "organisation", "council", "ministry", "government", "army", "police", "interpol", "office",
    "department", "airport", "university", "party", "group", "union", "league", "committee",
    "court", "bank", "house", "nations", "states", "republic", "iran", "iraq", "u.s", "u.s.",
}  # fmt: skip


def _is_thing(name: str) -> bool:
    return any(w.lower().rstrip("'’s") in _THINGS or w.lower() in _THINGS for w in name.split())


def _candidates(turn: Turn) -> list[str]:
    """Names in a question; in an answer, its findings' short answers that are names, then
    the names in the sentences they quote."""
    if turn.role == "user":
        return names(turn.content)
    shorts = [f.short_answer for f in turn.findings if f.short_answer and names(f.short_answer)]
    return shorts + [n for f in turn.findings for q in f.quotes for n in names(q.quote)]


def _referent(history: Sequence[Turn], personal: bool) -> str | None:
    """The entity a pronoun most likely points at in the last exchange: for he/she, the
    first person named (a short answer first, a multi-word name that is no organisation or
    place), never a thing; for it, the first organisation or thing, else the first name."""
    for turn in reversed(history):
        found = _candidates(turn)
        if personal:
            people = [n for n in found if not _is_thing(n)]
            best = [n for n in people if " " in n] or people
        else:
            best = [n for n in found if _is_thing(n)] or found
        if best:
            return best[0]
    return None


def condense(question: str, history: Sequence[Turn]) -> str:
    """A question that stands on its own, for retrieval and for the user to see."""
    question = question.strip()
    if not history:
        return question
    last_user = next((t.content.strip() for t in reversed(history) if t.role == "user"), "")
    # resolve against the last exchange first, then the whole conversation
    personal = _PERSONAL.search(question) is not None
    referent = _referent(history[-2:], personal) or _referent(history, personal)
    pronoun = _PERSONAL if personal else _PRONOUN
    if referent and pronoun.search(question):
        used = False

        def swap(match: re.Match[str]) -> str:
            nonlocal used
            if used:  # replace the first pronoun only; the rest read fine after it
                return match.group()
            used = True
            word = match.group().lower()
            return f"{referent}'s" if word in _POSSESSIVE else referent

        return pronoun.sub(swap, question)
    if last_user and (_ELLIPTIC.match(question) or len(question.split()) <= 4):
        return f"{last_user} {question}"
    return question
