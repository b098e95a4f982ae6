"""The German public page in a real browser: what its scripts add (the reader's own time, "ago",
the freshness line, the copy button) speaks German too, from the page's words and the browser's."""

import re

import pytest
from playwright.sync_api import expect

from tests.processes import start_web
from tests.public_world import build_world

pytestmark = pytest.mark.slow


# `browser` is the session's chromium (tests/e2e/conftest.py).
@pytest.fixture
def site(app, database_url, now):
    with app.app_context():
        world = build_world(now=now)
    return start_web(database_url, workers=1, LANGUAGE="de"), world


def test_the_scripts_speak_german(browser, site):
    web, world = site
    page = browser.new_page(timezone_id="America/New_York", locale="de-DE")
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(web.url + "/")
    page.wait_for_selector("main time.has-local")
    assert page.locator("main time.has-local").first.get_attribute("title").endswith(", Ihre Zeit")
    ago = page.locator("main .ago:visible time").all_inner_texts()
    assert ago and all(re.search(r"vor |in |jetzt|gestern|morgen", text) for text in ago), ago
    assert not any("ago" in text for text in ago)
    page.goto(f"{web.url}/incidents/{world.open_incident}")
    page.get_by_role("button", name="Link kopieren").click()
    expect(page.locator(".permalink__done")).to_have_text(re.compile(r"Link kopiert\.|Strg\+C"))
    assert problems == []
