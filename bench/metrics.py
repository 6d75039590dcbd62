"""Scoring one answer and summarising a run; the text rules are SQuAD's
(``qa.evaluation.grading``).

Pure functions, no model and no store, so they are cheap to test.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from qa.answer import MAX_CHARS, MAX_SENTENCES
from qa.evaluation import best_f1, contains, exact_match, is_correct, percentile, strip_markers
from qa.text import sentences

DEPTH = 10  # retrieval metrics look at the top 10 passages
Row = dict[str, Any]


def first_hit(ranked: Sequence[str], gold: Collection[str], depth: int = DEPTH) -> int | None:
    """The 1-based rank of the first passage (of the top ``depth``) from a gold article."""
    return next((i + 1 for i, doc in enumerate(ranked[:depth]) if doc in gold), None)


def plain(text: str) -> str:
    """Without Unicode punctuation (curly quotes, dashes), which SQuAD's ASCII-only
    normalisation keeps: ``“Squid Game”`` and ``"Squid Game"`` then compare equal."""
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


def within_limits(answer: str) -> bool:
    """At most 3 sentences and 500 characters, citation markers removed (``qa eval``'s rule)."""
    text = strip_markers(answer)
    return len(text) <= MAX_CHARS and len(sentences(text)) <= MAX_SENTENCES


def correct(answer: str, accepted: Sequence[str], unicode_punctuation: bool = False) -> bool:
    """An accepted answer, normalised, occurs as whole words in the normalised answer, and
    the answer is within the limits. ``unicode_punctuation`` also drops non-ASCII marks."""
    if not unicode_punctuation:
        return is_correct(answer, accepted)
    text = plain(strip_markers(answer))
    return within_limits(answer) and contains(text, [plain(a) for a in accepted])


def grade(
    answer: str,
    answered: bool,
    accepted: Sequence[str],
    wrong: Sequence[str] = (),
    unicode_punctuation: bool = False,
    short: str | None = None,
) -> Row:
    """The scores of one answer; an abstention scores 0 everywhere. EM and F1 are of the
    ``short`` answer when the system gives one (ours: ``short_answer``), else of the whole."""
    if not answered:
        return {"correct": False, "unambiguous": False, "em": False, "f1": 0.0}
    right = correct(answer, accepted, unicode_punctuation)
    also_wrong = bool(wrong) and correct(answer, wrong, unicode_punctuation)
    return {
        "correct": right,
        "unambiguous": right and not also_wrong,
        "em": exact_match(short or answer, accepted),
        "f1": round(best_f1(short or answer, accepted), 4),
    }


def mean(values: Iterable[float | bool]) -> float | None:
    kept = [float(v) for v in values]
    return round(sum(kept) / len(kept), 4) if kept else None


def wilson(successes: int, n: int, z: float = 1.96) -> list[float] | None:
    """The Wilson score interval (95% by default) of a proportion."""
    if n == 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def summarise(rows: list[Row], hit: str = "recall") -> Row:
    """Every metric of one system on one dataset; ``hit`` names the top-k rates."""
    ranks = [r["rank"] for r in rows]
    out: Row = {"questions": len(rows)}
    for k in (1, 5, 10):
        out[f"{hit}_at_{k}"] = mean(r is not None and r <= k for r in ranks)
    out["mrr_at_10"] = mean(1 / r if r else 0.0 for r in ranks)
    right = sum(r["correct"] for r in rows)
    out["accuracy"] = mean(r["correct"] for r in rows)
    out["accuracy_ci95"] = wilson(right, len(rows))
    out["accuracy_unambiguous"] = mean(r["unambiguous"] for r in rows)
    out["exact_match"] = mean(r["em"] for r in rows)
    out["f1"] = mean(r["f1"] for r in rows)
    out["abstention"] = mean(not r["answered"] for r in rows)
    out["answer_words_mean"] = mean(r["words"] for r in rows if r["answered"])
    tiers = [r.get("tier") for r in rows]
    if any(tiers):
        out["tiers"] = {t: mean(x == t for x in tiers) for t in ("span", "sentence", "none")}
    latencies = [r["latency_ms"] for r in rows]
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    return out


def paired(ours: Sequence[bool], theirs: Sequence[bool]) -> Row:
    """On the same questions: how often only ours / only the baseline succeeds, and the
    exact two-sided McNemar p-value (a binomial test on those discordant questions)."""
    only_ours = sum(a and not b for a, b in zip(ours, theirs, strict=True))
    only_theirs = sum(b and not a for a, b in zip(ours, theirs, strict=True))
    n, k = only_ours + only_theirs, min(only_ours, only_theirs)
    p = min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n) if n else 1.0
    return {"only_ours": only_ours, "only_baseline": only_theirs, "mcnemar_p": round(p, 4)}


def successes(rows: list[Row], metric: str) -> list[bool]:
    """Per question: ``accuracy`` -> correct; ``recall_at_k`` / ``hit_at_k`` -> rank <= k."""
    if metric == "accuracy":
        return [bool(r["correct"]) for r in rows]
    k = int(metric.rsplit("_", 1)[1])
    return [r["rank"] is not None and r["rank"] <= k for r in rows]


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """ours / theirs, rounded; None when undefined."""
    if ours is None or not theirs:
        return None
    return round(ours / theirs, 2)
