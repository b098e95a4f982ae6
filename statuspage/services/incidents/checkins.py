"""Responder check-ins: the experts on an open incident's roster report to the commander at the
interval of the incident's severity (the seed's deputy duty: "a common interval is every 15-30
minutes"); a missing report reminds the deputy, once per missed check-in.

A report is a note the responder adds to the incident's timeline, counted at the time it is
dated: a note backdated to an earlier moment records the past and is not a fresh report. The clock
of a responder who has not reported yet starts when they were put on the roster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from statuspage.core.config import ConfigurationError
from statuspage.core.site import Site
from statuspage.core.times import is_overdue
from statuspage.extensions import db
from statuspage.models import (
    CadenceAlertKind,
    Incident,
    IncidentKind,
    IncidentStatus,
    RosterAssignment,
    RosterRole,
    Severity,
    TimelineEvent,
    TimelineKind,
    User,
)
from statuspage.services.cadence.alerts import announce, insert_alert, raised_alerts

# Who owes check-ins: the experts working the problem (the leads and liaisons report otherwise).
REPORTING_DUTY = RosterRole.EXPERT


@dataclass(frozen=True)
class CheckIn:
    """Where one responder stands: when they last reported, and when they next owe a report."""

    user: User
    last_reported_at: datetime | None
    due_at: datetime | None  # None: the incident's severity has no check-in interval

    def is_overdue(self, now: datetime) -> bool:
        return self.due_at is not None and is_overdue(self.due_at, now)


def checkin_intervals(setting: Mapping[str, Any]) -> dict[Severity, timedelta]:
    """The check-in interval per severity from the CHECKIN_MINUTES setting ({"SEV1": 15, ...});
    a severity left out has no check-ins. A bad setting is refused with what is wrong."""
    intervals = {}
    for name, minutes in dict(setting).items():
        try:
            severity = Severity(name)
        except ValueError:
            raise ConfigurationError(
                f"STATUSPAGE_CHECKIN_MINUTES: {name!r} is not a severity (SEV1 to SEV4)."
            ) from None
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
            raise ConfigurationError(
                f"STATUSPAGE_CHECKIN_MINUTES: {name} needs a number of minutes above 0."
            )
        intervals[severity] = timedelta(minutes=minutes)
    return intervals


def checkins_of(incident: Incident, *, intervals: Mapping[Severity, timedelta]) -> list[CheckIn]:
    """Each responder on the incident's roster, by name, with their last report and next due."""
    interval = checkin_interval(incident, intervals)
    reports = _last_reports([incident.id])
    checkins = []
    for entry in incident.roster:
        if entry.role is not REPORTING_DUTY or not entry.user.is_active:
            continue
        last = reports.get((incident.id, entry.user_id))
        start = max(filter(None, (last, entry.assigned_at)))
        due = start + interval if interval else None
        checkins.append(CheckIn(entry.user, last, due))
    return sorted(checkins, key=lambda checkin: checkin.user.name.casefold())


def remind_missed_checkins(
    *, now: datetime, site: Site, intervals: Mapping[Severity, timedelta]
) -> int:
    """Tell the deputy (else the commander) of each check-in that has fallen due unreported.

    Keyed by (incident, responder, due time): a second run raises nothing again, and a responder
    who stays silent for another interval is a second missed check-in.
    """
    if not intervals:
        return 0
    owed = db.session.execute(
        sa.select(
            RosterAssignment.incident_id,
            RosterAssignment.user_id,
            RosterAssignment.assigned_at,
            Incident.severity,
        )
        .join(Incident, Incident.id == RosterAssignment.incident_id)
        .join(User, User.id == RosterAssignment.user_id)
        .where(
            RosterAssignment.role == REPORTING_DUTY,
            User.is_active,
            Incident.kind == IncidentKind.INCIDENT,
            Incident.status != IncidentStatus.RESOLVED,
            Incident.severity.in_(list(intervals)),
        )
    ).all()
    reports = _last_reports({row.incident_id for row in owed})
    inserted: list[sa.Row] = []
    for incident_id, user_id, assigned_at, severity in owed:
        last = reports.get((incident_id, user_id))
        due = max(filter(None, (last, assigned_at))) + intervals[severity]
        if not is_overdue(due, now):
            continue
        inserted += insert_alert(
            incident_id=incident_id,
            about_user_id=user_id,
            kind=CadenceAlertKind.CHECKIN,
            about_at=due,
            now=now,
        )
    announce(raised_alerts(inserted), now=now, site=site)
    return len(inserted)


def checkin_interval(
    incident: Incident, intervals: Mapping[Severity, timedelta]
) -> timedelta | None:
    """How often the incident's responders owe a report now (None: not open, or not at its
    severity)."""
    if incident.kind is not IncidentKind.INCIDENT or incident.status is IncidentStatus.RESOLVED:
        return None
    return intervals.get(incident.severity) if incident.severity else None


def _last_reports(incident_ids: Iterable[int]) -> dict[tuple[int, int], datetime]:
    """(incident, person) -> the time of their latest note on it."""
    rows = db.session.execute(
        sa.select(
            TimelineEvent.incident_id,
            TimelineEvent.actor_id,
            sa.func.max(TimelineEvent.occurred_at),
        )
        .where(
            TimelineEvent.incident_id.in_(list(incident_ids)),
            TimelineEvent.kind == TimelineKind.NOTE,
            TimelineEvent.actor_id.is_not(None),
        )
        .group_by(TimelineEvent.incident_id, TimelineEvent.actor_id)
    )
    return {(incident_id, actor_id): at for incident_id, actor_id, at in rows}
