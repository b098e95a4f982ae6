"""Test data made through the real services, with just enough defaults to be short to call."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from statuspage import webhooks
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    ComponentGroup,
    ComponentStatus,
    Incident,
    IncidentStatus,
    Role,
    RosterRole,
    Severity,
    Subscriber,
    SubscriberKind,
    Update,
    User,
    Visibility,
)
from statuspage.services import accounts, components, incidents, publishing, subscriptions
from statuspage.services.defaults import ensure_defaults

NOW = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


def make_user(
    role: Role = Role.ADMIN,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str | None = None,
) -> User:
    number = next(_sequence)
    return accounts.create_user(
        email or f"person{number}@example.com",
        name=name or f"Person {number}",
        role=role,
        password=password,
        now=NOW,
    )


def make_group(
    name: str | None = None, *, visibility: Visibility = Visibility.PUBLIC
) -> ComponentGroup:
    return components.create_group(
        name or f"Group {next(_sequence)}", visibility=visibility, now=NOW
    )


def make_component(
    name: str | None = None,
    *,
    group: ComponentGroup | None = None,
    visibility: Visibility = Visibility.PUBLIC,
) -> Component:
    return components.create_component(
        name or f"Component {next(_sequence)}", group=group, visibility=visibility, now=NOW
    )


def audience(slug: str) -> Audience:
    """One of the built-in audiences (created on first use)."""
    ensure_defaults(now=NOW)
    return db.session.query(Audience).filter_by(slug=slug).one()


def make_incident(
    *,
    severity: Severity = Severity.SEV2,
    by: User | None = None,
    now: datetime = NOW,
    affected: Mapping[Component, ComponentStatus] | None = None,
    roster: list[tuple[RosterRole, User]] | None = None,
    title: str | None = None,
) -> Incident:
    ensure_defaults(now=now)
    return incidents.declare_incident(
        title=title or f"Incident {next(_sequence)}",
        severity=severity,
        by=by,
        now=now,
        components=affected,
        roster=roster or [],
    )


def make_draft(
    incident: Incident,
    audience_slug: str = "customers",
    *,
    body: str = "We are looking into it.",
    by: User | None = None,
    now: datetime = NOW,
    status: IncidentStatus | None = None,
) -> Update:
    return publishing.add_draft(
        incident, audience(audience_slug), body=body, by=by, now=now, status=status
    )


def make_published(
    incident: Incident,
    audience_slug: str = "customers",
    *,
    body: str = "We are looking into it.",
    by: User | None = None,
    now: datetime = NOW,
    status: IncidentStatus | None = None,
) -> Update:
    """A published update; published by a second person when the audience needs review."""
    author = by or make_user(Role.LIAISON)
    draft = make_draft(incident, audience_slug, body=body, by=author, now=now, status=status)
    publisher = make_user(Role.COMMANDER) if publishing.requires_review(draft) else author
    return publishing.publish_update(draft, by=publisher, now=now)


def make_subscriber(
    address: str,
    audience_slug: str = "customers",
    *,
    kind: SubscriberKind = SubscriberKind.EMAIL,
    components: list[Component] = (),  # type: ignore[assignment]
    name: str | None = None,
) -> Subscriber:
    """A subscriber that receives now (added by an admin; public addresses confirmed at once)."""
    subscriber = subscriptions.add_subscriber(
        kind=kind,
        audience=audience(audience_slug),
        address=address,
        name=name,
        component_ids=[component.id for component in components],
        by=make_user(Role.ADMIN),
        now=NOW,
        allowed_networks=webhooks.parse_networks("127.0.0.0/8"),
    )
    if subscriber.confirm_nonce:
        subscriptions.confirm_subscription(subscriber.id, subscriber.confirm_nonce, now=NOW)
    return subscriber


def make_maintenance(
    *,
    title: str | None = None,
    starts: datetime = NOW + timedelta(days=1),
    lasts: timedelta = timedelta(hours=2),
    affected: Sequence[Component] = (),
    now: datetime = NOW,
) -> Incident:
    """A scheduled maintenance window; it is public once an update is published to customers."""
    ensure_defaults(now=now)
    return incidents.schedule_maintenance(
        title=title or f"Maintenance {next(_sequence)}",
        scheduled_for=starts,
        scheduled_until=starts + lasts,
        by=None,
        now=now,
        components=affected,
    )
