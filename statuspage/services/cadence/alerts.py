"""Cadence alerts: reminders, overdue marks, escalations and stale nudges, each raised exactly once.

The scheduler's tick inserts every alert that has fallen due in one set-based statement per kind,
with ON CONFLICT DO NOTHING against the alert's unique key, and announces only the rows that
statement actually inserted: a timeline event each, and notify_alerts() for their recipients (a
row the console banner reads, and an email through the outbox), in the same transaction. A second run, or a second scheduler racing this one, inserts nothing and so
announces nothing; a rolled-back tick leaves the alerts to the next one.

A burst tick announces thousands of alerts, so it reads what their messages need (the incidents,
their rosters, the audiences) as plain rows in a few batched queries rather than as ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.core.dbtypes import UTCDateTime
from statuspage.core.site import Site
from statuspage.core.times import is_overdue
from statuspage.extensions import db, insert_ignoring_duplicates
from statuspage.models import (
    Audience,
    CadenceAlert,
    CadenceAlertKind,
    Incident,
    IncidentComponent,
    IncidentKind,
    IncidentStatus,
    Promise,
    PromiseState,
    Role,
    RosterAssignment,
    TimelineKind,
    Update,
    UpdateState,
    User,
)
from statuspage.services.cadence import paging
from statuspage.services.cadence.notices import (
    AlertedIncident,
    ChatHook,
    Notice,
    RaisedAlert,
    RosterEntry,
    describe_alert,
    notify_alerts,
    recipients_for,
)
from statuspage.services.public.version import bump_publication
from statuspage.services.records import record_system_events
from statuspage.services.templating import render_late_notices

_TIMELINE_KINDS = {
    CadenceAlertKind.REMINDER: TimelineKind.REMINDER_SENT,
    CadenceAlertKind.OVERDUE: TimelineKind.PROMISE_MISSED,
    CadenceAlertKind.ESCALATION: TimelineKind.ESCALATED,
    CadenceAlertKind.STALE: TimelineKind.NUDGED,
    CadenceAlertKind.CHECKIN: TimelineKind.CHECKIN_MISSED,
}


@dataclass
class TickResult:
    """How many alerts of each kind this run raised (nothing is counted twice across runs)."""

    raised: dict[CadenceAlertKind, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.raised.values())


def send_cadence_alerts(*, now: datetime, site: Site) -> TickResult:
    """Raise every reminder, overdue mark and escalation that has fallen due and was not raised yet.

    Reminders go out between `remind_at` and the due time (a reminder after the due time would
    only repeat the overdue mark); the overdue mark at the due time, with the late notice the
    audience reads from then on; the escalation after the grace. Only promises still open count, so a kept, missed or cancelled promise raises nothing.
    """
    reminders = _insert_promise_alerts(
        CadenceAlertKind.REMINDER,
        Promise.remind_at <= now,
        sa.not_(is_overdue(Promise.due_at, now)),
        now=now,
    )
    overdue = _insert_promise_alerts(
        CadenceAlertKind.OVERDUE, is_overdue(Promise.due_at, now), now=now
    )
    _keep_late_notices([row.promise_id for row in overdue], site=site)
    escalations = _insert_promise_alerts(
        CadenceAlertKind.ESCALATION, Promise.escalate_at <= now, now=now
    )
    alerts = raised_alerts([*reminders, *overdue, *escalations])
    announce(alerts, now=now, site=site)
    # Public surfaces are cached by publication version: the "next update by" they show must
    # turn into the late notice now, not at the next publication.
    if any(a.kind is CadenceAlertKind.OVERDUE and a.audience.is_public for a in alerts):
        bump_publication(now=now)
    result = TickResult()
    for alert in alerts:
        result.raised[alert.kind] = result.raised.get(alert.kind, 0) + 1
    return result


def nudge_stale_incidents(*, now: datetime, quiet_for: timedelta, site: Site) -> int:
    """Nudge the leads of each incident that has been monitoring for `quiet_for` with no update.

    Once per quiet spell: the key is the moment the incident went quiet (it reached monitoring, or
    its last update), so a new update followed by another long silence nudges again.
    """
    last_update = (
        sa.select(sa.func.max(Update.published_at))
        .where(Update.incident_id == Incident.id, Update.state == UpdateState.PUBLISHED)
        .scalar_subquery()
    )
    monitoring = db.session.execute(
        sa.select(Incident.id, Incident.monitoring_at, last_update).where(
            Incident.kind == IncidentKind.INCIDENT, Incident.status == IncidentStatus.MONITORING
        )
    ).all()
    inserted: list[sa.Row] = []
    for incident_id, monitoring_at, last_update_at in monitoring:
        quiet_since = max(moment for moment in (monitoring_at, last_update_at) if moment)
        if quiet_since + quiet_for > now:
            continue
        inserted += insert_alert(
            incident_id=incident_id, kind=CadenceAlertKind.STALE, about_at=quiet_since, now=now
        )
    announce(raised_alerts(inserted), now=now, site=site)
    return len(inserted)


def insert_alert(
    *, kind: CadenceAlertKind, about_at: datetime, now: datetime, **about: int
) -> list[sa.Row]:
    """Raise one alert that is not about a promise, unless its key was raised before: the row
    (RETURNED) in a list, or an empty list."""
    statement = (
        insert_ignoring_duplicates(CadenceAlert)
        .values(kind=kind, about_at=about_at, created_at=now, **about)
        .returning(*RETURNED)
    )
    return list(db.session.execute(statement))


# What an insert returns of each alert it raised.
RETURNED = (
    CadenceAlert.id,
    CadenceAlert.incident_id,
    CadenceAlert.audience_id,
    CadenceAlert.promise_id,
    CadenceAlert.kind,
    CadenceAlert.about_at,
    CadenceAlert.about_user_id,
)

# The promise column recording that each kind of alert was raised for it.
_RAISED_AT = {
    CadenceAlertKind.REMINDER: Promise.reminded_at,
    CadenceAlertKind.OVERDUE: Promise.overdue_at,
    CadenceAlertKind.ESCALATION: Promise.escalated_at,
}


def _insert_promise_alerts(
    kind: CadenceAlertKind, *conditions: sa.ColumnElement[bool], now: datetime
) -> list[sa.Row]:
    # The promise's own "raised at" column keeps the candidates few without a join to the alerts;
    # ON CONFLICT is what makes the alert once-only when another transaction raises it
    # concurrently (that one marks the promise, so only what this statement inserted is marked).
    raised_at = _RAISED_AT[kind]
    due = sa.select(
        Promise.incident_id,
        Promise.audience_id,
        Promise.id,
        sa.literal(kind, CadenceAlert.__table__.c.kind.type),
        Promise.due_at,
        sa.literal(now, UTCDateTime()),
    ).where(Promise.state == PromiseState.OPEN, raised_at.is_(None), *conditions)
    statement = (
        insert_ignoring_duplicates(CadenceAlert)
        .from_select(
            ["incident_id", "audience_id", "promise_id", "kind", "about_at", "created_at"], due
        )
        .returning(*RETURNED)
    )
    inserted = db.session.execute(statement).all()
    if inserted:
        db.session.execute(
            sa.update(Promise)
            .where(Promise.id.in_([row.promise_id for row in inserted]))
            .values({raised_at: now})
        )
    return inserted


def _keep_late_notices(promise_ids: list[int], *, site: Site) -> None:
    """Render the late notice of each promise just marked overdue, once, and keep it on the
    promise: surfaces read the kept text and never render what an admin wrote."""
    if not promise_ids:
        return
    # A burst marks thousands overdue at once: their incidents and components load in batches.
    promises = db.session.scalars(
        sa.select(Promise)
        .where(Promise.id.in_(promise_ids))
        .options(
            selectinload(Promise.audience),
            selectinload(Promise.incident)
            .selectinload(Incident.components)
            .selectinload(IncidentComponent.component),
        )
        .order_by(Promise.id)
    ).all()
    notices = render_late_notices(promises, site=site)
    for promise in promises:
        promise.late_notice = notices[promise.id]


def raised_alerts(rows: Sequence[sa.Row]) -> list[RaisedAlert]:
    """What announcing needs of the alerts an insert returned (its RETURNED columns)."""
    if not rows:
        return []
    incidents = _alerted_incidents({row.incident_id for row in rows})
    audiences = {audience.id: audience for audience in db.session.scalars(sa.select(Audience))}
    about = {row.about_user_id for row in rows} - {None}
    responders = {
        user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(about)))
    }
    return [
        RaisedAlert(
            id=row.id,
            kind=row.kind,
            about_at=row.about_at,
            promise_id=row.promise_id,
            incident=incidents[row.incident_id],
            audience=audiences.get(row.audience_id),
            about_user=responders.get(row.about_user_id),
        )
        for row in sorted(rows, key=lambda row: row.id)
    ]


def _alerted_incidents(ids: set[int]) -> dict[int, AlertedIncident]:
    # Plain rows: a burst announces alerts on a thousand incidents at once, and their rosters
    # name only a handful of distinct people, loaded once each.
    roster = db.session.execute(
        sa.select(RosterAssignment.incident_id, RosterAssignment.role, RosterAssignment.user_id)
        .where(RosterAssignment.incident_id.in_(ids))
        .order_by(RosterAssignment.id)
    ).all()
    people = {
        user.id: user
        for user in db.session.scalars(
            sa.select(User).where(User.id.in_({row.user_id for row in roster}))
        )
    }
    duties: dict[int, list[RosterEntry]] = {}
    for incident_id, duty, user_id in roster:
        duties.setdefault(incident_id, []).append(RosterEntry(duty, people[user_id]))
    rows = db.session.execute(
        sa.select(
            Incident.id,
            Incident.title,
            Incident.severity,
            Incident.status,
            Incident.chat_hook_kind,
            Incident.chat_hook_url,
        ).where(Incident.id.in_(ids))
    )
    return {
        row.id: AlertedIncident(
            row.id,
            row.title,
            row.severity,
            row.status,
            tuple(duties.get(row.id, ())),
            ChatHook(row.chat_hook_kind, row.chat_hook_url)
            if row.chat_hook_kind and row.chat_hook_url
            else None,
        )
        for row in rows
    }


def announce(alerts: Sequence[RaisedAlert], *, now: datetime, site: Site) -> None:
    """Put each newly raised alert on its incident's timeline and tell its recipients."""
    if not alerts:
        return
    admins = db.session.scalars(
        sa.select(User).where(User.role == Role.ADMIN, User.is_active).order_by(User.id)
    ).all()
    notices = [Notice(alert, recipients_for(alert, admins=admins)) for alert in alerts]
    record_system_events(
        (
            (
                notice.alert.incident.id,
                _TIMELINE_KINDS[notice.alert.kind],
                describe_alert(notice.alert, notice.recipients, now=now, zone=site.zone),
                {
                    "alert_id": notice.alert.id,
                    "kind": str(notice.alert.kind),
                    "audience": notice.alert.audience.slug if notice.alert.audience else None,
                    "about_at": notice.alert.about_at.isoformat(),
                    "about_user": notice.alert.about_user.id if notice.alert.about_user else None,
                    "recipients": [recipient.user.id for recipient in notice.recipients],
                },
            )
            for notice in notices
        ),
        now=now,
    )
    notify_alerts(notices, site=site, now=now)
    paging.page_escalations(notices, site=site, now=now)
