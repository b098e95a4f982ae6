"""The public page in a real browser: local times by script, no CSP complaints, phone width, dark."""

import re

import pytest

from tests.processes import start_web
from tests.public_world import build_world

pytestmark = pytest.mark.slow


# `browser` is the session's chromium (tests/e2e/conftest.py).
@pytest.fixture
def site(app, database_url, now):
    with app.app_context():
        build_world(now=now)
    return start_web(database_url, workers=1)


def open_page(browser, site, **options):
    page = browser.new_page(**options)
    problems = []
    page.on("console", lambda message: problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(site.url + "/")
    page.wait_for_load_state("load")
    return page, problems


def test_readers_elsewhere_see_their_own_time_on_hover_and_tap(browser, site):
    page, problems = open_page(browser, site, timezone_id="America/New_York")
    page.wait_for_selector("main time.has-local")
    first = page.locator("main time.has-local").first
    shown = first.inner_text()
    title = first.get_attribute("title")
    assert title.endswith(", your time") and ("EST" in title or "EDT" in title or "GMT-" in title)
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, (\d{4}, )?\d{2}:\d{2} UTC", shown)
    first.click()
    assert first.inner_text() == title.removesuffix(", your time")
    assert page.locator(".localtime").count() == 0  # never printed twice
    assert problems == []


def test_readers_in_the_page_zone_see_one_time_only(browser, site):
    page, problems = open_page(browser, site, timezone_id="UTC")
    page.wait_for_selector("main .ago")
    assert page.locator("main time.has-local").count() == 0
    assert problems == []


def test_times_past_say_how_long_ago(browser, site):
    page, _ = open_page(browser, site, timezone_id="UTC")
    page.wait_for_selector("main .ago time")
    texts = page.locator("main .ago:visible time").all_inner_texts()
    assert texts and all(re.fullmatch(r"just now|in .+|\d+ (min|h|days) ago", t) for t in texts)


def test_the_page_fits_a_360_pixel_phone(browser, site):
    page, _ = open_page(browser, site, viewport={"width": 360, "height": 780})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator(".bar:visible").count() == 30 * 3  # 30 days per component on a phone


def test_dark_readers_get_the_dark_theme(browser, site):
    page, _ = open_page(browser, site, color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
