"""``/documents``: list, read, add (JSON or a file upload) and delete articles."""

from __future__ import annotations

import json
from email.message import Message
from pathlib import PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from qa.api.access import require_write
from qa.api.deps import Runtime, RuntimeDep, ServiceDep
from qa.api.errors import UNREADABLE, invalid_field, validation_error
from qa.api.schemas import (
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    IngestResult,
    NewDocument,
    Source,
    SourceList,
)
from qa.api.text import check_article
from qa.errors import InvalidInput, TooLarge, UnsupportedType
from qa.ingest import article, parse
from qa.models import Article
from qa.service import Service
from qa.settings import Settings

router = APIRouter(tags=["documents"])
MAX_PAGE = 1000  # articles in one page of GET /documents
WRITE = [Depends(require_write)]  # the API key, or loopback only
DocumentId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="a document id, as listed by GET /documents",
    ),
]

UPLOAD_SCHEMA = {
    "type": "object",
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "a .txt, .md (front matter), .html or .jsonl file",
        }
    },
    "required": ["file"],
}
ADD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": NewDocument.model_json_schema()},
            "multipart/form-data": {"schema": UPLOAD_SCHEMA},
        },
    }
}


@router.get("/documents")
def list_documents(
    service: ServiceDep,
    offset: Annotated[int, Query(ge=0, description="how many articles to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="articles in the page")] = 100,
    q: Annotated[
        str, Query(max_length=200, description="only titles that hold this (any case)")
    ] = "",
) -> DocumentList:
    """One page of the stored articles (without their text), by title, and how many there
    are: pages cost the same whatever the archive's size."""
    page = service.catalog.page(offset, limit, q)
    summaries = [
        DocumentSummary.of(d, page.originals.get(d.near_duplicate_of or "")) for d in page.documents
    ]
    after = offset + len(summaries)
    return DocumentList(
        documents=summaries,
        total=page.total,
        stored=page.stored,
        offset=offset,
        next_offset=after if after < page.total else None,
    )


@router.get("/sources")
def list_sources(service: ServiceDep) -> SourceList:
    """Every outlet that a stored article names, with how many articles it has."""
    return SourceList(sources=[Source(name=n, documents=c) for n, c in service.catalog.sources()])


@router.get("/documents/{document_id}", responses={404: {"description": "no such document"}})
def get_document(document_id: DocumentId, service: ServiceDep) -> DocumentDetail:
    """One article with its full text; citations' ``start``/``end`` index into ``text``."""
    return DocumentDetail.of(service.document(document_id))


@router.post("/documents", status_code=201, openapi_extra=ADD_BODY, dependencies=WRITE)
async def add_documents(
    request: Request, response: Response, service: ServiceDep, runtime: RuntimeDep
) -> IngestResult:
    """Add an article sent as JSON, or the articles of an uploaded file (field ``file``,
    the same formats and rules as ``qa ingest``). Sending the same article again is a
    no-op; a changed article with the same url (or file name) replaces the old one."""
    articles = [check_article(a) for a in await _articles(request, service.settings)]
    result = await run_in_threadpool(_ingest, runtime, service, articles)
    if len(result.document_ids) == 1:
        response.headers["Location"] = f"/documents/{result.document_ids[0]}"
    return result


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    responses={404: {"description": "no such document"}},
    dependencies=WRITE,
)
def delete_document(document_id: DocumentId, service: ServiceDep, runtime: RuntimeDep) -> Response:
    """Remove an article and its passages."""
    with runtime.write_lock:
        service.delete(document_id)
    return Response(status_code=204)


def _ingest(runtime: Runtime, service: Service, articles: list[Article]) -> IngestResult:
    with runtime.write_lock:
        return IngestResult.of(service.ingest(articles))


async def _articles(request: Request, settings: Settings) -> list[Article]:
    header = Message()
    header["content-type"] = request.headers.get("content-type", "")
    kind = header.get_content_type()
    if kind == "multipart/form-data":
        return await _upload(request, settings)
    if kind == "application/json" or kind.endswith("+json"):
        return [_json_article(await request.body(), settings)]
    raise UnsupportedType(
        "Send the article as JSON (Content-Type: application/json) with a title and a text, "
        "or upload a file as multipart/form-data in the field 'file'."
    )


def _json_article(raw: bytes, settings: Settings) -> Article:
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as exc:  # malformed: a 422 as FastAPI gives on other routes
        raise invalid_field(("body",), f"JSON decode error: {exc.msg}", "json_invalid") from exc
    except (ValueError, RecursionError) as exc:  # too deep, a number too long: as /chat's
        raise HTTPException(400, UNREADABLE) from exc
    try:
        new = NewDocument.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, "body") from exc
    size = len(new.text.encode("utf-8"))
    if size > settings.max_upload_bytes:
        raise TooLarge(_over("text", settings.max_upload_bytes))
    return article(new.model_dump(), origin=None)


async def _upload(request: Request, settings: Settings) -> list[Article]:
    limit = settings.max_upload_bytes
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("No file: upload it as multipart/form-data in the field 'file'.")
        raw = await upload.read(limit + 1)
        name = PurePosixPath((upload.filename or "").replace("\\", "/")).name
    if len(raw) > limit:
        raise TooLarge(_over("file", limit))
    return await run_in_threadpool(parse, name or "upload", raw, limit, f"upload:{name}")


def _over(what: str, limit: int) -> str:
    return f"The {what} is over the limit of {limit:,} bytes (QA_MAX_UPLOAD_BYTES)."
