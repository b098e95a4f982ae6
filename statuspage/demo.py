"""A realistic demo organisation: components, people, one open SEV2, 60 days of history, maintenance.

Everything is looked up by its natural key (name, email, title) before it is created, so a second run
adds nothing. It goes through the same services as the console, so the demo data obeys the same
rules (timeline, promises, component history) as real data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.core.site import Site
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
    Update,
    User,
    Visibility,
)
from statuspage.services import accounts, components
from statuspage.services.defaults import ensure_defaults
from statuspage.services.incidents import lifecycle, publishing
from statuspage.services.templating import message_context, render_message, template_for

S = ComponentStatus
GROUPS = (
    (
        "Core platform",
        Visibility.PUBLIC,
        ("API", "Dashboard", "Authentication", "Webhooks", "Background jobs"),
    ),
    (
        "Data",
        Visibility.PUBLIC,
        ("Search", "File storage", "Data exports", "Analytics", "Reporting"),
    ),
    (
        "Integrations",
        Visibility.PUBLIC,
        ("Slack app", "GitHub integration", "Email notifications", "SMS notifications", "Zapier"),
    ),
    (
        "Internal systems",
        Visibility.INTERNAL,
        (
            "Deploy pipeline",
            "Admin console",
            "Billing backend",
            "Primary database cluster",
            "Feature flags",
        ),
    ),
)

PEOPLE = (
    ("dana.okafor@example.com", "Dana Okafor", Role.COMMANDER),
    ("sam.rivera@example.com", "Sam Rivera", Role.COMMANDER),
    ("priya.shah@example.com", "Priya Shah", Role.LIAISON),
    ("tom.becker@example.com", "Tom Becker", Role.LIAISON),
    ("lee.chen@example.com", "Lee Chen", Role.LIAISON),
    ("ana.costa@example.com", "Ana Costa", Role.VIEWER),
)
ROSTER = (
    (RosterRole.COMMANDER, "dana.okafor@example.com"),
    (RosterRole.DEPUTY, "sam.rivera@example.com"),
    (RosterRole.SCRIBE, "lee.chen@example.com"),
    (RosterRole.CUSTOMER_LIAISON, "priya.shah@example.com"),
    (RosterRole.INTERNAL_LIAISON, "tom.becker@example.com"),
    (RosterRole.EXPERT, "ana.costa@example.com"),
)

OPEN_INCIDENT = "Elevated API error rates in eu-west"


@dataclass(frozen=True)
class PastIncident:
    title: str
    days_ago: int
    hour: int
    severity: Severity
    components: dict[str, ComponentStatus]
    # minutes after the start at which it reached identified, monitoring and resolved
    identified: int
    monitoring: int
    resolved: int
    facts: str


PAST_INCIDENTS = (
    PastIncident(
        "Delayed webhook deliveries",
        2,
        9,
        Severity.SEV3,
        {"Webhooks": S.DEGRADED_PERFORMANCE},
        20,
        45,
        80,
        "Webhook deliveries are running up to 15 minutes behind.",
    ),
    PastIncident(
        "Sign-in failures for SSO users",
        6,
        14,
        Severity.SEV2,
        {"Authentication": S.PARTIAL_OUTAGE},
        25,
        50,
        95,
        "Some users signing in with SSO see an error page.",
    ),
    PastIncident(
        "Search results out of date",
        9,
        11,
        Severity.SEV3,
        {"Search": S.DEGRADED_PERFORMANCE},
        40,
        90,
        180,
        "New and edited records take longer than usual to appear in search.",
    ),
    PastIncident(
        "Dashboard unavailable",
        13,
        16,
        Severity.SEV1,
        {"Dashboard": S.MAJOR_OUTAGE, "API": S.PARTIAL_OUTAGE},
        12,
        35,
        70,
        "The dashboard does not load for most users; the API returns some errors.",
    ),
    PastIncident(
        "SMS notifications delayed in North America",
        17,
        8,
        Severity.SEV3,
        {"SMS notifications": S.DEGRADED_PERFORMANCE},
        30,
        60,
        150,
        "Text messages to North American numbers arrive late.",
    ),
    PastIncident(
        "Data export jobs failing",
        21,
        13,
        Severity.SEV3,
        {"Data exports": S.PARTIAL_OUTAGE},
        35,
        70,
        120,
        "Scheduled CSV exports fail and are retried.",
    ),
    PastIncident(
        "Slack app not posting alerts",
        26,
        10,
        Severity.SEV4,
        {"Slack app": S.DEGRADED_PERFORMANCE},
        60,
        120,
        200,
        "Alerts are not posted to some Slack channels.",
    ),
    PastIncident(
        "Elevated API latency",
        31,
        15,
        Severity.SEV2,
        {"API": S.DEGRADED_PERFORMANCE, "Background jobs": S.DEGRADED_PERFORMANCE},
        15,
        40,
        75,
        "API requests are slower than usual; background jobs are queueing.",
    ),
    PastIncident(
        "File uploads failing",
        36,
        12,
        Severity.SEV2,
        {"File storage": S.PARTIAL_OUTAGE},
        20,
        45,
        90,
        "Uploads larger than 10 MB fail.",
    ),
    PastIncident(
        "GitHub integration sync errors",
        42,
        9,
        Severity.SEV3,
        {"GitHub integration": S.PARTIAL_OUTAGE},
        45,
        100,
        160,
        "Repository sync reports errors for some organisations.",
    ),
    PastIncident(
        "Email notifications delayed",
        47,
        17,
        Severity.SEV3,
        {"Email notifications": S.DEGRADED_PERFORMANCE},
        30,
        60,
        110,
        "Notification emails are delayed by up to 30 minutes.",
    ),
    PastIncident(
        "Reporting dashboards show stale data",
        53,
        10,
        Severity.SEV4,
        {"Reporting": S.DEGRADED_PERFORMANCE, "Analytics": S.DEGRADED_PERFORMANCE},
        50,
        120,
        240,
        "Reports show data up to two hours old.",
    ),
    PastIncident(
        "Full API outage",
        58,
        3,
        Severity.SEV1,
        {"API": S.MAJOR_OUTAGE, "Webhooks": S.MAJOR_OUTAGE, "Dashboard": S.MAJOR_OUTAGE},
        10,
        25,
        55,
        "Requests to the API and dashboard fail.",
    ),
)

PAST_STEPS = (
    (IncidentStatus.IDENTIFIED, "identified", "We found the cause and are applying a fix."),
    (IncidentStatus.MONITORING, "monitoring", "The fix is out; we are watching the error rates."),
    (IncidentStatus.RESOLVED, "resolved", "Everything is back to normal."),
)


def seed_demo(*, now: datetime, site: Site) -> None:
    """Create the demo organisation, adding only what is not there yet."""
    ensure_defaults(now=now)
    _seed_components(now=now - timedelta(days=120))
    people = _seed_people(now=now - timedelta(days=120))
    _seed_past_incidents(people, now=now, site=site)
    _seed_maintenance(people, now=now, site=site)
    _seed_open_incident(people, now=now, site=site)


def has_content() -> bool:
    """Whether the database holds any components or incidents (then `--if-empty` leaves it be)."""
    return bool(
        db.session.scalar(sa.select(Component.id).limit(1))
        or db.session.scalar(sa.select(Incident.id).limit(1))
    )


def _seed_components(*, now: datetime) -> None:
    for group_name, visibility, names in GROUPS:
        group = db.session.scalar(
            sa.select(ComponentGroup).where(ComponentGroup.name == group_name)
        )
        if group is None:
            group = components.create_group(group_name, visibility=visibility, now=now)
        for name in names:
            if _component(name) is None:
                components.create_component(name, group=group, now=now)


def _seed_people(*, now: datetime) -> dict[str, User]:
    people = {}
    for email, name, role in PEOPLE:
        user = accounts.find_user(email) or accounts.create_user(
            email, name=name, role=role, now=now
        )
        people[email] = user
    return people


def _seed_past_incidents(people: dict[str, User], *, now: datetime, site: Site) -> None:
    for past in PAST_INCIDENTS:
        if _incident(past.title) is not None:
            continue
        start = (now - timedelta(days=past.days_ago)).replace(
            hour=past.hour, minute=7, second=0, microsecond=0
        )
        incident = _declare(past.title, past.severity, past.components, people, start)
        _publish(
            incident, "customers", past.facts, people, at=start + timedelta(minutes=5), site=site
        )
        _publish(incident, "staff", past.facts, people, at=start + timedelta(minutes=6), site=site)
        for status, field, facts in PAST_STEPS:
            at = start + timedelta(minutes=getattr(past, field))
            if status is IncidentStatus.RESOLVED:
                for name in past.components:
                    lifecycle.set_affected_component(
                        incident,
                        _component(name),
                        S.OPERATIONAL,
                        by=people["dana.okafor@example.com"],
                        now=at,
                    )
            _publish(incident, "customers", facts, people, at=at, status=status, site=site)
            _publish(
                incident,
                "staff",
                facts,
                people,
                at=at + timedelta(minutes=1),
                status=status,
                site=site,
            )


def _seed_open_incident(people: dict[str, User], *, now: datetime, site: Site) -> None:
    if _incident(OPEN_INCIDENT) is not None:
        return
    start = now - timedelta(minutes=50)
    incident = _declare(
        OPEN_INCIDENT,
        Severity.SEV2,
        {"API": S.PARTIAL_OUTAGE, "Webhooks": S.DEGRADED_PERFORMANCE},
        people,
        start,
    )
    first = (
        "About 8% of API requests to eu-west return 5xx errors; webhooks from the region are slow."
    )
    _publish(incident, "customers", first, people, at=start + timedelta(minutes=6), site=site)
    _publish(
        incident,
        "staff",
        first + " No data loss.",
        people,
        at=start + timedelta(minutes=9),
        site=site,
    )
    cause = "A configuration change to the eu-west load balancers is being rolled back."
    for slug, minutes in (("customers", 35), ("staff", 38), ("executives", 40)):
        _publish(
            incident,
            slug,
            cause,
            people,
            at=start + timedelta(minutes=minutes),
            status=IncidentStatus.IDENTIFIED,
            site=site,
        )
    _draft(
        incident,
        "support",
        cause + " Customers may retry failed requests safely.",
        people,
        at=start + timedelta(minutes=44),
        site=site,
    )


def _seed_maintenance(people: dict[str, User], *, now: datetime, site: Site) -> None:
    commander = people["dana.okafor@example.com"]
    upcoming_title = "Search cluster upgrade"
    if _incident(upcoming_title) is None:
        start = (now + timedelta(days=3)).replace(hour=2, minute=0, second=0, microsecond=0)
        window = lifecycle.schedule_maintenance(
            title=upcoming_title,
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=2),
            components=[_component("Search"), _component("Data exports")],
            by=commander,
            now=now - timedelta(days=1),
        )
        _publish(
            window,
            "customers",
            "Search may be briefly unavailable while nodes restart.",
            people,
            at=now - timedelta(days=1),
            site=site,
        )
    past_title = "Network provider migration"
    if _incident(past_title) is None:
        start = (now - timedelta(days=10)).replace(hour=3, minute=0, second=0, microsecond=0)
        affected = [_component("API"), _component("Webhooks")]
        window = lifecycle.schedule_maintenance(
            title=past_title,
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=1),
            components=affected,
            by=commander,
            now=start - timedelta(days=5),
        )
        _publish(
            window,
            "customers",
            "Brief connection resets are possible.",
            people,
            at=start - timedelta(days=5),
            site=site,
        )
        for component in affected:
            lifecycle.set_affected_component(
                window, component, S.UNDER_MAINTENANCE, by=None, now=start
            )
        _publish(
            window, "customers", "", people, at=start, status=IncidentStatus.IN_PROGRESS, site=site
        )
        end = start + timedelta(minutes=50)
        for component in affected:
            lifecycle.set_affected_component(window, component, S.OPERATIONAL, by=None, now=end)
        _publish(
            window, "customers", "", people, at=end, status=IncidentStatus.COMPLETED, site=site
        )


def _declare(
    title: str,
    severity: Severity,
    affected: dict[str, ComponentStatus],
    people: dict[str, User],
    start: datetime,
) -> Incident:
    return lifecycle.declare_incident(
        title=title,
        severity=severity,
        by=people["dana.okafor@example.com"],
        now=start,
        components={_component(name): status for name, status in affected.items()},
        roster=[(role, people[email]) for role, email in ROSTER],
    )


def _publish(
    incident: Incident,
    audience_slug: str,
    facts: str,
    people: dict[str, User],
    *,
    at: datetime,
    site: Site,
    status: IncidentStatus | None = None,
) -> Update:
    update = _draft(incident, audience_slug, facts, people, at=at, site=site, status=status)
    # The commander publishes, which also approves customer drafts that need a second person.
    return publishing.publish_update(update, by=people["dana.okafor@example.com"], now=at)


def _draft(
    incident: Incident,
    audience_slug: str,
    facts: str,
    people: dict[str, User],
    *,
    at: datetime,
    site: Site,
    status: IncidentStatus | None = None,
) -> Update:
    audience = db.session.scalar(sa.select(Audience).where(Audience.slug == audience_slug))
    status = status or incident.status
    template = template_for(audience, status)
    context = message_context(
        incident, audience=audience, site=site, status=status, facts=facts, now=at
    )
    message = render_message(template, context)
    author = people["priya.shah@example.com" if audience.is_public else "tom.becker@example.com"]
    return publishing.add_draft(
        incident,
        audience,
        body=message.body,
        title=message.title,
        by=author,
        now=at,
        status=status,
        template=template,
    )


def _component(name: str) -> Component | None:
    return db.session.scalar(sa.select(Component).where(Component.name == name))


def _incident(title: str) -> Incident | None:
    return db.session.scalar(sa.select(Incident).where(Incident.title == title))
