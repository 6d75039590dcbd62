"""The two benchmark datasets as articles to ingest and questions with gold answers.

Both are read in place from ``../shared/datasets`` (read-only; never copied here).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from qa.models import Article

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
SQUAD = DATASETS / "squad-v1.1" / "dev-v1.1.json"
REALTIMEQA = DATASETS / "realtimeqa"
# the reader (qa/answer/reader/) was trained on articles 0-31 and its threshold chosen on 32-35
HELD_OUT = range(36, 48)
# RealTime QA's weeks: those to 2022-08-26 may be chosen and trained on, the rest never
CHOICE_WEEKS = ("20220617", "20220826")
HELD_OUT_WEEKS = ("20220902", "20221111")
# 14 RealTime QA gold urls hold the same 210-character scraped ad-feedback form instead of
# the article; no real gold text is under 600 characters. Such texts are ingested as given
# but do not count as a gold article.
MIN_GOLD_CHARS = 300


@dataclass(frozen=True)
class Question:
    """A question, its accepted answers and the ids of the articles that answer it."""

    id: str
    text: str
    answers: tuple[str, ...]
    gold: frozenset[str]
    wrong: tuple[str, ...] = ()  # RealTime QA: the other three choices
    week: str = ""  # RealTime QA: the quiz's week, YYYYMMDD


@dataclass
class Dataset:
    name: str
    articles: list[Article]
    questions: list[Question]
    notes: dict[str, Any] = field(default_factory=dict)


def sample(items: list[Question], n: int, seed: int) -> list[Question]:
    """``n`` items drawn without replacement with a seeded generator (all if n <= 0)."""
    if n <= 0 or n >= len(items):
        return list(items)
    return random.Random(seed).sample(items, n)


# -- SQuAD v1.1 dev -------------------------------------------------------------------------
def paragraph_title(article_title: str, index: int) -> str:
    return f"{article_title.replace('_', ' ')} ¶{index}"


def load_squad(
    path: Path = SQUAD, n: int = 0, seed: int = 0, all_articles: bool = False
) -> Dataset:
    """Every paragraph as an article; ``n`` sampled questions from the held-out articles
    36-47 (or from all 48 with ``all_articles``)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles: list[Article] = []
    pool: list[Question] = []
    for a_index, entry in enumerate(data):
        for p_index, paragraph in enumerate(entry["paragraphs"]):
            title = paragraph_title(entry["title"], p_index)
            item = Article(title=title, text=paragraph["context"], source="squad-v1.1-dev")
            articles.append(item)
            if all_articles or a_index in HELD_OUT:
                pool.extend(_squad_questions(paragraph["qas"], item.id))
    scope = "all 48 articles" if all_articles else "held-out articles 36-47"
    notes = {"question_pool": len(pool), "questions_from": scope, "seed": seed}
    return Dataset("squad", articles, sample(pool, n, seed), notes)


def _squad_questions(qas: list[dict[str, Any]], article_id: str) -> Iterator[Question]:
    for qa in qas:
        answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
        yield Question(qa["id"], qa["question"], answers, frozenset({article_id}))


# -- RealTime QA ----------------------------------------------------------------------------
def _rows(paths: Iterable[Path], weeks: tuple[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """Each line of the files, with its week (``week``, from the file's name), of the weeks
    from ``weeks[0]`` to ``weeks[1]`` (all by default)."""
    for path in sorted(paths):
        week = path.name[:8]
        if weeks is not None and not weeks[0] <= week <= weeks[1]:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield {**json.loads(line), "week": week}


def published(value: Any) -> date | None:
    """``2022/06/12`` (or ISO) as a date; None when missing or unreadable."""
    try:
        return date.fromisoformat(str(value)[:10].replace("/", "-")) if value else None
    except ValueError:
        return None


def news_article(hit: dict[str, Any]) -> Article:
    """A gold search result as an article: title = its first line (else the url)."""
    text, url = hit["text"], hit["url"]
    first = text.strip().split("\n", 1)[0].strip()
    return Article(
        title=first if 0 < len(first) <= 150 else url,
        text=text,
        url=url,
        source=urlparse(url).hostname,
        published=published(hit.get("publish_date")),
    )


def _is_gold(item: Article | None) -> bool:
    return item is not None and len(item.text) >= MIN_GOLD_CHARS


def load_realtimeqa(
    directory: Path = REALTIMEQA, weeks: tuple[str, str] | None = None, unanswered: bool = False
) -> Dataset:
    """The distinct gold articles with text, and every question that has a gold article, of
    the weeks from ``weeks[0]`` to ``weeks[1]`` (all by default); with ``unanswered``, the
    questions that have none too (with no gold: "not in these articles")."""
    by_url: dict[str, Article] = {}
    gold_urls: dict[str, list[str]] = {}
    for row in _rows(directory.glob("*_gold.jsonl"), weeks):
        for hit in row.get("search_result") or []:
            gold_urls.setdefault(row["question_id"], []).append(hit["url"])
            if hit.get("text") and hit["url"] not in by_url:
                by_url[hit["url"]] = news_article(hit)
    questions: list[Question] = []
    for row in _rows(directory.glob("*_qa.jsonl"), weeks):
        urls = gold_urls.get(row["question_id"], [])
        if not urls and not unanswered:
            continue
        choices, right = row["choices"], int(row["answer"][0])
        gold = frozenset(by_url[u].id for u in urls if _is_gold(by_url.get(u)))
        wrong = tuple(c for i, c in enumerate(choices) if i != right)
        text = row["question_sentence"]
        questions.append(
            Question(row["question_id"], text, (choices[right],), gold, wrong, row["week"])
        )
    notes = {
        "gold_urls": len({u for urls in gold_urls.values() for u in urls}),
        "gold_urls_with_text": len(by_url),
        "distinct_texts": len({a.id for a in by_url.values()}),
        "gold_urls_not_articles": sum(not _is_gold(a) for a in by_url.values()),
        "questions_with_gold_in_corpus": sum(bool(q.gold) for q in questions),
    }
    unique = list({a.id: a for a in by_url.values()}.values())  # the same text, stored once
    return Dataset("realtimeqa", unique, questions, notes)
