"""What the page's tests share: the browser's settings, the articles the server is given,
and the steps a person takes on the page (open it, ask, open a citation, open the
library, upload)."""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from tests.helpers import ROOT, sse_json

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

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


def open_citation(page: Page, message: Any, citation: dict[str, Any]) -> str:
    """Click the citation's marker; the highlighted text in the source panel."""
    message.locator(f'button.cite[data-n="{citation["n"]}"]').first.click()
    mark = page.locator("#panel-text mark")
    mark.wait_for()
    return str(mark.text_content())


KEY = "right-key"


def open_library(page: Page) -> None:
    page.click("#library-toggle")
    page.locator("#library-count").filter(has_text="article").wait_for()


def uploaded(page: Page, text: str) -> str:
    """The upload line that mentions ``text``, once it is no longer busy."""
    line = page.locator("#uploads li:not(.busy)").filter(has_text=text).first
    line.wait_for()
    return str(line.text_content())


def _file(name: str, raw: bytes) -> Any:
    return {"name": name, "mimeType": "application/octet-stream", "buffer": raw}
