"""A postmortem in a real browser: a commander writes it on the console, an admin publishes it,
and it is on the public incident page, in the v2 JSON and in the history feed. Screenshots of the
postmortem page at 1280 and 390 px wide land in tests/artifacts."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import IncidentStatus, Role
from tests.browser import sign_in
from tests.factories import PASSWORD, make_incident, make_published, make_user
from tests.processes import start_web

pytestmark = pytest.mark.slow
WRITTEN = "A bad deploy of the card service broke checkout; canary deploys from now on."


@pytest.fixture
def server(app, database_url):
    with app.app_context():
        make_user(Role.COMMANDER, email="cora@example.com", name="Cora", password=PASSWORD)
        make_user(Role.ADMIN, email="ada@example.com", name="Ada", password=PASSWORD)
        declared = utcnow() - timedelta(hours=2)
        incident = make_incident(title="Checkout failing", now=declared)
        make_published(incident, body="We are on it.", now=declared + timedelta(minutes=5))
        make_published(
            incident,
            body="Fixed.",
            now=declared + timedelta(hours=1),
            status=IncidentStatus.RESOLVED,
        )
        db.session.commit()
        incident_id = incident.id
    process = start_web(database_url)
    yield process, incident_id
    process.stop()


def test_a_postmortem_written_then_published_reaches_page_json_and_feed(browser, server, artifacts):
    from playwright.sync_api import expect

    process, incident_id = server
    base, path = process.url, f"/admin/incidents/{incident_id}/postmortem"
    cora = sign_in(
        browser.new_context(viewport={"width": 1280, "height": 900}), base, "cora@example.com"
    )
    cora.goto(base + path)
    cora.locator("textarea").first.fill(f"## Summary\n\n{WRITTEN}")
    cora.get_by_role("button", name="Save postmortem").click()
    expect(cora.locator("textarea").first).to_have_value(re.compile(re.escape(WRITTEN)))

    ada = sign_in(
        browser.new_context(viewport={"width": 1280, "height": 900}), base, "ada@example.com"
    )
    ada.goto(base + path)
    ada.get_by_role("button", name="Publish on the public page").click()
    expect(ada.get_by_role("button", name="Unpublish")).to_be_visible()
    for width, viewport in {"wide": (1280, 900), "phone": (390, 844)}.items():
        ada.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        ada.screenshot(path=str(artifacts / f"postmortem-{width}.png"), full_page=True)

    public = browser.new_context().new_page()
    deadline = time.monotonic() + 20  # the page follows a publication within its version check
    while True:
        public.goto(f"{base}/incidents/{incident_id}")
        if WRITTEN in public.content() or time.monotonic() > deadline:
            break
        public.wait_for_timeout(200)
    expect(public.locator("main")).to_contain_text(WRITTEN)
    incidents = json.loads(public.request.get(base + "/api/v2/incidents.json").text())["incidents"]
    [ours] = [i for i in incidents if i["name"] == "Checkout failing"]
    assert WRITTEN in ours["postmortem_body"] and ours["postmortem_published_at"]
    assert WRITTEN in public.request.get(base + "/history.atom").text()
