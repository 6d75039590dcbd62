"""qa: cited answers from news articles.

For use in your own LangChain pipeline (names are imported on first use)::

    from qa import Question, Settings, build_service

    service = build_service(Settings())  # QA_* from the environment
    service.retriever.invoke("Who was killed?", k=3)  # a BaseRetriever: LangChain Documents
    service.chain.invoke(Question(text="Who was killed?"))  # a Runnable: Question -> Answer
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "Answer": "qa.models",
    "Citation": "qa.models",
    "Filters": "qa.models",
    "Question": "qa.models",
    "Turn": "qa.models",
    "Settings": "qa.settings",
    "Chain": "qa.chain",
    "Retriever": "qa.search",
    "Service": "qa.service",
    "build_service": "qa.service",
}
__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
