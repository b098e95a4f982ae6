"""The subscribe page in a real browser (issue 15): each component's checkbox sits on its label's
line, left of it, at a desktop's and a phone's width (and on the console's subscriber form); a
reader subscribes with two components.
Screenshots at 1280 and 390 px, light and dark, land in tests/artifacts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import Role, Subscriber
from statuspage.views.forms import CHAT_CHOICES
from tests.browser import sign_in
from tests.factories import PASSWORD, make_user
from tests.processes import start_web
from tests.public_world import build_world

pytestmark = pytest.mark.slow
WIDTHS = (1280, 390)

# Each checkbox (or radio button) with its label's box: same line (their middles within a few
# pixels), box first.
BOXES = """() => [...document.querySelectorAll('.choice')].map(item => {
  const box = item.querySelector('input').getBoundingClientRect();
  const label = item.querySelector('label').getBoundingClientRect();
  return {name: item.textContent.trim(), box: [box.left, box.right, box.top, box.bottom],
          label: [label.left, label.right, label.top, label.bottom]};
})"""


@pytest.fixture
def server(app, database_url, now):
    with app.app_context():
        world = build_world(now=now)
        make_user(Role.ADMIN, email="ada@example.com", name="Ada", password=PASSWORD)
        db.session.commit()
    process = start_web(database_url, workers=1)
    yield process, world
    process.stop()


def misplaced(boxes: list[dict]) -> list[str]:
    """The components whose checkbox is not on its label's line, just left of it."""
    wrong = []
    for item in boxes:
        left, right, top, bottom = item["box"]
        label_left, _, label_top, label_bottom = item["label"]
        same_line = abs((top + bottom) / 2 - (label_top + label_bottom) / 2) <= 6
        just_left = right <= label_left <= right + 24
        if not (same_line and just_left and right - left > 0):
            wrong.append(f"{item['name']}: box {item['box']} label {item['label']}")
    return wrong


def test_the_subscribe_page_lays_out_its_checkboxes_and_subscribes(app, browser, server, artifacts):
    from playwright.sync_api import expect

    process, world = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(process.url + "/subscribe")
    expect(page.get_by_role("heading", name="Subscribe to updates")).to_be_visible()
    assert page.get_by_role("link", name="Sign in").count() == 0
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        boxes = page.evaluate(BOXES)
        # The components' checkboxes, and the chat section's Slack and Teams radio buttons.
        assert len(boxes) == len(world.public_components) + len(CHAT_CHOICES)
        assert misplaced(boxes) == [], f"at {width} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=artifacts / f"subscribe-{width}-{scheme}.png", full_page=True)
    page.emulate_media(color_scheme="light")

    group = page.get_by_role("group", name="Only these components")
    first, second = group.get_by_role("checkbox").all()[:2]
    chosen = [first.get_attribute("value"), second.get_attribute("value")]
    first.check()
    # A label is the checkbox's: clicking the words ticks the box.
    page.locator(f"label[for='{second.get_attribute('id')}']").click()
    expect(second).to_be_checked()
    page.get_by_label("Email address").fill("reader@example.com")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    assert problems == []
    with app.app_context():
        subscriber = db.session.scalar(
            sa.select(Subscriber).filter_by(address="reader@example.com")
        )
        assert sorted(str(c.id) for c in subscriber.components) == sorted(chosen)
    context.close()
    # The console's subscriber form draws its components the same way (one server, one browser).
    console_form_is_laid_out(browser, process, artifacts)


def console_form_is_laid_out(browser, process, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = sign_in(context, process.url, "ada@example.com")
    page.goto(process.url + "/admin/subscribers/new")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        boxes = page.evaluate(BOXES)
        assert boxes and misplaced(boxes) == [], f"at {width} px"
    page.screenshot(path=artifacts / "console-new-subscriber-390.png", full_page=True)
    context.close()
