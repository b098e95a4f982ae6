"""Running an incident from the console: declaring it, and versioned edits of its details, status,
components and roster, each on the timeline and the audit trail.

Every edit names the incident version the person was looking at; if someone else saved since, the
edit is refused with Conflict instead of overwriting what they did. Every edit also touches the
incident row, so its version moves even when only a component or the roster changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa

from statuspage.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    NoteType,
    RosterRole,
    Severity,
    TimelineEvent,
    TimelineKind,
    User,
)
from statuspage.permissions import may_add_note
from statuspage.services.incidents import lifecycle
from statuspage.services.public.version import bump_publication
from statuspage.services.records import actor_name, record_audit, record_event
from statuspage.services.validation import clean_optional_text, clean_text

NOTE_LENGTH = 5000


class StaleIncident(Conflict):
    """The incident changed since the person loaded it; `changes` says what happened since."""

    def __init__(self, incident: Incident, changes: list[TimelineEvent]) -> None:
        super().__init__(
            "Someone else changed this incident after you loaded it. Nothing of yours was saved: "
            "check their changes below, then make yours again if it still applies."
        )
        self.incident = incident
        self.changes = changes


def check_incident_version(incident: Incident, version: int | None, *, loaded_at: datetime) -> None:
    """Raise StaleIncident when the incident is no longer at the version the form was built from."""
    if version is not None and incident.version == version:
        return
    changes = db.session.scalars(
        sa.select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident.id, TimelineEvent.occurred_at >= loaded_at)
        .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
    ).all()
    raise StaleIncident(incident, list(changes))


def declare(
    *,
    title: str,
    severity: Severity,
    components: Mapping[Component, ComponentStatus],
    roster: Iterable[tuple[RosterRole, User]],
    public_title: str | None,
    by: User,
    now: datetime,
) -> Incident:
    """Declare an incident from the console (see lifecycle.declare_incident) and audit it."""
    incident = lifecycle.declare_incident(
        title=title,
        severity=severity,
        by=by,
        now=now,
        components=components,
        roster=roster,
        public_title=public_title,
    )
    record_audit(
        by, "incident.declare", "incident", incident.id, now=now, details={"title": incident.title}
    )
    return incident


def edit_details(
    incident: Incident,
    *,
    version: int | None,
    loaded_at: datetime,
    title: str,
    public_title: str | None,
    severity: Severity | None,
    by: User,
    now: datetime,
) -> Incident:
    """Change the working title, the public title and (for incidents) the severity."""
    check_incident_version(incident, version, loaded_at=loaded_at)
    title = clean_text(title, field="title", max_length=lifecycle.TITLE_LENGTH)
    public_title = clean_optional_text(
        public_title, field="public title", max_length=lifecycle.TITLE_LENGTH
    )
    if incident.is_maintenance:
        severity = None
    elif severity is None:
        raise ValidationError("An incident needs a severity.", field="severity")
    before = {
        "title": incident.title,
        "public_title": incident.public_title,
        "severity": str(incident.severity or ""),
    }
    if severity is not None and severity is not incident.severity:
        record_event(
            incident,
            TimelineKind.SEVERITY_CHANGED,
            f"{actor_name(by)} changed the severity from {incident.severity} to {severity}.",
            actor=by,
            now=now,
            data={"old": str(incident.severity), "new": str(severity)},
        )
        incident.severity = severity
    if (title, public_title) != (incident.title, incident.public_title):
        record_event(
            incident,
            TimelineKind.DETAILS_CHANGED,
            f"{actor_name(by)} renamed it to “{title}”"
            + (f" (public title “{public_title}”)." if public_title else "."),
            actor=by,
            now=now,
            data={"title": title, "public_title": public_title},
        )
        incident.title, incident.public_title = title, public_title
    incident.updated_at = now
    record_audit(by, "incident.edit", "incident", incident.id, now=now, details={"before": before})
    bump_publication(now=now)  # the public name and impact may have changed
    return incident


def set_status(
    incident: Incident,
    status: IncidentStatus,
    *,
    version: int | None,
    loaded_at: datetime,
    by: User,
    now: datetime,
) -> Incident:
    """Move the incident to a status (resolving and reopening included) without a message."""
    check_incident_version(incident, version, loaded_at=loaded_at)
    before = incident.status
    if not lifecycle.change_status(incident, status, by=by, now=now):
        raise ValidationError(f"The incident is already {status.label.lower()}.", field="status")
    record_audit(
        by,
        "incident.status",
        "incident",
        incident.id,
        now=now,
        details={"from": str(before), "to": str(status)},
    )
    bump_publication(now=now)
    return incident


def set_components(
    incident: Incident,
    changes: Mapping[Component, ComponentStatus],
    *,
    version: int | None,
    loaded_at: datetime,
    by: User,
    now: datetime,
) -> list[dict[str, str]]:
    """Give components new impacts from this incident (operational releases one): staff see them
    at once, the public with the next update to it."""
    check_incident_version(incident, version, loaded_at=loaded_at)
    before = {link.component_id: link.status for link in incident.components}
    made = [
        {
            "component": component.name,
            "old_status": str(before.get(component.id, ComponentStatus.OPERATIONAL)),
            "new_status": str(status),
        }
        for component, status in changes.items()
        if lifecycle.set_affected_component(incident, component, status, by=by, now=now)
    ]
    if not made:
        raise ValidationError("Nothing to change: pick a new status for a component.")
    incident.updated_at = now
    record_audit(
        by, "incident.components", "incident", incident.id, now=now, details={"changes": made}
    )
    return made


def assign(
    incident: Incident,
    user: User,
    role: RosterRole,
    *,
    version: int | None,
    loaded_at: datetime,
    by: User,
    now: datetime,
) -> None:
    """Put someone on the roster (single duties replace their holder)."""
    check_incident_version(incident, version, loaded_at=loaded_at)
    if not user.is_active:
        raise ValidationError(f"{user.name}'s account is deactivated.", field="user")
    lifecycle.assign_role(incident, user, role, by=by, now=now)
    incident.updated_at = now
    record_audit(
        by,
        "incident.roster.assign",
        "incident",
        incident.id,
        now=now,
        details={"role": str(role), "user_id": user.id},
    )


def unassign(
    incident: Incident,
    assignment_id: int,
    *,
    version: int | None,
    loaded_at: datetime,
    by: User,
    now: datetime,
) -> None:
    """Take someone off the roster."""
    check_incident_version(incident, version, loaded_at=loaded_at)
    assignment = next((a for a in incident.roster if a.id == assignment_id), None)
    if assignment is None:
        raise NotFound("That person is no longer on the roster.")
    lifecycle.remove_role(incident, assignment, by=by, now=now)
    incident.updated_at = now
    record_audit(
        by,
        "incident.roster.remove",
        "incident",
        incident.id,
        now=now,
        details={"role": str(assignment.role), "user_id": assignment.user_id},
    )


def add_note(
    incident: Incident,
    text: str,
    *,
    note_type: NoteType = NoteType.OBSERVATION,
    at: datetime | None = None,
    by: User,
    now: datetime,
) -> TimelineEvent:
    """The scribe's note on the timeline (notes only add, so they need no version), of a type,
    and at `at` when it is written down after the fact.

    Only those who keep the incident's record may add one (permissions.may_add_note).
    """
    if not may_add_note(by, incident):
        raise PermissionDenied(
            "Notes are added by commanders and admins, and by the incident's commander, deputy, "
            "scribe or experts."
        )
    text = clean_text(text, field="note", max_length=NOTE_LENGTH, multiline=True)
    if at is not None and at > now:
        raise ValidationError("A note cannot be dated in the future.", field="when")
    data: dict[str, str] = {"note_type": str(note_type)}
    if at is not None:
        data["written_at"] = now.isoformat()
    event = record_event(incident, TimelineKind.NOTE, text, actor=by, now=at or now, data=data)
    db.session.flush()
    record_audit(by, "incident.note", "incident", incident.id, now=now, details=data)
    return event


def timeline(incident: Incident) -> list[TimelineEvent]:
    """Every event of the incident, oldest first."""
    return list(
        db.session.scalars(
            sa.select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident.id)
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        )
    )
