"""Made-up articles of real text, at any scale: every sentence of the SQuAD v1.1 dev
paragraphs and of the RealTime QA gold articles (40-400 characters) is a pool, and each
article is 6 to 14 sentences drawn from it at random (seeded), in paragraphs of three,
under one of eight outlets, a date in 2022 and a url of its own, so that no two are alike.
``make bench-scale`` and ``make bench-library`` grow their archives from it."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from tqdm import tqdm

from corpora import SQUAD, load_realtimeqa, load_squad
from qa.ingest import chunk
from qa.models import Article
from qa.settings import Settings
from qa.text import sentences

OUTLETS = ["Wire A", "Wire B", "Courier", "Herald", "Gazette", "Observer", "Tribune", "Post"]
PER_FILE = 2_000  # articles a .jsonl file holds (well under QA_MAX_FILE_BYTES)
ENCODE_SAMPLE = 2_000  # chunks the raw encode is timed on


def sentence_pool() -> list[str]:
    texts = [a.text for a in load_squad(SQUAD).articles]
    texts += [a.text for a in load_realtimeqa().articles]
    pool = [t[s.start : s.end] for t in tqdm(texts, "sentences") for s in sentences(t)]
    return [s for s in pool if 40 <= len(s) <= 400]


class Archive:
    """Distinct articles from the sentence pool, numbered, counted in chunks as stored."""

    def __init__(self, pool: list[str], settings: Settings, seed: int):
        self.pool, self.settings, self.rng = pool, settings, random.Random(seed)
        self.made = 0

    def article(self) -> Article:
        n, self.made = self.made, self.made + 1
        picked = self.rng.sample(self.pool, self.rng.randint(6, 14))
        paragraphs = [" ".join(picked[i : i + 3]) for i in range(0, len(picked), 3)]
        outlet = OUTLETS[n % len(OUTLETS)]
        return Article(
            title=f"{outlet} #{n}: {' '.join(picked[0].split()[:8])}",
            text="\n".join(paragraphs),
            source=outlet,
            url=f"https://archive.example/{n}",
            published=date(2022, 1, 1) + timedelta(days=self.rng.randrange(365)),
        )

    def chunks(self, item: Article) -> list[str]:
        s = self.settings
        return [
            c.text for c in chunk(item.id, item.text, s.chunk_max_chars, s.chunk_overlap_sentences)
        ]

    def stage(self, chunks: int, folder: Path) -> tuple[int, list[str]]:
        """Articles holding about ``chunks`` chunks, written to ``folder``: how many, and a
        sample of their chunk texts."""
        folder.mkdir(parents=True)
        count, sample, lines = 0, list[str](), list[str]()
        with tqdm(total=chunks, desc=f"archive {folder.name}", unit="chunk") as bar:
            while count < chunks:
                item = self.article()
                texts = self.chunks(item)
                count += len(texts)
                bar.update(len(texts))
                sample += texts[: max(0, ENCODE_SAMPLE - len(sample))]
                lines.append(item.model_dump_json(exclude_none=True))
        for at in range(0, len(lines), PER_FILE):
            (folder / f"{at // PER_FILE:04d}.jsonl").write_text(
                "\n".join(lines[at : at + PER_FILE])
            )
        return len(lines), sample
