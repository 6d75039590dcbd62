"""Answers on the page in a real browser: a sentence answer, a declined question's closest
passages, what each outlet says side by side, and a generated answer's unsupported
sentences marked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qa.api import create_app
from qa.encoders.embeddings import Embedder
from qa.service import build_service
from qa.settings import Settings
from tests.fakes import HOOK, citing, fake
from tests.helpers import MOON, PROPAGANDA, SENTENCE_ANSWER, Server
from tests.servers import serve_app
from tests.web.page import ARTIFACTS, ask, open_citation, open_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser


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
