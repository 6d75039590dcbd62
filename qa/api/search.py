"""``GET /search``: the passages that best match a query, without answering."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qa.api.deps import ServiceDep
from qa.api.schemas import SearchResults, check_k, check_text, query_filters
from qa.api.text import CLEAN, NOT_BLANK

router = APIRouter(tags=["search"])
ONE_DOCUMENT = Query(description="only this document", json_schema_extra=CLEAN)
ONE_SOURCE = Query(description="only this source", json_schema_extra=CLEAN)
# A date, or empty for no restriction.
DATE = Query(
    description="YYYY-MM-DD, inclusive",
    json_schema_extra={
        "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]
    },
)


@router.get("/search")
def search(
    service: ServiceDep,
    q: Annotated[str, Query(description="what to look for", json_schema_extra=NOT_BLANK)],
    k: Annotated[int, Query(ge=1, description="how many passages (1..max_k)")] = 5,
    document_id: Annotated[str | None, ONE_DOCUMENT] = None,
    source: Annotated[str | None, ONE_SOURCE] = None,
    published_after: Annotated[str | None, DATE] = None,
    published_before: Annotated[str | None, DATE] = None,
) -> SearchResults:
    """Hybrid (dense + keyword) search over the stored passages, best first."""
    query = check_text(q, service.settings, what="query")
    check_k(k, service.settings, ("query", "k"))
    filters = query_filters(document_id, source, published_after, published_before)
    return SearchResults(results=service.search(query, k, filters))
