"""Search: dense and keyword (BM25) results fused by rank, as a LangChain retriever."""

from qa.search.keywords import Keywords
from qa.search.retrieval import Retriever, as_passage

__all__ = ["Keywords", "Retriever", "as_passage"]
