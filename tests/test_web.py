"""The chat page in a real browser (Playwright driving Debian's Chromium) against the real
server (uvicorn in a subprocess), over the seed articles plus one carrying HTML/script.

Without /usr/bin/chromium (or playwright) these tests are skipped locally and FAIL in CI
(when the CI environment variable is set)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.service import build_service
from qa.settings import Settings
from tests.fakes import HOOK, citing, fake
from tests.helpers import (
    MOON,
    PROPAGANDA,
    ROOT,
    SENTENCE_ANSWER,
    Server,
    copy_store,
    running_server,
    sse_json,
    uvicorn_command,
)
from tests.servers import serve_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page, Route

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = {
    "title": "Lantern parade <b>tonight</b>",
    "text": "The Riverside harbour festival opens on Saturday with boats, music and food stalls.\n"
    f"The lantern parade starts at the Old Lighthouse on Pier Road, according to a banner "
    f"reading {SCRIPT} that organisers hung by mistake.\n"
    f"A second banner, {IMG}, was taken down by the Harbour Master before noon.\n",
    "source": "Riverside <i>Gazette</i>",
    "published": "2020-06-29",
    "url": "javascript:alert(1)",
}
# the same story from two outlets that name its engineer differently
BRIDGE = [
    {
        "title": "Harbour Bridge reopens after two years of repairs",
        "text": "The Harbour Bridge reopened on Monday after two years of repairs. The bridge "
        "was designed by the engineer Maria Keller in 1931. Traffic should return to normal "
        "by Friday, the council said.",
        "source": "Riverside Gazette",
        "published": "2021-03-01",
    },
    {
        "title": "Crowds celebrate the old Harbour Bridge",
        "text": "Crowds gathered on Tuesday to celebrate the reopened Harbour Bridge. The "
        "bridge was designed by the engineer Hans Vogel in 1931, the mayor said in a speech. "
        "Fireworks followed at dusk.",
        "source": "Valley Herald",
        "published": "2021-03-02",
    },
]
FINAL = re.compile(r"^(answered|unanswered)$")


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: the browser tests must run in CI")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        unavailable(f"no browser at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("web-server")
    store = copy_store(seeded_dir, workdir / "store")
    with running_server(uvicorn_command, store, workdir) as started:
        for article in [HOSTILE, *BRIDGE]:
            added = httpx.post(f"{started.url}/documents", json=article, timeout=60)
            assert added.status_code == 201, added.text
        yield started


@pytest.fixture
def dialogs() -> list[str]:
    return []


def open_page(browser: Browser, url: str, dialogs: list[str], **options: Any) -> Page:
    page = browser.new_page(**options)
    page.set_default_timeout(30_000)

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(f"{url}/")
    return page


def ask(page: Page, question: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Type and send a question; the assistant message once final, the request body the
    page sent, and the ``done`` Answer it received."""
    index = page.locator(".message.assistant").count()
    with page.expect_response(lambda r: r.url.endswith("/chat/stream")) as info:
        page.fill("#question", question)
        page.press("#question", "Enter")
    message = page.locator(".message.assistant").nth(index)
    from playwright.sync_api import expect

    expect(message).to_have_attribute("data-state", FINAL)
    response = info.value
    events = sse_json(response.text())
    assert events[-1][0] == "done", events
    return message, json.loads(response.request.post_data or "{}"), events[-1][1]


def test_a_sentence_answer_is_highlighted_without_a_bold_span(
    browser: Browser, server: Server, dialogs: list[str]
) -> None:
    page = open_page(browser, server.url, dialogs)
    message, _, done = ask(page, SENTENCE_ANSWER)
    assert done["tier"] == "sentence" and done["short_answer"] is None
    assert message.get_attribute("data-tier") == "sentence"
    quoted = message.locator(".body mark.quote")
    assert quoted.count() == len({c["quote"] for c in done["citations"]}) >= 1
    assert quoted.first.text_content() == done["citations"][0]["quote"]
    assert message.locator(".body strong").count() == 0


def open_citation(page: Page, message: Any, citation: dict[str, Any]) -> str:
    """Click the citation's marker; the highlighted text in the source panel."""
    message.locator(f'button.cite[data-n="{citation["n"]}"]').first.click()
    mark = page.locator("#panel-text mark")
    mark.wait_for()
    return str(mark.text_content())


def test_answer_citation_panel_and_follow_up(
    browser: Browser, server: Server, dialogs: list[str]
) -> None:
    page = open_page(browser, server.url, dialogs, viewport={"width": 1280, "height": 860})
    message, sent, done = ask(page, PROPAGANDA)
    assert message.get_attribute("data-state") == "answered"
    assert sent == {"message": PROPAGANDA, "history": []}
    assert done["answered"] and done["citations"]
    first = message.locator("button.cite").first
    n = int(first.get_attribute("data-n") or 0)
    citation = next(c for c in done["citations"] if c["n"] == n)
    # in the answer: the quoted sentence highlighted, the short answer bold inside it
    assert message.get_attribute("data-tier") == done["tier"] == "span"
    quoted = message.locator(".body mark.quote").first
    assert quoted.text_content() == done["citations"][0]["quote"]
    assert quoted.locator("strong.short-answer").text_content() == done["short_answer"]
    assert open_citation(page, message, citation) == citation["quote"]
    assert page.locator("#panel").is_visible()
    # the short answer is bold inside the highlighted quote
    assert citation["answer_start"] is not None and done["short_answer"]
    bold = page.locator("#panel-text mark strong.short-answer")
    assert bold.text_content() == done["short_answer"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web.png"))

    follow, sent, answer = ask(page, "Where was he when he said that?")
    assert sent["history"] == [  # the answer's findings go back with it: follow-ups read them
        {"role": "user", "content": PROPAGANDA},
        {"role": "assistant", "content": done["answer"], "findings": done["findings"]},
    ]
    assert follow.get_attribute("data-state") == (
        "answered" if answer["answered"] else "unanswered"
    )
    if answer["standalone_question"] != "Where was he when he said that?":
        rewrite = follow.locator(".rewrite")
        assert rewrite.text_content() == f"Searched for: {answer['standalone_question']}"
    assert dialogs == []
    page.close()


def test_article_html_is_shown_as_text(
    browser: Browser, server: Server, dialogs: list[str]
) -> None:
    page = open_page(browser, server.url, dialogs)
    message, _, done = ask(page, "Where does the lantern parade start?")
    cited = [c for c in done["citations"] if c["title"] == HOSTILE["title"]]
    assert cited, f"no citation of the hostile article: {done}"
    assert open_citation(page, message, cited[0]) == cited[0]["quote"]
    panel_text = page.locator("#panel-text").inner_text()
    assert SCRIPT in panel_text and IMG in panel_text
    assert page.locator("#panel-title").text_content() == HOSTILE["title"]
    assert "<i>Gazette</i>" in str(page.locator("#panel-meta").text_content())
    # the source line names the outlet and the date, as text; an article without them says so
    assert cited[0]["source"] == HOSTILE["source"] and cited[0]["published"] == "2020-06-29"
    names = message.locator(".source-name").all_text_contents()
    assert " — Riverside <i>Gazette</i> · 29 June 2020" in names
    assert page.locator("#panel-meta a").count() == 0  # a javascript: url is never a link
    assert SCRIPT in str(message.locator(".body").text_content())
    injected = "#messages script, #messages img, #messages b, #panel script, #panel img, #panel b"
    assert page.locator(injected).count() == 0
    page.wait_for_timeout(300)  # time for an onerror to fire, were there an <img>
    assert dialogs == []
    page.close()


def test_phone_sized_viewport(browser: Browser, server: Server, dialogs: list[str]) -> None:
    page = open_page(browser, server.url, dialogs, viewport={"width": 390, "height": 844})
    for selector in ("#question", "#send"):
        box = page.locator(selector).bounding_box()
        assert page.locator(selector).is_visible() and box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    message, _, done = ask(page, PROPAGANDA)
    assert message.get_attribute("data-state") == "answered" and done["citations"]
    assert page.locator("#send").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-phone.png"))
    page.close()


def test_a_declined_question_shows_the_closest_passages(
    browser: Browser, server: Server, dialogs: list[str]
) -> None:
    """Tier "none" says so once, then lists where to look, plainly not as an answer; a
    passage opens at its quote like a citation."""
    page = open_page(browser, server.url, dialogs, viewport={"width": 1280, "height": 860})
    message, _, done = ask(page, "Who won the 2022 World Cup?")
    assert message.get_attribute("data-state") == "unanswered" and done["tier"] == "none"
    assert message.text_content().count("The articles don’t say.") == 1
    related = message.locator(".related .source")
    assert related.count() == len(done["related"]) and 1 <= related.count() <= 3
    assert "not an answer" in str(message.locator(".related-label").text_content())
    related.first.click()
    from playwright.sync_api import expect

    expect(page.locator("#panel-text mark").first).to_have_text(done["related"][0]["quote"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "declined.png"))
    assert dialogs == []
    page.close()


def test_what_each_outlet_says_is_shown_side_by_side(
    browser: Browser, server: Server, dialogs: list[str]
) -> None:
    """Each article that answers is a card: its outlet and date, its title, its sentence
    with the short answer bold; the lead says the articles differ, or cites all that agree."""
    page = open_page(browser, server.url, dialogs, viewport={"width": 1280, "height": 860})
    message, _, done = ask(page, "Who designed the Harbour Bridge?")
    findings = done["findings"]
    assert len(findings) == 2 and done["sources_differ"], done["answer"]
    cards = message.locator(".finding")
    assert cards.count() == 2
    assert str(message.locator(".lead").text_content()).startswith("The articles differ:")
    for k, f in enumerate(findings):
        card = cards.nth(k)
        assert card.locator(".finding-outlet").text_content() == (
            f"{f['source']} · {int(f['published'][-2:])} March 2021"
        )
        assert card.locator(".finding-title").text_content() == f["title"]
        assert card.locator("mark.quote").text_content() == f["quotes"][0]["quote"]
        assert card.locator("mark.quote strong.short-answer").text_content() == f["short_answer"]
        assert card.locator("button.cite").get_attribute("data-n") == str(f["quotes"][0]["n"])
    boxes = [cards.nth(k).bounding_box() for k in range(2)]
    assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"]  # side by side
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "findings.png"))
    assert dialogs == []
    page.close()


def test_the_api_docs_render_with_the_network_cut_off(browser: Browser, server: Server) -> None:
    """/docs loads Swagger UI from the service itself, under its policy: every request
    that leaves the service is aborted, and the operations still render."""
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.set_default_timeout(30_000)
    outside: list[str] = []
    problems: list[str] = []

    def only_the_service(route: Any) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_service)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{server.url}/docs")
    page.locator(".opblock").first.wait_for()
    paths = page.locator(".opblock-summary-path").all_text_contents()
    assert {"/chat", "/documents", "/v1/chat/completions"} <= {p.strip() for p in paths}
    assert outside == [] and problems == [], (outside, problems)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs.png"))
    page.close()


def test_generated_answers_mark_unsupported_sentences(
    browser: Browser, seeded_dir: Path, embedder: Embedder, dialogs: list[str]
) -> None:
    """With the LLM answerer (a fake model) the page shows the checked answer: the cited
    sentence with its marker, the sentence no article supports marked as such."""
    settings = Settings(vectorstore_dir=seeded_dir, answerer="llm")
    model = fake(lambda prompt: citing("Brian Hook", HOOK)(prompt) + f" {MOON} [1].")
    service = build_service(settings, embedder, model)
    with serve_app(create_app(settings, service=service)) as url:
        page = open_page(browser, url, dialogs)
        message, _, done = ask(page, PROPAGANDA)
        assert done["answerer"] == "llm" and done["citations"]
        assert [s["supported"] for s in done["sentences"]] == [True, False]
        supported, unsupported = message.locator(".sentence").all()
        assert HOOK in str(supported.text_content()) and supported.locator("button.cite").count()
        assert "unsupported" in str(unsupported.get_attribute("class"))
        assert MOON in str(unsupported.text_content())
        assert unsupported.locator("button.cite").count() == 0  # its marker was removed
        assert "language model" in str(message.locator(".answerer").text_content())
        citation = done["citations"][0]
        assert open_citation(page, message, citation) == citation["quote"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-llm.png"))
        assert dialogs == []
        page.close()


# -- the library ---------------------------------------------------------------------------
FERRY = {
    "title": "Lakeside ferry crews strike",
    "source": "Harbour Herald",
    "published": "2024-05-02",
    "text": "The Lakeside ferry crews stopped work on Thursday over night-shift pay. "
    "The strike was called by the Ferry Workers Union after talks failed.",
}
BRIDGE_MD = (
    b"---\ntitle: Old bridge reopens\nsource: Valley Post\npublished: 2023-03-14\n---\n"
    b"The old stone bridge at Millbrook reopened on Tuesday after two years of repairs."
)
WHO_CALLED = "Which union called the Lakeside ferry strike?"
KEY = "right-key"


def open_library(page: Page) -> None:
    page.click("#library-toggle")
    page.locator("#library-count").filter(has_text="article").wait_for()


def uploaded(page: Page, text: str) -> str:
    """The upload line that mentions ``text``, once it is no longer busy."""
    line = page.locator("#uploads li:not(.busy)").filter(has_text=text).first
    line.wait_for()
    return str(line.text_content())


def test_add_ask_and_remove_from_the_library(
    browser: Browser, server: Server, dialogs: list[str]
) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, server.url, dialogs, viewport={"width": 1280, "height": 860})
    open_library(page)
    before = str(page.locator("#library-count").text_content())
    page.click("#add summary")
    page.fill("#paste-title", FERRY["title"])
    page.fill("#paste-source", FERRY["source"])
    page.fill("#paste-published", FERRY["published"])
    page.fill("#paste-text", FERRY["text"])
    page.click("#paste-add")
    assert "added 1" in uploaded(page, FERRY["title"])
    page.set_input_files("#file-input", [_file("bridge.md", BRIDGE_MD)])
    assert "added 1" in uploaded(page, "bridge.md")
    page.fill("#library-search", "bridge")
    row = page.locator(".doc").filter(has_text="Old bridge reopens")
    assert "Valley Post · 14 March 2023" in str(row.text_content())
    assert page.locator("#paste-title").input_value() == ""  # the form is cleared once added
    ARTIFACTS.mkdir(exist_ok=True)
    page.fill("#library-search", "")
    page.click("#add summary")  # folded, to show the list
    page.screenshot(path=str(ARTIFACTS / "library-1280.png"))
    narrow = open_page(browser, server.url, dialogs, viewport={"width": 420, "height": 860})
    open_library(narrow)
    narrow.screenshot(path=str(ARTIFACTS / "library-420.png"))
    narrow.close()

    message, _, done = ask(page, WHO_CALLED)
    cited = [c for c in done["citations"] if c["source"] == FERRY["source"]]
    assert cited and cited[0]["published"] == FERRY["published"], done
    assert "Ferry Workers Union" in done["answer"]
    names = message.locator(".source-name").all_text_contents()
    assert " — Harbour Herald · 2 May 2024" in names
    # ask within one outlet: a chip shows it, the question carries the filter
    page.select_option("#within-source", FERRY["source"])
    chip = page.locator("#chips .chip")
    assert chip.is_visible() and FERRY["source"] in str(chip.text_content())
    _, sent, within = ask(page, "When did the Lakeside ferry crews stop work?")
    assert sent["filters"] == {"source": FERRY["source"]}
    assert within["citations"] and {c["source"] for c in within["citations"]} == {FERRY["source"]}
    chip.locator("button").click()
    assert page.locator("#chips").is_hidden() and page.locator("#within-source").input_value() == ""

    for title in (FERRY["title"], "Old bridge reopens"):
        page.fill("#library-search", title)
        page.locator(".doc").filter(has_text=title).locator("button.remove").click()
        page.click("button.danger")
        uploaded(page, f"Removed “{title}”")
    page.fill("#library-search", "")
    expect(page.locator("#library-count")).to_have_text(before)
    _, _, again = ask(page, WHO_CALLED)
    assert all(c["source"] != FERRY["source"] for c in again["citations"])
    assert dialogs == []
    page.close()


def _file(name: str, raw: bytes) -> Any:
    return {"name": name, "mimeType": "application/octet-stream", "buffer": raw}


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path) -> Iterator[Server]:
    """A server whose writes need ``KEY``."""
    workdir = tmp_path_factory.mktemp("keyed-server")
    store = copy_store(seeded_dir, workdir / "store")
    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("QA_API_KEY", KEY)
            started = stack.enter_context(running_server(uvicorn_command, store, workdir))
        yield started


def test_a_missing_or_wrong_key_and_a_bad_file_change_nothing(
    browser: Browser, keyed_server: Server, dialogs: list[str]
) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, keyed_server.url, dialogs)
    open_library(page)
    before = page.locator("#library-count").text_content()
    page.click("#add summary")
    note = _file("notes.txt", b"The ferry timetable changes on Monday.")
    page.set_input_files("#file-input", [note])
    assert "needs its API key" in uploaded(page, "notes.txt")
    assert "needs its API key" in str(page.locator("#key-message").text_content())
    page.fill("#api-key", "wrong-key")
    page.click("#key-form button")
    page.set_input_files("#file-input", [note])
    page.locator("#uploads li.refused").nth(1).wait_for()
    assert "refused that API key" in str(page.locator("#key-message").text_content())
    assert page.locator("#key-form").is_visible()
    page.fill("#api-key", KEY)
    page.click("#key-form button")
    page.set_input_files("#file-input", [_file("notes.pdf", b"%PDF-1.4")])
    assert "unsupported file type" in uploaded(page, "notes.pdf")
    expect(page.locator("#library-count")).to_have_text(str(before))
    # the key is kept for the tab, never in the URL or a cookie
    assert page.evaluate("sessionStorage.getItem('qa-api-key')") == KEY
    assert KEY not in page.url and page.context.cookies() == []
    assert dialogs == []
    page.close()


def test_the_library_pages_30000_articles_as_it_scrolls(
    browser: Browser, server: Server, dialogs: list[str]
) -> None:
    """The page's own paging: GET /documents answered by the test from 30,000 articles, by
    offset, limit and title search as the server reads them, and Chromium's performance
    timeline watched for long tasks while the list scrolls to its end."""
    from playwright.sync_api import expect

    documents = [
        {"id": f"d{i:05d}", "title": f"Article {i:05d} about the harbour", "source": "Wire",
         "published": "2024-01-01", "url": None, "language": "en", "chunks": 3,
         "near_duplicate_of": f"d{i - 1:05d}" if i % 10 == 0 and i else None,
         "near_duplicate_title": f"Article {i - 1:05d} about the harbour" if i % 10 == 0 and i
         else None}
        for i in range(30_000)
    ]  # fmt: skip
    asked: list[dict[str, str]] = []

    def pages(route: Route) -> None:
        query = dict(parse_qsl(urlsplit(route.request.url).query))
        asked.append(query)
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
        found = [d for d in documents if query.get("q", "").lower() in str(d["title"]).lower()]
        after = offset + limit if offset + limit < len(found) else None
        body = {"documents": found[offset : offset + limit], "total": len(found),
                "stored": len(documents), "offset": offset, "next_offset": after}  # fmt: skip
        route.fulfill(json=body)

    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.add_init_script(
        "window.__long = []; new PerformanceObserver((list) => { for (const e of "
        "list.getEntries()) window.__long.push(e.duration); }).observe({type: 'longtask', "
        "buffered: true});"
    )
    page.route(lambda url: urlsplit(url).path == "/documents", pages)
    page.goto(f"{server.url}/")
    open_library(page)
    expect(page.locator("#library-count")).to_have_text("30000 articles")
    tenth = page.locator(".doc").filter(has_text="Article 00010 about")
    assert "Wire · 1 January 2024" in str(tenth.text_content())
    assert "near-copy of Article 00009 about the harbour" in str(tenth.text_content())
    page.locator(".doc").first.hover()
    for _ in range(40):
        page.mouse.wheel(0, 2000)
        page.wait_for_timeout(20)
    page.locator("#library-list").evaluate("list => { list.scrollTop = list.scrollHeight; }")
    page.locator(".doc").filter(has_text="Article 29999").wait_for()
    assert page.locator(".doc").count() < 100  # only the rows in view exist
    assert {q["limit"] for q in asked} == {"100"} and len(asked) < 30  # the pages in view
    page.fill("#library-search", "ARTICLE 29998")
    expect(page.locator("#library-count")).to_have_text("1 of 30000 articles")
    assert page.locator(".doc").filter(has_text="Article 29998").count() == 1
    assert asked[-1]["q"] == "ARTICLE 29998" and asked[-1]["offset"] == "0"
    longest = max(page.evaluate("window.__long"), default=0.0)
    assert longest <= 200, f"a long task of {longest} ms"
    assert dialogs == []
    page.close()
