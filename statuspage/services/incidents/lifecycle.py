"""Incidents and maintenance windows: declaring, scheduling, roster, components and status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.core.errors import InvalidTransition, NotFound, ValidationError
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentComponent,
    IncidentKind,
    IncidentStatus,
    RosterAssignment,
    RosterRole,
    Severity,
    TimelineKind,
    User,
)
from statuspage.models.enums import CLOSED_STATUSES, INCIDENT_STATUSES, MAINTENANCE_STATUSES
from statuspage.services.cadence import promises
from statuspage.services.incidents import mobilize
from statuspage.services.records import actor_name, record_event
from statuspage.services.validation import clean_optional_text, clean_text

TITLE_LENGTH = 200


def get_incident(incident_id: int) -> Incident:
    """The incident or maintenance window with this id, or NotFound."""
    incident = db.session.get(
        Incident,
        incident_id,
        options=[selectinload(Incident.components), selectinload(Incident.roster)],
    )
    if incident is None:
        raise NotFound(f"There is no incident {incident_id}.")
    return incident


def recent_incidents(limit: int = 100) -> list[Incident]:
    """Incidents and maintenance, open ones first, then newest first."""
    return list(
        db.session.scalars(
            sa.select(Incident)
            .order_by(
                sa.case(
                    (Incident.status.in_(CLOSED_STATUSES), 1),
                    else_=0,
                ),
                Incident.started_at.desc(),
            )
            .limit(limit)
        )
    )


def declare_incident(
    *,
    title: str,
    severity: Severity,
    by: User | None,
    now: datetime,
    components: Mapping[Component, ComponentStatus] | None = None,
    roster: Iterable[tuple[RosterRole, User]] = (),
    public_title: str | None = None,
    status: IncidentStatus = IncidentStatus.INVESTIGATING,
) -> Incident:
    """Open an incident with its components, roster and a first-update deadline per audience."""
    if status not in INCIDENT_STATUSES or status is IncidentStatus.RESOLVED:
        raise ValidationError("A new incident must start in an open status.", field="status")
    incident = Incident(
        kind=IncidentKind.INCIDENT,
        title=clean_text(title, field="title", max_length=TITLE_LENGTH),
        public_title=clean_optional_text(
            public_title, field="public title", max_length=TITLE_LENGTH
        ),
        severity=Severity(severity),
        status=status,
        declared_by_id=by.id if by else None,
        created_at=now,
        updated_at=now,
        started_at=now,
    )
    db.session.add(incident)
    db.session.flush()
    record_event(
        incident,
        TimelineKind.DECLARED,
        f"{actor_name(by)} declared the incident ({incident.severity}, {status.label}).",
        actor=by,
        now=now,
        data={"severity": str(incident.severity), "status": str(status)},
    )
    for role, user in roster:
        assign_role(incident, user, role, by=by, now=now)
    for component, component_status in (components or {}).items():
        set_affected_component(incident, component, component_status, by=by, now=now)
    promises.open_first_update_deadlines(incident, now=now)
    return incident


def schedule_maintenance(
    *,
    title: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    by: User | None,
    now: datetime,
    components: Iterable[Component] = (),
) -> Incident:
    """Plan a maintenance window over the given components."""
    if scheduled_until <= scheduled_for:
        raise ValidationError("The window must end after it starts.", field="scheduled_until")
    maintenance = Incident(
        kind=IncidentKind.MAINTENANCE,
        title=clean_text(title, field="title", max_length=TITLE_LENGTH),
        status=IncidentStatus.SCHEDULED,
        declared_by_id=by.id if by else None,
        created_at=now,
        updated_at=now,
        started_at=scheduled_for,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
    )
    db.session.add(maintenance)
    db.session.flush()
    maintenance.components = [
        IncidentComponent(component=component, status=ComponentStatus.UNDER_MAINTENANCE)
        for component in components
    ]
    record_event(
        maintenance,
        TimelineKind.DECLARED,
        f"{actor_name(by)} scheduled the maintenance.",
        actor=by,
        now=now,
        data={
            "scheduled_for": scheduled_for.isoformat(),
            "scheduled_until": scheduled_until.isoformat(),
        },
    )
    return maintenance


def assign_role(
    incident: Incident, user: User, role: RosterRole, *, by: User | None, now: datetime
) -> RosterAssignment:
    """Give the user a duty on the incident; single duties replace their previous holder."""
    role = RosterRole(role)
    if role.is_single:
        for previous in [a for a in incident.roster if a.role is role and a.user_id != user.id]:
            remove_role(incident, previous, by=by, now=now)
    existing = next((a for a in incident.roster if a.role is role and a.user_id == user.id), None)
    if existing is not None:
        return existing
    assignment = RosterAssignment(user=user, role=role, assigned_at=now)
    incident.roster.append(assignment)
    record_event(
        incident,
        TimelineKind.ROLE_ASSIGNED,
        f"{actor_name(by)} made {user.name} {role.label.lower()}.",
        actor=by,
        now=now,
        data={"role": str(role), "user_id": user.id},
    )
    mobilize.tell_assignee(incident, assignment, by=by, now=now)
    return assignment


def remove_role(
    incident: Incident, assignment: RosterAssignment, *, by: User | None, now: datetime
) -> None:
    """Take a duty away from its holder."""
    incident.roster.remove(assignment)
    record_event(
        incident,
        TimelineKind.ROLE_REMOVED,
        f"{actor_name(by)} removed {assignment.user.name} as {assignment.role.label.lower()}.",
        actor=by,
        now=now,
        data={"role": str(assignment.role), "user_id": assignment.user_id},
    )


def set_affected_component(
    incident: Incident,
    component: Component,
    status: ComponentStatus,
    *,
    by: User | None,
    now: datetime,
) -> bool:
    """Give the component this impact from the incident (operational releases it); whether it
    changed. Staff see it at once; the public when an update to a public audience is published."""
    status = ComponentStatus(status)
    link = next((c for c in incident.components if c.component_id == component.id), None)
    old = link.status if link is not None else ComponentStatus.OPERATIONAL
    if link is None:
        incident.components.append(IncidentComponent(component=component, status=status))
    else:
        link.status = status
    if status is old:
        return False
    record_event(
        incident,
        TimelineKind.COMPONENT_CHANGED,
        f"{actor_name(by)} set {component.name} to {status.label.lower()}.",
        actor=by,
        now=now,
        data={"component_id": component.id, "old_status": str(old), "new_status": str(status)},
    )
    return True


def change_status(
    incident: Incident, status: IncidentStatus, *, by: User | None, now: datetime
) -> bool:
    """Move the incident to a status of its kind; returns whether anything changed."""
    status = IncidentStatus(status)
    allowed = MAINTENANCE_STATUSES if incident.is_maintenance else INCIDENT_STATUSES
    if status not in allowed:
        raise InvalidTransition(f"A {incident.kind} cannot be {status.label.lower()}.")
    if status is incident.status:
        return False
    was_closed = incident.status.is_closed
    incident.status = status
    incident.updated_at = now
    if status is IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = now
    if status.is_closed:
        incident.resolved_at = now
        promises.end_obligations(incident, now=now)
        kind, message = TimelineKind.RESOLVED, f"{actor_name(by)} marked it {status.label.lower()}."
    elif was_closed:
        incident.resolved_at = None
        if not incident.is_maintenance:
            promises.open_first_update_deadlines(incident, now=now)
        kind, message = TimelineKind.REOPENED, f"{actor_name(by)} reopened it ({status.label})."
    else:
        kind, message = TimelineKind.STATUS_CHANGED, f"{actor_name(by)} set it to {status.label}."
    record_event(incident, kind, message, actor=by, now=now, data={"status": str(status)})
    return True
