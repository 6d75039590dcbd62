"""The benchmark's pure helpers: ranks, grading, intervals, dataset records, cache keys."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bench.load import latency_stats
from bench.metrics import first_hit, grade, paired, plain, ratio, successes, summarise, wilson
from corpora import Dataset, Question, corpus_key, news_article, paragraph_title, published, sample
from qa.models import Article
from qa.settings import Settings


def test_first_hit_is_the_one_based_rank_of_a_gold_passage_within_the_depth() -> None:
    ranked = ["a", "b", "b", "c"]
    assert first_hit(ranked, {"b", "c"}) == 2
    assert first_hit(ranked, {"c"}, depth=3) is None
    assert first_hit([], {"a"}) is None


def test_grading_follows_the_squad_rules_and_scores_an_abstention_zero() -> None:
    right = grade("It was built in 1962 by the city. [1]", True, ["1962"])
    assert right == {"correct": True, "unambiguous": True, "em": False, "f1": 0.25}
    assert grade("The 1962 one [1]", True, ["the 1962 one"])["em"] is True
    assert grade("Built in 11962.", True, ["1962"])["correct"] is False  # whole words only
    assert grade("1962 " * 200, True, ["1962"])["correct"] is False  # over 500 characters
    nothing = grade("The articles don't say.", False, ["1962"])
    assert nothing == {"correct": False, "unambiguous": False, "em": False, "f1": 0.0}


def test_curly_quotes_match_only_when_unicode_punctuation_is_dropped() -> None:
    answer, choice = "Netflix renewed “Squid Game”, its biggest show.", ["Squid Game"]
    assert plain("“Squid Game”—") == "Squid Game"
    assert grade(answer, True, choice)["correct"] is False
    assert grade(answer, True, choice, unicode_punctuation=True)["correct"] is True


def test_an_answer_holding_a_wrong_choice_too_is_not_unambiguous() -> None:
    scores = grade("Europe, not Asia, will require it.", True, ["Europe"], ["Asia", "Africa"])
    assert scores["correct"] is True and scores["unambiguous"] is False


def test_wilson_interval_and_ratio() -> None:
    assert wilson(0, 0) is None
    low, high = wilson(50, 100) or [0.0, 0.0]
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    assert wilson(10, 10) == [pytest.approx(0.7225, abs=1e-4), 1.0]
    assert ratio(0.6, 0.3) == 2.0 and ratio(0.5, 0.0) is None and ratio(None, 0.5) is None


def test_paired_comparison_counts_discordant_questions_with_an_exact_mcnemar_p() -> None:
    ours = [True] * 10 + [False] * 2
    theirs = [False] * 10 + [True] * 2
    result = paired(ours, theirs)
    assert (result["only_ours"], result["only_baseline"]) == (10, 2)
    assert result["mcnemar_p"] == pytest.approx(0.0386, abs=1e-4)
    assert paired([True, False], [True, False])["mcnemar_p"] == 1.0
    rows: list[dict[str, Any]] = [{"correct": True, "rank": 3}, {"correct": False, "rank": None}]
    assert successes(rows, "accuracy") == [True, False]
    assert successes(rows, "recall_at_5") == [True, False]
    assert successes(rows, "hit_at_1") == [False, False]


def test_summarise_counts_ranks_answers_and_latency() -> None:
    def row(rank: int | None, right: bool, answered: bool = True) -> dict[str, object]:
        scores = {"correct": right, "unambiguous": right, "em": False, "f1": 0.5 * right}
        return {"rank": rank, "answered": answered, "latency_ms": 10.0, "words": 4, **scores}

    summary = summarise([row(1, True), row(3, False), row(None, False, answered=False)], "hit")
    assert summary["hit_at_1"] == pytest.approx(1 / 3, abs=1e-4)
    assert summary["hit_at_5"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["mrr_at_10"] == pytest.approx((1 + 1 / 3) / 3, abs=1e-4)
    assert summary["accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert summary["abstention"] == pytest.approx(1 / 3, abs=1e-4)
    assert summary["latency_p50_ms"] == 10.0 and summary["answer_words_mean"] == 4.0


def test_dataset_records() -> None:
    assert paragraph_title("Super_Bowl_50", 3) == "Super Bowl 50 ¶3"
    assert published("2022/06/12") == date(2022, 6, 12) and published(None) is None
    assert published("sometime") is None
    hit = {"url": "https://x.com/a", "text": "Washington CNN —\n\nBody.", "publish_date": None}
    item = news_article(hit)
    assert (item.title, item.url, item.source) == ("Washington CNN —", hit["url"], "x.com")
    assert news_article({**hit, "text": "\n" + "long " * 40}).title == hit["url"]
    pool = [Question(str(i), f"q{i}", ("a",), frozenset({"d"})) for i in range(50)]
    assert sample(pool, 5, seed=1) == sample(pool, 5, seed=1) != sample(pool, 5, seed=2)
    assert sample(pool, 0, seed=1) == pool


def test_the_cache_key_follows_the_articles_and_the_chunking() -> None:
    data = Dataset("d", [Article(title="t", text="Some text.")], [])
    key = corpus_key(data, Settings())
    assert key == corpus_key(data, Settings())
    assert key != corpus_key(data, Settings(chunk_max_chars=300))
    assert key != corpus_key(Dataset("d", [Article(title="t", text="Other.")], []), Settings())


def test_latency_stats() -> None:
    stats = latency_stats([10.0, 20.0, 30.0, 40.0], wall_seconds=0.05)
    assert stats == {"requests": 4, "p50_ms": 25.0, "p95_ms": 38.5, "throughput_rps": 80.0}
