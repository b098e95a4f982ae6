"""The branded public site in a real browser (issue 15): logo, accents and footer links on the
status page, an incident, the history and the subscribe page at 1280 and 390 px, light and dark
(screenshots in tests/artifacts); a day of the bars opened by a tap on a phone; an incident's link
copied; the status page reloading itself when news is published while an incident is open."""

from __future__ import annotations

import time

import pytest

from statuspage.extensions import db
from statuspage.models import Incident, Role, User
from statuspage.services.branding import settings as branding
from tests.brand_files import BRAND
from tests.factories import make_published, make_user
from tests.processes import start_web
from tests.public_world import build_world

pytestmark = pytest.mark.slow
WIDTHS = (1280, 390)
# BRAND's accents as computed styles say them.
ACCENTS = {"light": "rgb(10, 92, 54)", "dark": "rgb(141, 219, 140)"}


@pytest.fixture
def server(app, database_url, now):
    with app.app_context():
        world = build_world(now=now)
        admin = make_user(Role.ADMIN, name="Ada")
        branding.save_branding(BRAND, by=admin, now=now)
        db.session.commit()
    process = start_web(database_url, workers=1)
    yield process, world
    process.stop()


def watched(page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text))
    return problems


def test_the_branded_pages_at_two_widths_light_and_dark(browser, server, artifacts):
    process, world = server
    pages = {
        "status": "/",
        "incident": f"/incidents/{world.open_incident}",
        "history": "/history",
        "subscribe": "/subscribe",
    }
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = watched(page)
    for name, path in pages.items():
        page.goto(process.url + path)
        assert page.title().endswith("Acme Cloud status")
        assert page.evaluate("document.querySelector('.site-logo').naturalWidth") > 0
        assert page.get_by_role("link", name="Privacy policy").get_attribute("href") == (
            "https://acme.example/privacy"
        )
        assert page.get_by_text("Powered by statuspage").count() == 1
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                link = page.get_by_role("link", name="Support")
                assert link.evaluate("a => getComputedStyle(a).color") == ACCENTS[scheme]
                page.screenshot(
                    path=artifacts / f"branded-{name}-{width}-{scheme}.png", full_page=True
                )
        page.emulate_media(color_scheme="light")
        page.set_viewport_size({"width": 1280, "height": 900})
    assert problems == []
    context.close()


def test_a_tap_opens_a_day_of_the_bars_with_its_incidents(browser, server):
    from playwright.sync_api import expect

    process, world = server
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    page.goto(process.url + "/")
    day = page.locator("details.day-bar", has_text="Dashboard slow").first
    day.locator("summary").tap()
    expect(day.get_by_role("link", name="Dashboard slow")).to_be_visible()
    day.get_by_role("link", name="Dashboard slow").tap()
    page.wait_for_url(f"**/incidents/{world.resolved_incident}")
    context.close()


def test_an_incidents_link_is_copied_with_one_press(browser, server):
    from playwright.sync_api import expect

    process, world = server
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=process.url)
    page = context.new_page()
    page.goto(f"{process.url}/incidents/{world.open_incident}")
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status")).to_have_text("Link copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.get_by_label("Link to this incident").input_value()
    assert copied.endswith(f"/incidents/{world.open_incident}")
    context.close()


def test_the_status_page_reloads_itself_when_news_is_published(app, browser, server):
    from playwright.sync_api import expect

    process, world = server
    page = browser.new_page()
    page.goto(process.url + "/")
    expect(page.locator("#freshness")).to_contain_text("Checked for news at")
    with app.app_context():
        incident = db.session.get(Incident, world.open_incident)
        author = db.session.query(User).filter_by(name="Ada").one()
        make_published(incident, body="A fix is rolling out.", by=author)
        db.session.commit()
    deadline = time.monotonic() + 20
    # The script looks every 30 s and when the tab comes back into view: bring it back.
    while page.get_by_text("A fix is rolling out.").count() == 0 and time.monotonic() < deadline:
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        time.sleep(0.5)
    assert page.get_by_text("A fix is rolling out.").count() == 1
    page.close()
