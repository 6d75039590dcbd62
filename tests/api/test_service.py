"""The service's edges in process: health, an empty or unreachable store, unknown
routes, a bug as a JSON 500, the page's static files and the docs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.processes import free_port
from qa.service import Service, build_service
from qa.settings import Settings
from tests.api.checks import assert_error
from tests.helpers import PROPAGANDA


# -- health ---------------------------------------------------------------------------
def test_health_reports_counts_and_model(client: TestClient, api_settings: Settings) -> None:
    body = client.get("/health").json()
    listed = client.get("/documents").json()["documents"]
    assert body["status"] == "ok"
    assert body["documents"] == len(listed) == 2
    assert body["chunks"] == sum(d["chunks"] for d in listed) > 0
    assert body["model"] == api_settings.embedding_model


def test_health_is_503_while_the_store_is_unreachable(embedder: Embedder) -> None:
    settings = Settings(chroma_url=f"http://127.0.0.1:{free_port()}")
    with TestClient(create_app(settings, embedder=embedder)) as down:
        assert_error(down.get("/health"), 503, "not ready", "chroma")
        assert_error(down.post("/chat", json={"message": PROPAGANDA}), 503, "not ready")
        assert down.get("/").status_code == 200  # the page still loads and can say so


def test_empty_store_is_409_asking_to_ingest(settings: Settings, service: Service) -> None:
    with TestClient(create_app(settings, service=service)) as empty:
        assert empty.get("/health").json()["documents"] == 0
        assert_error(empty.post("/chat", json={"message": PROPAGANDA}), 409, "ingest")
        assert_error(empty.post("/chat/stream", json={"message": PROPAGANDA}), 409, "ingest")
        assert_error(empty.get("/search", params={"q": "Trump"}), 409, "ingest")
        assert empty.get("/documents").json() == {
            "documents": [], "total": 0, "stored": 0, "offset": 0, "next_offset": None
        }  # fmt: skip


# -- the rest -------------------------------------------------------------------------
def test_unknown_routes_and_methods_are_json(client: TestClient) -> None:
    assert_error(client.get("/nope"), 404, "not found")
    assert_error(client.put("/chat", json={}), 405, "not allowed")


def test_a_bug_is_a_json_500(api_settings: Settings, embedder: Embedder) -> None:
    app = create_app(api_settings, service=build_service(api_settings, embedder))

    @app.get("/bug")
    def bug() -> None:
        raise ZeroDivisionError("a bug")

    with TestClient(app, raise_server_exceptions=False) as buggy:
        assert_error(buggy.get("/bug"), 500, "bug", "server log")
        assert buggy.get("/health").status_code == 200


def test_page_static_files_and_docs(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/static/app.js" in page.text and "content-security-policy" in page.headers
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/static/style.css").status_code == 200
    assert_error(client.get("/static/missing.js"), 404, "not found")
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/chat", "/chat/stream", "/search", "/documents", "/v1/chat/completions"} <= set(paths)


def test_openai_errors_have_both_shapes(client: TestClient) -> None:
    body = {"model": "x", "messages": [{"role": "system", "content": "Be brief."}]}
    response = client.post("/v1/chat/completions", json=body)
    assert_error(response, 400, "user message")
    assert response.json()["error"]["message"] == response.json()["detail"]
    assert_error(client.post("/v1/chat/completions", json={"messages": []}), 422, "messages")
    images = [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]
    body = {"messages": [{"role": "user", "content": images}]}
    assert_error(client.post("/v1/chat/completions", json=body), 400, "text")
    assert client.get("/v1/models").json()["data"][0]["id"] == "qa-extractive"
