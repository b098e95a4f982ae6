"""Benchmark data: 50 components in 5 groups with 90 days of status changes, a recent history and
an open incident (the same in every dataset), and as many older incidents as asked for.

Rows are written in bulk with SQLAlchemy Core (through the services, 10,000 incidents would take
minutes). The older incidents all started more than 90 days ago: they are the history whose size
must not slow the status page down, while what the page shows (the last 90 days) stays the same.
A fixed random seed makes every run write the same data.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentKind,
    IncidentStatus,
    Promise,
    PromiseState,
    Severity,
    Update,
    UpdateState,
    Visibility,
)
from statuspage.services.defaults import ensure_defaults
from statuspage.services.public.version import bump_publication

GROUPS = 5
COMPONENTS_PER_GROUP = 10
RECENT_INCIDENTS = 10
STEPS = (
    (IncidentStatus.INVESTIGATING, 0, "We are investigating reports of errors."),
    (IncidentStatus.IDENTIFIED, 20, "We found the cause and are rolling out a fix."),
    (IncidentStatus.MONITORING, 45, "The fix is out; we are watching error rates."),
    (IncidentStatus.RESOLVED, 80, "This incident has been resolved."),
)


def seed(*, past_incidents: int, now: datetime) -> None:
    """Write a benchmark dataset with `past_incidents` resolved incidents into an empty schema."""
    rng = random.Random(20260304)
    ensure_defaults(now=now - timedelta(days=4000))
    customers = db.session.scalar(sa.select(Audience.id).where(Audience.slug == "customers"))
    staff = db.session.scalar(sa.select(Audience.id).where(Audience.slug == "staff"))
    component_ids = _components(now=now)
    _status_history(component_ids, rng, now=now)
    recent = min(past_incidents, RECENT_INCIDENTS)
    starts = [now - timedelta(days=3 + 8 * n, hours=rng.randrange(24)) for n in range(recent)]
    older = past_incidents - recent
    window = timedelta(days=3650) - timedelta(days=91)
    starts += [now - timedelta(days=91) - window * (n + 1) / (older + 1) for n in range(older)]
    _incidents(starts, component_ids, rng, customers=customers, staff=staff)
    _open_incident(component_ids, customers=customers, now=now)
    bump_publication(now=now)
    db.session.commit()


def _components(*, now: datetime) -> list[int]:
    created = now - timedelta(days=400)
    ids = []
    for g in range(GROUPS):
        group = ComponentGroup(
            name=f"Group {g + 1}",
            position=g + 1,
            visibility=Visibility.PUBLIC,
            created_at=created,
            updated_at=created,
        )
        db.session.add(group)
        db.session.flush()
        for c in range(COMPONENTS_PER_GROUP):
            component = Component(
                name=f"Service {g + 1}.{c + 1}",
                group_id=group.id,
                position=c + 1,
                start_date=created.date(),
                created_at=created,
                updated_at=created,
            )
            db.session.add(component)
            db.session.flush()
            ids.append(component.id)
    db.session.execute(
        sa.insert(ComponentStatusChange),
        [
            {"component_id": i, "old_status": None, "status": "operational", "changed_at": created}
            for i in ids
        ],
    )
    return ids


def _status_history(component_ids: list[int], rng: random.Random, *, now: datetime) -> None:
    """About one degraded spell every ten days per component over the last 90 days."""
    rows = []
    for component_id in component_ids:
        day = 1
        while day < 90:
            start = now - timedelta(days=90 - day, minutes=rng.randrange(1440))
            bad = rng.choice(["degraded_performance", "partial_outage", "major_outage"])
            end = start + timedelta(minutes=rng.randrange(20, 180))
            rows += [
                {
                    "component_id": component_id,
                    "old_status": "operational",
                    "status": bad,
                    "changed_at": start,
                },
                {
                    "component_id": component_id,
                    "old_status": bad,
                    "status": "operational",
                    "changed_at": end,
                },
            ]
            day += rng.randrange(5, 16)
    db.session.execute(sa.insert(ComponentStatusChange), rows)


def _incidents(
    starts: list[datetime],
    component_ids: list[int],
    rng: random.Random,
    *,
    customers: int,
    staff: int,
) -> None:
    chunk = 1000
    for first in range(0, len(starts), chunk):
        batch = starts[first : first + chunk]
        rows = []
        for n, start in enumerate(batch, start=first):
            resolved = start + timedelta(minutes=STEPS[-1][1])
            severity = rng.choice(list(Severity)).value
            rows.append(
                {
                    "kind": IncidentKind.INCIDENT.value,
                    "title": f"Incident {n + 1}: elevated errors",
                    "severity": severity,
                    "status": "resolved",
                    "created_at": start,
                    "updated_at": resolved,
                    "started_at": start,
                    "monitoring_at": start + timedelta(minutes=STEPS[2][1]),
                    "resolved_at": resolved,
                    "public_status": "resolved",
                    "public_updated_at": resolved,
                    "public_severity": severity,
                    "version": 1,
                }
            )
        ids = db.session.scalars(sa.insert(Incident).returning(Incident.id), rows).all()
        updates, links = [], []
        for incident_id, start in zip(ids, batch, strict=True):
            component = rng.choice(component_ids)
            links.append(
                {"incident_id": incident_id, "component_id": component, "status": "operational"}
            )
            for status, minutes, body in STEPS:
                at = start + timedelta(minutes=minutes)
                for audience in (customers, staff):
                    updates.append(
                        {
                            "incident_id": incident_id,
                            "audience_id": audience,
                            "status": status.value,
                            "title": f"Incident {incident_id}: elevated errors",
                            "body": body if audience == customers else f"[staff] {body}",
                            "state": UpdateState.PUBLISHED.value,
                            "deliver_notifications": True,
                            "created_at": at,
                            "updated_at": at,
                            "published_at": at,
                            "version": 1,
                        }
                    )
        db.session.execute(sa.insert(IncidentComponent), links)
        db.session.execute(sa.insert(Update), updates)


def _open_incident(component_ids: list[int], *, customers: int, now: datetime) -> None:
    start = now - timedelta(minutes=40)
    incident = Incident(
        kind=IncidentKind.INCIDENT,
        title="Elevated API error rates",
        severity=Severity.SEV2,
        status=IncidentStatus.IDENTIFIED,
        created_at=start,
        updated_at=now - timedelta(minutes=10),
        started_at=start,
        public_status=IncidentStatus.IDENTIFIED,
        public_updated_at=now - timedelta(minutes=10),
        public_severity=Severity.SEV2,
    )
    db.session.add(incident)
    db.session.flush()
    db.session.add(
        IncidentComponent(
            incident_id=incident.id,
            component_id=component_ids[0],
            status=ComponentStatus.PARTIAL_OUTAGE,
            public_status=ComponentStatus.PARTIAL_OUTAGE,
            worst_public_status=ComponentStatus.PARTIAL_OUTAGE,
            public_since=start,
        )
    )
    for status, minutes, body in STEPS[:2]:
        at = start + timedelta(minutes=5 + minutes)
        db.session.add(
            Update(
                incident_id=incident.id,
                audience_id=customers,
                status=status,
                title=incident.title,
                body=body,
                state=UpdateState.PUBLISHED,
                created_at=at,
                updated_at=at,
                published_at=at,
            )
        )
    db.session.add(
        Promise(
            incident_id=incident.id,
            audience_id=customers,
            due_at=now + timedelta(minutes=50),
            made_at=now - timedelta(minutes=10),
            state=PromiseState.OPEN,
        )
    )
