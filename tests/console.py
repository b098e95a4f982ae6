"""Helpers for console tests: a small organisation, and signing in without the password form."""

from __future__ import annotations

from dataclasses import dataclass

from flask.testing import FlaskClient

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import (
    ComponentStatus,
    Delivery,
    IncidentStatus,
    IntegrationKind,
    IntegrationMode,
    MessageTemplate,
    Role,
    RosterRole,
    Severity,
    User,
)
from statuspage.services.alerts import integrations
from statuspage.services.incidents import attachments, edits
from tests.factories import (
    audience,
    make_component,
    make_draft,
    make_group,
    make_incident,
    make_maintenance,
    make_png,
    make_published,
    make_subscriber,
    make_user,
)
from tests.helpers import TEST_SECRET_KEY, csrf_token_from


@dataclass(frozen=True)
class World:
    """Ids of one of everything the console shows, and a user per role."""

    users: dict[str, int]
    incident_id: int
    assignment_id: int
    update_id: int
    component_id: int
    group_id: int
    audience_id: int
    template_id: int
    subscriber_id: int
    published_update_id: int
    delivery_id: int
    screenshot_id: int
    window_id: int  # a maintenance window planned for tomorrow, announced to customers
    integration_id: int  # an Alertmanager integration in automate mode
    secret: str  # its receiver URL's secret


def make_world() -> World:
    """A SEV2 incident with a roster, a customers draft by the liaison, and the configuration."""
    people = {
        role.value: make_user(role, name=f"{role.value.capitalize()} Person") for role in Role
    }
    group = make_group("Core")
    component = make_component("API", group=group)
    incident = make_incident(
        severity=Severity.SEV2,
        by=people["commander"],
        affected={component: ComponentStatus.PARTIAL_OUTAGE},
        roster=[
            (RosterRole.COMMANDER, people["commander"]),
            (RosterRole.CUSTOMER_LIAISON, people["liaison"]),
            (RosterRole.EXPERT, people["viewer"]),
        ],
        title="Elevated API errors",
    )
    draft = make_draft(incident, "customers", by=people["liaison"])
    subscriber = make_subscriber("exec-list@example.com", "staff")
    published = make_published(incident, "staff", by=people["commander"])
    db.session.flush()
    delivery = db.session.query(Delivery).filter_by(update_id=published.id).one()
    window = make_maintenance(title="Database upgrade", affected=[component])
    make_published(window, "customers", status=IncidentStatus.SCHEDULED)
    template = db.session.query(MessageTemplate).filter_by(audience_id=audience("staff").id).first()
    note = edits.add_note(incident, "Error rate climbing.", by=people["commander"], now=utcnow())
    [screenshot] = attachments.attach_screenshots(
        note, [attachments.Upload("graph.png", make_png())], now=utcnow()
    )
    integration, secret = integrations.create_integration(
        IntegrationKind.ALERTMANAGER,
        integrations.Settings(name="Prometheus", mode=IntegrationMode.AUTOMATE),
        key=TEST_SECRET_KEY,
        by=people["admin"],
        now=utcnow(),
    )
    world = World(
        users={role: user.id for role, user in people.items()},
        incident_id=incident.id,
        assignment_id=next(a.id for a in incident.roster if a.role is RosterRole.EXPERT),
        update_id=draft.id,
        component_id=component.id,
        group_id=group.id,
        audience_id=audience("staff").id,
        template_id=template.id,
        subscriber_id=subscriber.id,
        published_update_id=published.id,
        delivery_id=delivery.id,
        screenshot_id=screenshot.id,
        window_id=window.id,
        integration_id=integration.id,
        secret=secret,
    )
    db.session.commit()
    return world


def act_as(client: FlaskClient, user_id: int | None) -> None:
    """Be signed in as this user (None: signed out); the sign-in form itself is tested elsewhere."""
    session_id = None
    if user_id is not None:
        with client.application.app_context():
            session_id = db.session.get(User, user_id).get_id()  # id and session generation
    with client.session_transaction() as session:
        session.clear()
        if session_id is not None:
            session["_user_id"] = session_id
            session["_fresh"] = True


def csrf_token(client: FlaskClient) -> str:
    """A CSRF token valid for the client's session."""
    return csrf_token_from(client.get("/login").get_data(as_text=True))


def user(user_id: int) -> User:
    return db.session.get(User, user_id)
