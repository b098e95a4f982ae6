"""Running an incident from the console: declare, status, components, roster, resolve, reopen,
notes, maintenance, the dashboard and the postmortem, each change on the timeline with its actor."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import (
    AuditEntry,
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    Role,
    RosterRole,
    TimelineEvent,
    Update,
    UpdateState,
)
from statuspage.services.incidents.impacts import effective_statuses
from tests.console import act_as, csrf_token
from tests.factories import audience, make_component, make_incident, make_published, make_user
from tests.helpers import form_time


@pytest.fixture
def team(app):
    with app.app_context():
        people = {
            "cora": make_user(Role.COMMANDER, name="Cora"),
            "lia": make_user(Role.LIAISON, name="Lia"),
            "vic": make_user(Role.VIEWER, name="Vic"),
        }
        make_component("API")
        make_component("Dashboard")
        audience("customers")  # the built-in audiences, templates and policies
        db.session.commit()
        return {name: user.id for name, user in people.items()}


def component_id(app, name):
    with app.app_context():
        return db.session.scalar(sa.select(Component.id).where(Component.name == name))


def incident_form(client, incident_id, page=""):
    html = client.get(f"/admin/incidents/{incident_id}{page}").get_data(as_text=True)
    return {
        "csrf_token": csrf_token(client),
        "version": re.search(r'name="version"[^>]*value="(\d+)"', html).group(1),
        "loaded_at": re.search(r'name="loaded_at"[^>]*value="([^"]+)"', html).group(1),
    }


def story(app, incident_id):
    with app.app_context():
        return [
            (event.actor.name if event.actor else None, event.message)
            for event in db.session.scalars(
                sa.select(TimelineEvent)
                .where(TimelineEvent.incident_id == incident_id)
                .order_by(TimelineEvent.id)
            )
        ]


def declare(app, client, team):
    api = component_id(app, "API")
    return client.post(
        "/admin/incidents/new",
        data={
            "csrf_token": csrf_token(client),
            "title": "Checkout failing",
            "severity": "SEV2",
            f"component-{api}": "major_outage",
            "roster-commander": str(team["cora"]),
            "roster-customer_liaison": str(team["lia"]),
            "roster-scribe": str(team["vic"]),
        },
    )


def test_declaring_opens_the_incident_and_goes_to_compose(app, client, team):
    act_as(client, team["cora"])
    response = declare(app, client, team)
    assert response.status_code == 302 and response.headers["Location"].endswith("/compose")
    with app.app_context():
        incident = db.session.scalars(sa.select(Incident)).one()
        assert (
            incident.title == "Checkout failing" and incident.status is IncidentStatus.INVESTIGATING
        )
        assert {(a.role, a.user.name) for a in incident.roster} == {
            (RosterRole.COMMANDER, "Cora"),
            (RosterRole.CUSTOMER_LIAISON, "Lia"),
            (RosterRole.SCRIBE, "Vic"),
        }
        api = component_id(app, "API")
        # Staff see the impact at once; the public with the first update to it.
        assert effective_statuses([api], public=False)[api] is ComponentStatus.MAJOR_OUTAGE
        assert effective_statuses([api], public=True)[api] is ComponentStatus.OPERATIONAL
        incident_id = incident.id
    events = story(app, incident_id)
    assert ("Cora", "Cora declared the incident (SEV2, Investigating).") in events
    assert ("Cora", "Cora made Lia customer liaison.") in events
    assert ("Cora", "Cora set API to major outage.") in events


def test_a_declaration_without_a_title_is_refused_and_nothing_is_written(app, client, team):
    act_as(client, team["cora"])
    response = client.post(
        "/admin/incidents/new", data={"csrf_token": csrf_token(client), "severity": "SEV2"}
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Incident.id))) == 0


def test_resolve_and_reopen_land_on_the_timeline(app, client, team):
    act_as(client, team["cora"])
    declare(app, client, team)
    path = "/admin/incidents/1"
    assert (
        client.post(
            f"{path}/status",
            data={**incident_form(client, 1), "status": "resolved", "confirmed": "yes"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{path}/status", data={**incident_form(client, 1), "status": "identified"}
        ).status_code
        == 302
    )
    events = story(app, 1)
    assert ("Cora", "Cora marked it resolved.") in events
    assert ("Cora", "Cora reopened it (Identified).") in events


def test_components_roster_and_details_change_with_the_actor(app, client, team):
    act_as(client, team["cora"])
    declare(app, client, team)
    path = "/admin/incidents/1"
    dashboard = component_id(app, "Dashboard")
    client.post(
        f"{path}/components",
        data={**incident_form(client, 1), f"component-{dashboard}": "degraded_performance"},
    )
    client.post(
        f"{path}/roster",
        data={**incident_form(client, 1), "role": "deputy", "user_id": str(team["lia"])},
    )
    client.post(
        f"{path}/details",
        data={**incident_form(client, 1), "title": "Checkout down", "severity": "SEV1"},
    )
    events = story(app, 1)
    assert ("Cora", "Cora set Dashboard to degraded performance.") in events
    assert ("Cora", "Cora made Lia deputy.") in events
    assert ("Cora", "Cora changed the severity from SEV2 to SEV1.") in events
    assert ("Cora", "Cora renamed it to “Checkout down”.") in events
    with app.app_context():
        actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {
        "incident.declare",
        "incident.components",
        "incident.roster.assign",
        "incident.edit",
    } <= actions


def test_the_scribe_adds_notes_and_a_viewer_off_the_roster_cannot(app, client, team):
    act_as(client, team["cora"])
    declare(app, client, team)
    act_as(client, team["vic"])  # the scribe
    note = client.post(
        "/admin/incidents/1/notes",
        data={"csrf_token": csrf_token(client), "text": "Paged the DB team"},
    )
    assert note.status_code == 302
    assert ("Vic", "Paged the DB team") in story(app, 1)
    with app.app_context():
        outsider = make_user(Role.VIEWER).id
        db.session.commit()
    act_as(client, outsider)
    refused = client.post(
        "/admin/incidents/1/notes", data={"csrf_token": csrf_token(client), "text": "x"}
    )
    assert refused.status_code == 403


def test_a_liaison_composes_only_for_their_audiences(app, client, team):
    act_as(client, team["cora"])
    declare(app, client, team)
    act_as(client, team["lia"])
    html = client.get("/admin/incidents/1/compose").get_data(as_text=True)
    executives = audience_id(app, "executives")
    assert re.search(rf'name="audience-{executives}-send"[^>]*disabled', html)
    response = client.post(
        "/admin/incidents/1/compose",
        data={
            **incident_form(client, 1, "/compose"),
            "status": "identified",
            "action": "publish",
            f"audience-{executives}-send": "on",
            f"audience-{executives}-title": "T",
            f"audience-{executives}-body": "B",
        },
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Update.id))) == 0


def audience_id(app, slug):
    with app.app_context():
        return audience(slug).id


def test_publishing_from_compose_moves_everything_together(app, client, team):
    act_as(client, team["cora"])
    declare(app, client, team)
    staff, dashboard = audience_id(app, "staff"), component_id(app, "Dashboard")
    response = client.post(
        "/admin/incidents/1/compose",
        data={
            **incident_form(client, 1),
            "status": "monitoring",
            "action": "publish",
            f"component-{dashboard}": "partial_outage",
            f"audience-{staff}-send": "on",
            f"audience-{staff}-title": "Fix deployed",
            f"audience-{staff}-body": "Watching the error rate.",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        update = db.session.scalars(sa.select(Update)).one()
        incident = db.session.get(Incident, 1)
        assert update.state is UpdateState.PUBLISHED and update.author.name == "Cora"
        changes = {c["name"]: c["new_status"] for c in update.affected_components}
        assert changes["Dashboard"] == "partial_outage"
        assert incident.status is IncidentStatus.MONITORING
        assert update.next_update_due_at is not None  # the staff policy's interval at SEV2


def test_the_dashboard_shows_promises_counting_down_and_my_duties(app, client, team):
    act_as(client, team["cora"])
    declare(app, client, team)
    html = client.get("/admin/").get_data(as_text=True)
    assert "Your duties" in html and "Commander" in html
    assert re.search(r"data-countdown>due in \d+ min<", html)


def test_an_overdue_promise_says_so(app, client, team):
    with app.app_context():
        incident = make_incident(title="Old", now=utcnow() - timedelta(hours=2))
        make_published(incident, "customers", now=utcnow() - timedelta(hours=2))
        db.session.commit()
    act_as(client, team["vic"])
    assert re.search(
        r"data-countdown>overdue 1 h \d\d min<", client.get("/admin/").get_data(as_text=True)
    )


def test_the_postmortem_draft_has_every_section(app, client, team):
    act_as(client, team["cora"])
    declare(app, client, team)
    with app.app_context():
        make_published(db.session.get(Incident, 1), "customers", body="We are on it.")
        db.session.commit()
    response = client.get("/admin/incidents/1/postmortem.md")
    assert response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    for heading in (
        "# Postmortem draft: Checkout failing",
        "## Summary",
        "## Roster",
        "## Timeline",
        "## Updates by audience",
        "### Customers",
    ):
        assert heading in text
    assert "> We are on it." in text and "Customer liaison: Lia" in text


def test_scheduling_maintenance_announces_it_per_audience(app, client, team):
    act_as(client, team["cora"])
    customers, support = audience_id(app, "customers"), audience_id(app, "support")
    start = form_time(utcnow() + timedelta(days=2))
    end = form_time(utcnow() + timedelta(days=2, hours=2))
    response = client.post(
        "/admin/maintenance/new",
        data={
            "csrf_token": csrf_token(client),
            "title": "Database upgrade",
            "scheduled_for": start,
            "scheduled_until": end,
            "components": str(component_id(app, "API")),
            f"audience-{customers}-send": "on",
            f"audience-{support}-send": "on",
            f"audience-{support}-body": "Expect read-only mode; macros are ready.",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        updates = {u.audience.slug: u for u in db.session.scalars(sa.select(Update))}
        assert set(updates) == {"customers", "support"}
        assert updates["support"].body == "Expect read-only mode; macros are ready."
        assert updates["customers"].body.startswith("Maintenance is scheduled from")
        assert all(u.status is IncidentStatus.SCHEDULED for u in updates.values())


def test_a_window_in_the_past_is_refused(app, client, team):
    act_as(client, team["cora"])
    past = form_time(utcnow() - timedelta(days=1))
    response = client.post(
        "/admin/maintenance/new",
        data={
            "csrf_token": csrf_token(client),
            "title": "Late",
            "scheduled_for": past,
            "scheduled_until": past,
        },
    )
    assert response.status_code == 422
