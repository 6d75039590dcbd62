"""Articles the tests share: a seed story as a wire story, republished by another outlet
with small edits (its near-copy)."""

from __future__ import annotations

from qa.models import Article
from tests.conftest import SEEDS

SEED = (SEEDS / "000_0071e863b7c6ec05.md").read_text()
# three paragraphs of the seed, as the wire story
WIRE = "\n".join(SEED[SEED.index("On June 29, Tehran") : SEED.index("Back in January")].split("\n"))
EDITS = [
    ("On June 29, Tehran", "TEHRAN (Gulf Wire) - On Monday, June 29, Tehran"),
    ("told the IRNA", "told the state news agency IRNA"),
    ("as reported by Fox News", "as first reported by Fox News"),
    ("no one takes seriously", "nobody takes seriously"),
]
QUOTE = (
    '"The arrest warrant is just a propaganda stunt that no one takes seriously," Brian Hook said.'
)


def republished(text: str) -> str:
    for old, new in EDITS:
        assert old in text
        text = text.replace(old, new)
    return text


def original_and_copy() -> list[Article]:
    return [
        Article(title="Iran seeks Trump arrest", text=WIRE, source="Daily Planet"),
        Article(title="Tehran wants Trump held", text=republished(WIRE), source="Gulf Wire"),
    ]
