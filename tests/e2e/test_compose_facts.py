"""Write once, lose nothing, in a real browser: facts typed and then Publish pressed (nothing
else) reach every ticked audience's published text, with JavaScript and without it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import Role, Severity, Update, UpdateState
from tests.browser import sign_in
from tests.factories import PASSWORD, make_incident, make_user
from tests.processes import start_web

pytestmark = pytest.mark.slow
FACTS = "Card payments fail for about 30% of attempts; the payment provider is rolling back."


@pytest.fixture
def server(app, database_url):
    with app.app_context():
        make_user(Role.COMMANDER, email="cora@example.com", name="Cora", password=PASSWORD)
        incident = make_incident(severity=Severity.SEV3, title="Card payments failing")
        db.session.commit()
        incident_id = incident.id
    process = start_web(database_url)
    yield process, incident_id
    process.stop()


def published_bodies(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(sa.select(Update.body).where(Update.state == UpdateState.PUBLISHED))
        )


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_facts_typed_then_publish_reach_every_ticked_audience(
    app, browser, server, artifacts, javascript
):
    from playwright.sync_api import expect

    process, incident_id = server
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=javascript
    )
    page = sign_in(context, process.url, "cora@example.com")
    page.goto(f"{process.url}/admin/incidents/{incident_id}/compose")
    ticked = page.locator("article.audience input[type=checkbox]:checked").count()
    page.get_by_label(re.compile("The facts, written once")).fill(FACTS)
    page.get_by_role("button", name="Publish to the ticked audiences").click()
    expect(page.get_by_text(re.compile("Published to"))).to_be_visible()
    page.screenshot(path=str(artifacts / f"compose-published-{javascript}.png"), full_page=True)
    bodies = published_bodies(app)
    assert ticked > 1 and len(bodies) == ticked
    assert all(FACTS in body for body in bodies), bodies
    context.close()
