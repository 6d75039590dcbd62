"""The chat page in a real browser (Playwright driving Debian's Chromium) against the real
server: an answer, its citation panel and a follow-up; article HTML shown as text; a
phone-sized viewport; the API docs with the network cut off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.helpers import PROPAGANDA, Server
from tests.web.page import ARTIFACTS, HOSTILE, IMG, SCRIPT, ask, open_citation, open_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser


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
