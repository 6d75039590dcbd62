"""Schemathesis against the app's own OpenAPI schema, in process (ASGI): generated valid
and invalid requests for every operation, a bounded number each. No 5xx, and every
response (errors included) keeps to the schema: documented status, content type, body;
a refusal is one of the codes its route documents."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.service import build_service
from qa.settings import Settings

EXAMPLES = 12  # per operation: the whole run stays well under a minute

# The app is made at import (schemathesis parametrizes at collection) without its service,
# which the fixture below puts in before the first request: no model loads at collection.
STORE = Path(tempfile.gettempdir()) / f"qa-fuzz-{uuid.uuid4().hex}" / "store"  # made by the fixture
CONFIG = Settings(vectorstore_dir=STORE, rate_limit="off", max_upload_bytes=20_000)
APP = create_app(CONFIG)
SPEC = json.loads(json.dumps(APP.openapi()))


def documented(operation: dict[str, Any]) -> list[str]:
    """The 4xx codes the schema documents for an operation."""
    return sorted(code for code in operation["responses"] if code.startswith("4"))


# Each operation to its own documented codes. Valid by the schema yet refused with one of
# them, by rules the schema cannot state: a question of spaces only (400), over a QA_MAX_*
# setting (413), a file of a kind the upload does not read, told by its name (415), an
# OpenAI conversation whose last user message is empty (400). Invalid by the schema:
# refused with one of them (a text over its length limit with 413).
OPERATIONS = [
    {
        "include-operation-id": operation["operationId"],
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", *documented(operation)]},
            "negative_data_rejection": {"expected-statuses": documented(operation)},
        },
    }
    for methods in SPEC["paths"].values()
    for operation in methods.values()
]
schema = schemathesis.openapi.from_dict(
    SPEC, config=SchemathesisConfig.from_dict({"operations": OPERATIONS})
)
schema.app = APP


@pytest.fixture(scope="module", autouse=True)
def seeded_app(seeded_dir: Path, embedder: Embedder) -> Iterator[None]:
    shutil.copytree(seeded_dir, STORE)
    APP.state.runtime.service = build_service(CONFIG, embedder)
    yield
    shutil.rmtree(STORE.parent, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema(case: Any) -> None:
    case.call_and_validate()
