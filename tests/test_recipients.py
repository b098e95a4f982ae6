"""Write once, lose nothing: the writer sees who receives each audience's update; staff subscribe
themselves to internal audiences from their profile; one reader's unsubscribe click does not
switch off a list address an admin added."""

from __future__ import annotations

import re

import pytest

from statuspage.extensions import db
from statuspage.models import Role, Severity, SubscriberKind
from tests.console import act_as
from tests.factories import audience, make_component, make_incident, make_subscriber, make_user

NOBODY_INTERNAL = "Nobody receives this by email or webhook: it shows on the internal page only."
NOBODY_PUBLIC = "Nobody receives this by email or webhook: it shows on the public page only."


@pytest.fixture
def writing(app, client):
    """A SEV3 incident and a commander, signed in, who writes to every audience."""
    with app.app_context():
        commander = make_user(Role.COMMANDER)
        incident = make_incident(severity=Severity.SEV3)
        db.session.commit()
        incident_id, commander_id = incident.id, commander.id
    act_as(client, commander_id)
    return incident_id


def recipients_line(app, page: str, slug: str) -> str:
    with app.app_context():
        key = f"audience-{audience(slug).id}"
    [line] = re.findall(rf'data-recipients="{key}">(.*?)</p>', page, re.DOTALL)
    return line


def test_compose_shows_each_audience_s_receiving_subscribers_by_channel(app, client, writing):
    with app.app_context():
        search = make_component("Search")
        make_subscriber("exec-list@example.com", "executives")
        make_subscriber("ceo@example.com", "executives", components=[search])
        make_subscriber("http://127.0.0.1:9/hook", "executives", kind=SubscriberKind.WEBHOOK)
        make_subscriber("ann@example.com", "customers")
        off = make_subscriber("old-list@example.com", "executives")
        off.is_active = False
        db.session.commit()
    page = client.get(f"/admin/incidents/{writing}/compose").get_data(as_text=True)
    executives = recipients_line(app, page, "executives")
    assert "2 email addresses (1 only if it touches components they chose)" in executives
    assert "1 webhook" in executives and NOBODY_INTERNAL not in executives
    assert "1 email address and 0 webhooks; it also shows on the public page" in (
        recipients_line(app, page, "customers")
    )


def test_compose_warns_when_an_audience_has_nobody_to_receive_it(app, client, writing):
    page = client.get(f"/admin/incidents/{writing}/compose").get_data(as_text=True)
    for slug in ("staff", "executives", "support", "sales", "legal"):
        assert recipients_line(app, page, slug) == NOBODY_INTERNAL
    assert recipients_line(app, page, "customers") == NOBODY_PUBLIC
