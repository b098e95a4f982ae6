"""An incident's milestones (started, detected, acknowledged, mitigated, resolved): what the
commander sets or backdates by hand, and the defaults the incident itself gives the others.

The started milestone is the incident's started_at, which the public pages show; the other steps
are kept in their own rows, so the postmortem reads them all through milestones_of.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from statuspage.core.errors import ValidationError
from statuspage.core.site import current_site
from statuspage.core.times import format_datetime
from statuspage.extensions import db
from statuspage.models import Incident, IncidentMilestone, MilestoneKind, TimelineKind, User
from statuspage.services.incidents.edits import check_incident_version
from statuspage.services.public.version import bump_publication
from statuspage.services.records import actor_name, record_audit, record_event

Milestones = dict[MilestoneKind, datetime | None]


def milestones_of(incident: Incident) -> Milestones:
    """The five milestones in their order, each at its time (None while unset)."""
    milestones: Milestones = {
        MilestoneKind.STARTED: incident.started_at,
        MilestoneKind.DETECTED: None,
        # Someone acknowledged it by declaring it, unless the commander says otherwise.
        MilestoneKind.ACKNOWLEDGED: incident.created_at,
        MilestoneKind.MITIGATED: incident.monitoring_at,
        MilestoneKind.RESOLVED: incident.resolved_at,
    }
    for row in _rows(incident):
        if row.kind is not MilestoneKind.STARTED:
            milestones[row.kind] = row.at
    return milestones


def _rows(incident: Incident) -> list[IncidentMilestone]:
    return list(
        db.session.scalars(
            sa.select(IncidentMilestone).where(IncidentMilestone.incident_id == incident.id)
        )
    )


def check_order(milestones: Milestones) -> None:
    """Refuse milestones out of order, e.g. resolved before started, naming the pair."""
    known = [(kind, at) for kind, at in milestones.items() if at is not None]
    for index, (earlier, earlier_at) in enumerate(known):
        for later, later_at in known[index + 1 :]:
            # Times are typed to the minute: the same minute is never out of order.
            if _minute(later_at) < _minute(earlier_at):
                raise ValidationError(
                    f"{later.label} cannot come before {earlier.label.lower()}: check both times.",
                    field="at",
                )


def set_milestone(
    incident: Incident,
    kind: MilestoneKind,
    at: datetime | None,
    *,
    version: int | None,
    loaded_at: datetime,
    by: User,
    now: datetime,
) -> None:
    """Set (or backdate) one milestone, on the timeline and the audit trail."""
    check_incident_version(incident, version, loaded_at=loaded_at)
    if incident.is_maintenance:
        raise ValidationError("Maintenance windows have no milestones.", field="kind")
    if at is None:
        raise ValidationError(f"Give the time the incident was {kind.label.lower()}.", field="at")
    if at > now:
        raise ValidationError(f"{kind.label} cannot be in the future.", field="at")
    milestones = milestones_of(incident)
    before = milestones[kind]
    milestones[kind] = at
    check_order(milestones)
    _store(incident, kind, at, by=by, now=now)
    zone = current_site().zone
    record_event(
        incident,
        TimelineKind.MILESTONE_SET,
        f"{actor_name(by)} set {kind.label.lower()} to {format_datetime(at, zone, now=now)}"
        + (f" (was {format_datetime(before, zone, now=now)})." if before else "."),
        actor=by,
        now=now,
        data={"milestone": str(kind), "at": at.isoformat(), "was": _iso(before)},
    )
    incident.updated_at = now
    record_audit(
        by,
        "incident.milestone",
        "incident",
        incident.id,
        now=now,
        details={"milestone": str(kind), "at": at.isoformat(), "was": _iso(before)},
    )


def _store(
    incident: Incident, kind: MilestoneKind, at: datetime, *, by: User, now: datetime
) -> None:
    if kind is MilestoneKind.STARTED:
        incident.started_at = at
        bump_publication(now=now)  # the public pages show when it started
        return
    row = db.session.get(IncidentMilestone, (incident.id, kind))
    if row is None:
        row = IncidentMilestone(incident_id=incident.id, kind=kind)
        db.session.add(row)
    row.at, row.set_by_id, row.set_at = at, by.id, now


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
