"""The store: articles and chunks as Chroma records, the log of writes, and their upkeep."""

from qa.store.catalog import Catalog, Page
from qa.store.records import Metadata, Write, chunk_of, heading_of
from qa.store.store import Store
from qa.store.upkeep import check, repair

__all__ = [
    "Catalog",
    "Metadata",
    "Page",
    "Store",
    "Write",
    "check",
    "chunk_of",
    "heading_of",
    "repair",
]
