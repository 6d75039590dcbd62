"""The prompts: files of ``--- system ---`` and ``--- user ---`` sections (``prompts/``,
shipped inside the package as ``qa/prompts``), loaded as LangChain chat prompts, and the
passages and history they are filled with.

The passages go to the model as data: in the user message only, each inside
``<passage n="1">…</passage>`` with ``<`` and ``>`` of its text escaped, so an article
can neither close its tag nor open a message of its own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

from qa.errors import QAError
from qa.models import Passage, Turn

# an installed package carries them as qa/prompts; a checkout (an editable install) keeps
# them at the top of the tree
INSTALLED = Path(__file__).resolve().parents[1] / "prompts"
CHECKOUT = Path(__file__).resolve().parents[2] / "prompts"
_SECTION = re.compile(r"^--- (system|user) ---[ \t]*$", re.MULTILINE)


def prompts_dir(configured: Path | None = None) -> Path:
    """``QA_PROMPTS_DIR``, else the package's own prompts, wherever it is run from."""
    if configured is not None:
        return configured
    return INSTALLED if INSTALLED.is_dir() else CHECKOUT


def load_prompt(path: Path) -> ChatPromptTemplate:
    """A chat prompt from a file of ``--- system ---`` and ``--- user ---`` sections."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QAError(f"cannot read the prompt {path}: {exc}") from exc
    parts = _SECTION.split(text)
    if parts[0].strip() or len(parts) < 3:
        raise QAError(f"the prompt {path} must start with a '--- system ---' line")
    roles = {"system": "system", "user": "human"}
    messages = [(roles[r], body.strip()) for r, body in zip(parts[1::2], parts[2::2], strict=True)]
    return ChatPromptTemplate.from_messages(messages)


def escape(text: str) -> str:
    """Article or chat text as data: no tag (nor special token such as ``<|im_start|>``)
    can be formed from it. ``&`` is left alone: an entity forms no tag."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def passage_block(passages: Sequence[Passage]) -> str:
    """The numbered passages, each inside its ``<passage>`` tag."""
    blocks = []
    for n, p in enumerate(passages, 1):
        attributes = f'n="{n}" title="{html.escape(p.title)}"'
        if p.source:
            attributes += f' source="{html.escape(p.source)}"'
        if p.published:
            attributes += f' published="{p.published.isoformat()}"'
        blocks.append(f"<passage {attributes}>\n{escape(p.text)}\n</passage>")
    return "\n".join(blocks)


def history_block(history: Sequence[Turn]) -> str:
    return "\n".join(f"{t.role}: {escape(' '.join(t.content.split()))}" for t in history)
