"""The library in a real browser: add, ask and remove; a missing key or a bad file changes
nothing; 30,000 articles paged as the list scrolls."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from tests.helpers import Server
from tests.web.page import ARTIFACTS, KEY, _file, ask, open_library, open_page, uploaded

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

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


def add_two(page: Page) -> None:
    """Paste one article, upload another as a file; the list then finds the second."""
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


def screenshots(browser: Browser, server: Server, page: Page, dialogs: list[str]) -> None:
    """The library at a desktop's width and at a phone's, for ``docs/``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.fill("#library-search", "")
    page.click("#add summary")  # folded, to show the list
    page.screenshot(path=str(ARTIFACTS / "library-1280.png"))
    narrow = open_page(browser, server.url, dialogs, viewport={"width": 420, "height": 860})
    open_library(narrow)
    narrow.screenshot(path=str(ARTIFACTS / "library-420.png"))
    narrow.close()


def remove(page: Page, title: str) -> None:
    page.fill("#library-search", title)
    page.locator(".doc").filter(has_text=title).locator("button.remove").click()
    page.click("button.danger")
    uploaded(page, f"Removed “{title}”")


def test_add_ask_and_remove_from_the_library(
    browser: Browser, server: Server, dialogs: list[str]
) -> None:
    from playwright.sync_api import expect

    page = open_page(browser, server.url, dialogs, viewport={"width": 1280, "height": 860})
    open_library(page)
    before = str(page.locator("#library-count").text_content())
    add_two(page)
    screenshots(browser, server, page, dialogs)

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
        remove(page, title)
    page.fill("#library-search", "")
    expect(page.locator("#library-count")).to_have_text(before)
    _, _, again = ask(page, WHO_CALLED)
    assert all(c["source"] != FERRY["source"] for c in again["citations"])
    assert dialogs == []
    page.close()


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


def library_of(n: int, asked: list[dict[str, str]]) -> Callable[[Route], None]:
    """A route that answers GET /documents from ``n`` articles as the server reads them (by
    offset, limit and title search), noting each request's query in ``asked``."""
    documents = [
        {"id": f"d{i:05d}", "title": f"Article {i:05d} about the harbour", "source": "Wire",
         "published": "2024-01-01", "url": None, "language": "en", "chunks": 3,
         "near_duplicate_of": f"d{i - 1:05d}" if i % 10 == 0 and i else None,
         "near_duplicate_title": f"Article {i - 1:05d} about the harbour" if i % 10 == 0 and i
         else None}
        for i in range(n)
    ]  # fmt: skip

    def pages(route: Route) -> None:
        query = dict(parse_qsl(urlsplit(route.request.url).query))
        asked.append(query)
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
        found = [d for d in documents if query.get("q", "").lower() in str(d["title"]).lower()]
        after = offset + limit if offset + limit < len(found) else None
        body = {"documents": found[offset : offset + limit], "total": len(found),
                "stored": len(documents), "offset": offset, "next_offset": after}  # fmt: skip
        route.fulfill(json=body)

    return pages


def test_the_library_pages_30000_articles_as_it_scrolls(
    browser: Browser, server: Server, dialogs: list[str]
) -> None:
    """The page's own paging: GET /documents answered by the test from 30,000 articles, by
    offset, limit and title search as the server reads them, and Chromium's performance
    timeline watched for long tasks while the list scrolls to its end."""
    from playwright.sync_api import expect

    asked: list[dict[str, str]] = []
    pages = library_of(30_000, asked)

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
