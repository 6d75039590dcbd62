"""What kind of fact a question asks for, and whether a short answer fits it: a "who"
question wants a name (a person or an organisation), and so does "which X" where X is a
person, a place or an organisation ("Which organization…?", "Which news agency…?"); "when"
wants a date, "how many" or "how much" a number. A short answer's kind is ``kind``'s rules;
spaCy's small English pipeline was not taken (the PyPI copies of it are re-uploads whose
files cannot be checked against Explosion's releases from here, and it would add a model
to every question).

Any "which X" wanting a name was tried and not kept: on the choice data it lost
short-answer F1, as such answers are often common nouns ("Which type of attack…?").
"""

from __future__ import annotations

import re

_MONTH = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday)\b|\b(?:1[5-9]|20)\d\d\b"
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundreds?|thousands?|millions?|billions?|dozens?)\b",
    re.IGNORECASE,
)
_SMALL = {"of", "the", "and", "for", "de", "al", "bin", "von", "van", "la", "le", "'s"}

# the question's first question word (or phrase) says what it asks for
_ASKS = re.compile(
    r"\b(who|whom|whose|when|how many|how much|(?:what|which) (?:year|date|day|month|decade"
    r"|century)|what|which|where|why|how)\b",
    re.IGNORECASE,
)
_DATES = ("year", "date", "day", "month", "decade", "century")
_NAMED = re.compile(
    r"\b(?:which|what) (?:\w+ ){0,2}(?:organi[sz]ation|agency|country|nation|city|town|state|"
    r"company|firm|party|group|newspaper|outlet|network|official|person|man|woman|leader|"
    r"president|team|club|university|school|church|king|queen|general|minister|body|court|"
    r"army|unit)\b",
    re.IGNORECASE,
)


def wanted(question: str) -> str | None:
    """The kind of fact the question asks for: "name", "date", "number", or None."""
    found = _ASKS.search(question)
    if found is None:
        return None
    if _NAMED.search(question):
        return "name"
    word = found.group(1).lower()
    if word in ("who", "whom", "whose"):
        return "name"
    if word == "when" or word.split()[-1] in _DATES:
        return "date"
    return "number" if word in ("how many", "how much") else None


def fits(question: str, answer: str) -> bool:
    """Whether a short answer is of the kind the question asks for: a name holds a
    capitalised word ("Tehran prosecutor Ali Algasimehr"), a date a date or a year, a number
    a number (words or digits); any answer fits a question that asks for no kind."""
    want = wanted(question)
    if want == "name":
        return any(w[:1].isupper() for w in answer.split())
    if want == "date":
        return kind(answer) in ("date", "number")
    return want is None or kind(answer) == "number"


def kind(text: str) -> str | None:
    """What kind of fact a short answer is: "date", "number", "name" (every word
    capitalised), or None (anything else, which no other answer can contradict)."""
    if _MONTH.search(text):
        return "date"
    if _NUMBER.search(text):
        return "number"
    words = [w for w in text.split() if w.lower() not in _SMALL]
    return "name" if words and all(w[:1].isupper() for w in words) else None
