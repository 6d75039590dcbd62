"""Ingest: files read into articles, chunked, near-copies found, embedded and written."""

from qa.ingest.chunking import chunk
from qa.ingest.readers import article, files, parse
from qa.ingest.writer import Ingestor, Report

__all__ = ["Ingestor", "Report", "article", "chunk", "files", "parse"]
