"""Destructive actions ask first, also without JavaScript: the first post answers a page saying
what will happen, whose button posts the same form again, confirmed; nothing changes before.
The status picker starts at the incident's own status."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import Incident, IncidentStatus, Role, RosterRole, Severity, Update
from tests.console import act_as
from tests.factories import make_draft, make_incident, make_user
from tests.formparse import read_page


@pytest.fixture
def incident(app, client):
    with app.app_context():
        cora = make_user(Role.COMMANDER, name="Cora")
        incident = make_incident(
            severity=Severity.SEV2, roster=[(RosterRole.COMMANDER, cora)], title="Search down"
        )
        make_draft(incident, "customers", by=cora)
        db.session.commit()
        ids = {"incident": incident.id, "cora": cora.id}
        ids["commander"] = incident.roster[0].id
        ids["draft"] = db.session.scalars(sa.select(Update.id)).one()
    act_as(client, ids["cora"])
    return ids


def page_form(client, path, action_end):
    html = client.get(path).get_data(as_text=True)
    forms, _ = read_page(path, html)
    return next(dict(f.fields) for f in forms if f.action.endswith(action_end))


def confirm(client, answer):
    """Press the confirmation page's button: its form, as a browser sends it."""
    forms, _ = read_page("/", answer.get_data(as_text=True))
    [form] = [f for f in forms if ("confirmed", "yes") in f.fields]
    return client.post(form.action, data=dict(form.fields))


def status_of(app, ids):
    with app.app_context():
        return db.session.get(Incident, ids["incident"]).status


def test_resolving_asks_first_and_changes_nothing_until_confirmed(app, client, incident):
    path = f"/admin/incidents/{incident['incident']}"
    fields = page_form(client, path, "/status") | {"status": "resolved"}
    asked = client.post(f"{path}/status", data=fields)
    assert asked.status_code == 200 and "Resolved now?" in asked.text
    assert status_of(app, incident) is IncidentStatus.INVESTIGATING
    assert confirm(client, asked).status_code == 302
    assert status_of(app, incident) is IncidentStatus.RESOLVED


def test_removing_the_commander_warns_that_the_incident_has_none(app, client, incident):
    path = f"/admin/incidents/{incident['incident']}"
    remove = f"{path}/roster/{incident['commander']}/remove"
    fields = page_form(client, path, "/remove")
    asked = client.post(remove, data=fields)
    assert asked.status_code == 200 and "will have no commander" in asked.text
    with app.app_context():
        assert len(db.session.get(Incident, incident["incident"]).roster) == 1
    assert confirm(client, asked).status_code == 302
    with app.app_context():
        assert db.session.get(Incident, incident["incident"]).roster == []


def test_discarding_a_draft_asks_first(app, client, incident):
    path = f"/admin/updates/{incident['draft']}"
    fields = page_form(client, path, path) | {"action": "discard"}
    asked = client.post(path, data=fields)
    assert asked.status_code == 200 and "Discard the Customers draft?" in asked.text
    with app.app_context():
        assert db.session.get(Update, incident["draft"]) is not None
    assert confirm(client, asked).status_code == 302
    with app.app_context():
        assert db.session.get(Update, incident["draft"]) is None


def test_the_status_picker_starts_at_the_incidents_own_status(app, client, incident):
    with app.app_context():
        db.session.get(Incident, incident["incident"]).status = IncidentStatus.MONITORING
        db.session.commit()
    html = client.get(f"/admin/incidents/{incident['incident']}").text
    chosen = re.search(
        r'<option selected value="([a-z_]+)"|<option value="([a-z_]+)" selected', html
    )
    assert "monitoring" in chosen.groups()
