"""Test data made through the real services, with just enough defaults to be short to call."""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from statuspage.core.clock import utcnow
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
from statuspage.services import accounts, components, subscriptions
from statuspage.services.defaults import ensure_defaults
from statuspage.services.incidents import lifecycle as incidents
from statuspage.services.incidents import publishing
from statuspage.services.outbox import webhooks
from tests.helpers import RUN_INSTANT

# The run's one instant (see tests/helpers.py). The app's clock is pinned to it in every
# in-process test, and the factories make things at the clock's now unless told otherwise, so
# the worlds made here and the pages read back agree on "now".
NOW = RUN_INSTANT
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
        now=utcnow(),
    )


def make_group(
    name: str | None = None, *, visibility: Visibility = Visibility.PUBLIC
) -> ComponentGroup:
    return components.create_group(
        name or f"Group {next(_sequence)}", visibility=visibility, now=utcnow()
    )


def make_component(
    name: str | None = None,
    *,
    group: ComponentGroup | None = None,
    visibility: Visibility = Visibility.PUBLIC,
) -> Component:
    return components.create_component(
        name or f"Component {next(_sequence)}", group=group, visibility=visibility, now=utcnow()
    )


def audience(slug: str) -> Audience:
    """One of the built-in audiences (created on first use)."""
    ensure_defaults(now=utcnow())
    return db.session.query(Audience).filter_by(slug=slug).one()


def make_incident(
    *,
    severity: Severity = Severity.SEV2,
    by: User | None = None,
    now: datetime | None = None,
    affected: Mapping[Component, ComponentStatus] | None = None,
    roster: list[tuple[RosterRole, User]] | None = None,
    title: str | None = None,
) -> Incident:
    now = now or utcnow()
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
    now: datetime | None = None,
    status: IncidentStatus | None = None,
) -> Update:
    return publishing.add_draft(
        incident, audience(audience_slug), body=body, by=by, now=now or utcnow(), status=status
    )


def make_published(
    incident: Incident,
    audience_slug: str = "customers",
    *,
    body: str = "We are looking into it.",
    by: User | None = None,
    now: datetime | None = None,
    status: IncidentStatus | None = None,
) -> Update:
    """A published update; published by a second person when the audience needs review."""
    now = now or utcnow()
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
        now=utcnow(),
        allowed_networks=webhooks.parse_networks("127.0.0.0/8"),
        chat_hosts=("127.0.0.1",),
    )
    if subscriber.confirm_nonce:
        subscriptions.confirm_subscription(subscriber.id, subscriber.confirm_nonce, now=utcnow())
    return subscriber


def make_maintenance(
    *,
    title: str | None = None,
    starts: datetime | None = None,
    lasts: timedelta = timedelta(hours=2),
    affected: Sequence[Component] = (),
    now: datetime | None = None,
) -> Incident:
    """A scheduled maintenance window (tomorrow by default); public once customers are told."""
    now = now or utcnow()
    starts = starts or now + timedelta(days=1)
    ensure_defaults(now=now)
    return incidents.schedule_maintenance(
        title=title or f"Maintenance {next(_sequence)}",
        scheduled_for=starts,
        scheduled_until=starts + lasts,
        by=None,
        now=now,
        components=affected,
    )


def make_png(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG (red pixels): a screenshot for tests."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
