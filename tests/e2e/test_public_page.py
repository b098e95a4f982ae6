"""The public page in a real browser: local times by script, no CSP complaints, phone width, dark."""

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


def test_readers_elsewhere_see_their_own_time_beside_the_page_zone(browser, site):
    page, problems = open_page(browser, site, timezone_id="America/New_York")
    page.wait_for_selector(".localtime")
    text = page.locator(".localtime").first.inner_text()
    assert "your time" in text and ("EST" in text or "EDT" in text or "GMT-" in text)
    assert page.locator("time").count() == page.locator(".localtime").count()
    assert problems == []


def test_readers_in_the_page_zone_see_one_time_only(browser, site):
    page, problems = open_page(browser, site, timezone_id="UTC")
    assert page.locator("time").count() > 0
    assert page.locator(".localtime").count() == 0
    assert problems == []


def test_the_page_fits_a_360_pixel_phone(browser, site):
    page, _ = open_page(browser, site, viewport={"width": 360, "height": 780})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator(".bar:visible").count() == 30 * 3  # 30 days per component on a phone


def test_dark_readers_get_the_dark_theme(browser, site):
    page, _ = open_page(browser, site, color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
