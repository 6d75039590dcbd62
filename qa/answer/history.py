"""Turning a follow-up into a standalone question, offline, from the chat history, only
when it needs it (as LangChain's history-aware retriever asks of its model: "reformulate
it if needed and otherwise return it as is").

"How old was he?" after "Who was the head of Iran's Quds Force?" and an answer naming
Qassem Soleimani becomes "How old was Qassem Soleimani?". A question that names the
pronoun's antecedent before it is left alone: "How old was Soleimani when he died?",
"Which agency did the prosecutor give his statement to?", "How many missiles did Iran fire
in its retaliation?". Without a pronoun to resolve, an elliptical follow-up ("And the
other article?", "Why?") borrows the previous question; a short one that names its own
subject ("Where was Soleimani born?") does not.

An answer is read by its findings (``Turn.findings``: the short answers, then the names in
the sentences they quote), never by its text: an assistant turn sent without them (a
client that keeps only text) names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.models import Turn

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
# a noun phrase before the pronoun that it can point at: any one for "its" and "they"...
_PHRASE = re.compile(r"\b(?:the|a|an|this|that|these|those)\s+[a-z]", re.IGNORECASE)
# where a clause begins: a pronoun that is no possessive points back past one
_CLAUSE = re.compile(
    r"\b(?:when|once|after|before|because|if|that|which|who|whom|while|as|and|but|where|"
    r"since|until|although|though|so)\b|[,;:]",
    re.IGNORECASE,
)
# ...a person for he, she and their forms
_PERSON = re.compile(
    r"\b(?:the|a|an|this|that)\s+(?:[\w-]+\s+){0,2}?(?:prosecutor|envoy|president|leader|"
    r"general|minister|official|spokes(?:man|woman|person)|man|woman|commander|analyst|judge|"
    r"attorney|lawyer|chief|king|queen|ambassador|representative|director|secretary|senator|"
    r"governor|mayor|reporter|author|officer|soldier|victim|suspect|player|coach|founder|"
    r"chairman|head|boy|girl|father|mother|son|daughter|wife|husband)\b",
    re.IGNORECASE,
)


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


def recent(history: Sequence[Turn], turns: int, chars: int) -> list[Turn]:
    """The history the chain reads, by one rule wherever a question comes from (``/chat``,
    ``/v1/chat/completions``, ``qa ask --history``, ``qa eval``): its last ``turns`` turns
    (``QA_MAX_HISTORY_TURNS``), each cut to ``chars`` characters (``QA_MAX_MESSAGE_CHARS``)."""
    kept = list(history[-turns:]) if turns > 0 else []
    return [t if len(t.content) <= chars else t.model_copy(update={"content": t.content[:chars]})
            for t in kept]  # fmt: skip


def condense(question: str, history: Sequence[Turn]) -> str:
    """A question that stands on its own, for retrieval and for the user to see."""
    question = question.strip()
    if not history:
        return question
    last_user = next((t.content.strip() for t in reversed(history) if t.role == "user"), "")
    pronoun = _PRONOUN.search(question)
    if pronoun is not None and _antecedent(question[: pronoun.start()], pronoun.group()):
        return question  # it names what its pronoun points at
    # resolve against the last exchange first, then the whole conversation
    personal = pronoun is not None and pronoun.group().lower() not in ("it", "its")
    referent = _referent(history[-2:], personal) or _referent(history, personal)
    if referent and pronoun is not None:
        word = pronoun.group().lower()
        said = f"{referent}'s" if word in _POSSESSIVE else referent
        return f"{question[: pronoun.start()]}{said}{question[pronoun.end() :]}"
    if last_user and _elliptic(question):
        return f"{last_user} {question}"
    return question


def _antecedent(before: str, pronoun: str) -> bool:
    """Whether the words before a pronoun name what it points at: a person's name or a
    person ("the prosecutor") for he or she; a thing's name for it; any of those or a noun
    phrase for its and they. Only a possessive may point into its own clause ("did the
    prosecutor give his statement"; in "did Iran ask it", "it" is not Iran)."""
    word = pronoun.lower()
    if word not in _POSSESSIVE:
        bounds = list(_CLAUSE.finditer(before))
        before = before[: bounds[-1].start()] if bounds else ""
    found = names(before)
    if word == "it":
        return any(_is_thing(n) for n in found)
    if word in ("its", "they", "them", "their"):
        return bool(found) or _PHRASE.search(before) is not None
    return any(not _is_thing(n) for n in found) or _PERSON.search(before) is not None


def _elliptic(question: str) -> bool:
    """A follow-up that asks about the previous question: it says so ("And the other
    article?", "What about Iran?"), or it is short and names nothing ("Why?", "When?")."""
    if _ELLIPTIC.match(question):
        return True
    return len(question.split()) <= 4 and not names(question) and not _PHRASE.search(question)
