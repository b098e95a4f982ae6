"""A maintenance window's lifecycle in a real browser: a commander reschedules it on the console
(24-hour times on the page zone's clock), then cancels it (asked first, without JavaScript); after
each step the public window page says so, and it is screenshotted at 1280 and 390 px wide, light
and dark, into tests/artifacts."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from statuspage.core.clock import utcnow
from statuspage.core.site import Site
from statuspage.core.times import wall_clock_input
from statuspage.extensions import db
from statuspage.models import Role
from statuspage.services.incidents.maintenance import plan_maintenance
from tests.browser import sign_in
from tests.factories import PASSWORD, audience, make_component, make_user
from tests.helpers import page_zone
from tests.processes import start_web

pytestmark = pytest.mark.slow
ZONE = page_zone()


@pytest.fixture
def server(app, database_url):
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=2)
    with app.app_context():
        cora = make_user(Role.COMMANDER, email="cora@example.com", name="Cora", password=PASSWORD)
        window = plan_maintenance(
            title="Search cluster upgrade",
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=2),
            components=[make_component("Search")],
            messages={audience("customers"): ""},
            site=Site.from_config(app.config),
            by=cora,
            now=utcnow(),
        )
        db.session.commit()
        window_id = window.id
    process = start_web(database_url)
    yield process, window_id, start
    process.stop()


def shoot(browser, url, artifacts, step, expected):
    """The public window page once it says `expected`, at both widths in both schemes."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    deadline = time.monotonic() + 20  # the page follows a publication within its version check
    while True:
        page.goto(url)
        if expected in page.content() or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    from playwright.sync_api import expect

    expect(page.locator("main")).to_contain_text(expected)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, size in {"wide": (1280, 900), "phone": (390, 844)}.items():
            page.set_viewport_size({"width": size[0], "height": size[1]})
            name = f"maintenance-{step}-{width}-{scheme}.png"
            page.screenshot(path=str(artifacts / name), full_page=True)
    page.context.close()


def test_a_window_rescheduled_then_cancelled_in_the_console_shows_on_the_public_page(
    browser, server, artifacts
):
    from playwright.sync_api import expect

    process, window_id, start = server
    base, public = process.url, f"{process.url}/incidents/{window_id}"
    cora = sign_in(
        browser.new_context(viewport={"width": 1280, "height": 900}), base, "cora@example.com"
    )
    cora.goto(f"{base}/admin/incidents/{window_id}")
    cora.get_by_role("link", name="Edit, reschedule or cancel").click()
    expect(cora.locator("#scheduled_for-hint")).to_contain_text(
        f"24-hour, YYYY-MM-DD HH:MM, in {ZONE}"
    )
    moved = start + timedelta(days=2)
    cora.get_by_label("Starts").fill(wall_clock_input(moved, ZONE))
    cora.get_by_label("Ends").fill(wall_clock_input(moved + timedelta(hours=2), ZONE))
    cora.get_by_label("Note to the audiences (optional)").fill("The vendor asked for a later date.")
    cora.get_by_role("button", name="Save; tell the audiences if it moved").click()
    expect(cora.locator("body")).to_contain_text("Rescheduled; the audiences were told.")
    shoot(browser, public, artifacts, "rescheduled", "Rescheduled: moved from")

    cora.goto(f"{base}/admin/maintenance/{window_id}/edit")
    cora.get_by_label("Note with the cancellation (optional)").fill("No longer needed.")
    cora.get_by_role("button", name="Cancel the window").click()
    expect(cora.get_by_role("heading", name="Cancel “Search cluster upgrade”?")).to_be_visible()
    cora.get_by_role("button", name="Yes, cancel the window").click()
    expect(cora.locator("body")).to_contain_text("Cancelled; the audiences were told.")
    shoot(browser, public, artifacts, "cancelled", "will not take place")
    upcoming = cora.request.get(base + "/api/v2/scheduled-maintenances/upcoming.json").json()
    assert upcoming["scheduled_maintenances"] == []
    calendar = cora.request.get(base + "/maintenance.ics").text()
    assert "STATUS:CANCELLED" in calendar
