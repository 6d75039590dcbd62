import itertools

from qa.ingest.chunking import chunk
from qa.text import sentences
from tests.conftest import SEEDS


def _texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentences(text)]


def test_abbreviations_do_not_end_sentences() -> None:
    text = "The U.S. Government named Gen. Qassem Soleimani. He was 62. Iran, Dr. Smith said, won."
    assert _texts(text) == [
        "The U.S. Government named Gen. Qassem Soleimani.",
        "He was 62.",
        "Iran, Dr. Smith said, won.",
    ]


def test_sentences_never_cross_a_line_break() -> None:
    text = "Trump's arrest warrant\nOn June 29, the prosecutor spoke. He said more."
    assert _texts(text) == [
        "Trump's arrest warrant",
        "On June 29, the prosecutor spoke.",
        "He said more.",
    ]


def test_chunk_offsets_hold_on_the_seeds() -> None:
    for path in SEEDS.glob("*.md"):
        text = path.read_text()
        chunks = chunk("doc", text, max_chars=400, overlap=1)
        assert len(chunks) > 3
        for c in chunks:
            assert text[c.start : c.end] == c.text
            assert len(c.text) <= 400 or "\n" not in c.text


def test_chunks_overlap_by_one_sentence_and_cover_the_text() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(20))
    chunks = chunk("doc", text, max_chars=120, overlap=1)
    for before, after in itertools.pairwise(chunks):
        assert after.start < before.end  # they share the last sentence
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_chunk_ids_are_stable_and_unicode_offsets_hold() -> None:
    text = "Émigrés 🙂 met in Zürich. They talked — at length. Then they left."
    first, second = chunk("d", text, 30), chunk("d", text, 30)
    assert [c.id for c in first] == [c.id for c in second]
    assert all(text[c.start : c.end] == c.text for c in first)
