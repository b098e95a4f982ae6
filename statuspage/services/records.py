"""Writing the incident timeline and the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import AuditEntry, Incident, TimelineEvent, TimelineKind, User


def record_event(
    incident: Incident,
    kind: TimelineKind,
    message: str,
    *,
    actor: User | None,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Add one event to the incident's timeline."""
    event = TimelineEvent(
        incident_id=incident.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        occurred_at=now,
        message=message,
        data=data,
    )
    db.session.add(event)
    return event


def record_system_events(
    events: Iterable[tuple[int, TimelineKind, str, dict[str, Any]]], *, now: datetime
) -> None:
    """Add many events by the system (incident id, kind, message, data) in one statement.

    For the scheduler, which may record thousands at once; record_event is for everything else.
    """
    rows = [
        {
            "incident_id": incident_id,
            "kind": kind,
            "actor_id": None,
            "occurred_at": now,
            "message": message,
            "data": data,
        }
        for incident_id, kind, message, data in events
    ]
    if rows:
        db.session.execute(sa.insert(TimelineEvent.__table__), rows)


def record_audit(
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int | None,
    *,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry to the console's audit trail."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        occurred_at=now,
        details=details,
    )
    db.session.add(entry)
    return entry


def actor_name(user: User | None) -> str:
    """How the timeline names whoever did something (the scheduler has no user)."""
    return user.name if user else "The system"


AUDIT_PAGE_SIZE = 100


def list_audit(
    *,
    actor_id: int | None = None,
    target_type: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Audit entries matching the filters, newest first, one page (older pages via before_id)."""
    query = sa.select(AuditEntry)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if since is not None:
        query = query.where(AuditEntry.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEntry.occurred_at < until)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(
        db.session.scalars(
            query.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc()).limit(
                AUDIT_PAGE_SIZE
            )
        )
    )


def audit_target_types() -> list[str]:
    """The kinds of object the audit trail has entries for."""
    return list(
        db.session.scalars(
            sa.select(AuditEntry.target_type).distinct().order_by(AuditEntry.target_type)
        )
    )
