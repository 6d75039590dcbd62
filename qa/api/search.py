"""``GET /search``: the passages that best match a query, without answering."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qa.api.deps import ServiceDep
from qa.api.schemas import SearchResults, check_k, check_text, query_filters

router = APIRouter(tags=["search"])


@router.get("/search")
def search(
    service: ServiceDep,
    q: Annotated[str, Query(description="what to look for")],
    k: Annotated[int, Query(ge=1, description="how many passages (1..max_k)")] = 5,
    document_id: Annotated[str | None, Query(description="only this document")] = None,
    source: Annotated[str | None, Query(description="only this source")] = None,
    published_after: Annotated[str | None, Query(description="YYYY-MM-DD, inclusive")] = None,
    published_before: Annotated[str | None, Query(description="YYYY-MM-DD, inclusive")] = None,
) -> SearchResults:
    """Hybrid (dense + keyword) search over the stored passages, best first."""
    query = check_text(q, service.settings, what="query")
    check_k(k, service.settings, ("query", "k"))
    filters = query_filters(document_id, source, published_after, published_before)
    return SearchResults(results=service.search(query, k, filters))
