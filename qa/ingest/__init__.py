"""Ingest: files read into articles, chunked, near-copies found, embedded and written."""

from qa.ingest.duplicates import resemblance
from qa.ingest.readers import article, files, parse
from qa.ingest.writer import Ingestor, Report

__all__ = ["Ingestor", "Report", "article", "files", "parse", "resemblance"]
