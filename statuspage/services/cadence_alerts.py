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
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from statuspage.core.dbtypes import UTCDateTime
from statuspage.core.site import Site
from statuspage.core.times import describe_duration, format_time, is_overdue
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    CadenceAlert,
    CadenceAlertKind,
    CadenceAlertRecipient,
    Incident,
    IncidentKind,
    IncidentStatus,
    Promise,
    PromiseState,
    Role,
    RosterAssignment,
    RosterRole,
    Severity,
    TimelineKind,
    Update,
    UpdateState,
    User,
)
from statuspage.services.outbox.enqueue import OutgoingEmail, enqueue_emails
from statuspage.services.public.version import bump_publication
from statuspage.services.records import record_system_events

# Who hears about a missed promise after the grace, and about a stale incident.
INCIDENT_LEADS = (RosterRole.COMMANDER, RosterRole.DEPUTY)
_TIMELINE_KINDS = {
    CadenceAlertKind.REMINDER: TimelineKind.REMINDER_SENT,
    CadenceAlertKind.OVERDUE: TimelineKind.PROMISE_MISSED,
    CadenceAlertKind.ESCALATION: TimelineKind.ESCALATED,
    CadenceAlertKind.STALE: TimelineKind.NUDGED,
}


@dataclass(frozen=True)
class RosterEntry:
    """Who holds one duty on an incident."""

    duty: RosterRole
    user: User


@dataclass(frozen=True)
class AlertedIncident:
    """What an alert's messages say about its incident."""

    id: int
    title: str
    severity: Severity | None
    status: IncidentStatus
    roster: tuple[RosterEntry, ...]


@dataclass(frozen=True)
class RaisedAlert:
    """An alert this run inserted, with what announcing it needs."""

    id: int
    kind: CadenceAlertKind
    about_at: datetime
    promise_id: int | None
    incident: AlertedIncident
    audience: Audience | None  # None for a stale nudge


@dataclass(frozen=True)
class Recipient:
    """A person to tell about an alert, and the duty that makes them the one to tell."""

    user: User
    duty: RosterRole | None  # None: an admin, told because nobody holds the duty


@dataclass(frozen=True)
class Notice:
    """A newly raised alert and the people to tell about it."""

    alert: RaisedAlert
    recipients: list[Recipient]


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
    only repeat the overdue mark); the overdue mark at the due time; the escalation after the
    grace. Only promises still open count, so a kept, missed or cancelled promise raises nothing.
    """
    alerts = _raised(
        [
            *_insert_promise_alerts(
                CadenceAlertKind.REMINDER,
                Promise.remind_at <= now,
                sa.not_(is_overdue(Promise.due_at, now)),
                now=now,
            ),
            *_insert_promise_alerts(
                CadenceAlertKind.OVERDUE, is_overdue(Promise.due_at, now), now=now
            ),
            *_insert_promise_alerts(
                CadenceAlertKind.ESCALATION, Promise.escalate_at <= now, now=now
            ),
        ]
    )
    _announce(alerts, now=now, site=site)
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
        statement = (
            _insert_ignoring_duplicates(CadenceAlert)
            .values(
                incident_id=incident_id,
                kind=CadenceAlertKind.STALE,
                about_at=quiet_since,
                created_at=now,
            )
            .returning(*_RETURNED)
        )
        inserted.extend(db.session.execute(statement))
    _announce(_raised(inserted), now=now, site=site)
    return len(inserted)


def notify_alerts(notices: Sequence[Notice], *, site: Site, now: datetime) -> None:
    """Tell each newly raised alert's recipients, in the transaction that raised the alerts.

    Called once per run with every alert the run raised, so never twice for one alert. Per
    (alert, person) it records the row the console banner reads and queues an email in the
    outbox, keyed by the pair so that it is queued once however often this runs. One batched
    statement each for the lot: a burst may raise thousands at once.
    """
    rows = [
        {"alert_id": notice.alert.id, "user_id": r.user.id, "duty": r.duty, "created_at": now}
        for notice in notices
        for r in notice.recipients
    ]
    if not rows:
        return
    db.session.execute(sa.insert(CadenceAlertRecipient.__table__), rows)
    emails = []
    escalations = _escalation_times(notices)
    for notice in notices:
        alert = notice.alert
        message = alert_message(
            alert, site=site, now=now, escalate_at=escalations.get(alert.promise_id or 0)
        )
        emails += [
            OutgoingEmail(
                address=recipient.user.email,
                subject=message.subject,
                text=f"{message.text}\n\n{_why_told(recipient)}",
                dedupe_key=f"cadence:{alert.id}:{recipient.user.id}",
                name=recipient.user.name,
                link=message.link,
            )
            for recipient in notice.recipients
        ]
    enqueue_emails(emails, now=now)


@dataclass(frozen=True)
class AlertMessage:
    """What an alert's email says to every recipient (each is also told why it is them)."""

    subject: str
    text: str
    link: str


def alert_message(
    alert: RaisedAlert, *, site: Site, now: datetime, escalate_at: datetime | None = None
) -> AlertMessage:
    """What is due or late, by when, and where to act: the email about an alert.

    Times are in the page's zone; the link goes to the console's compose page for the incident
    (its incident page for a stale nudge). An overdue mark says when it escalates (`escalate_at`).
    """
    incident = alert.incident
    console = f"{site.url}/admin/incidents/{incident.id}"
    about = f"“{incident.title}” ({incident.severity}, {incident.status.label})"
    if alert.kind is CadenceAlertKind.STALE:
        quiet = describe_duration(now - alert.about_at)
        since = format_time(alert.about_at, site.zone)
        subject = f"Nudge: {incident.title} has been monitoring for {quiet} with no update"
        lines = [
            f"{about} has had no update for {quiet}, since {since}.",
            "Post an update, or resolve the incident if it is over.",
        ]
        return AlertMessage(subject, "\n\n".join(lines), console)
    assert alert.audience is not None
    audience = alert.audience.name
    due = format_time(alert.about_at, site.zone)
    late = describe_duration(now - alert.about_at)
    head = f"{audience} update for {incident.title}"
    if alert.kind is CadenceAlertKind.REMINDER:
        left = describe_duration(alert.about_at - now)
        subject = f"Reminder: {head} due by {due}"
        lines = [f"The next update to {audience} on {about} is due by {due}, in {left}."]
    elif alert.kind is CadenceAlertKind.OVERDUE:
        subject = f"Late: {head} was due by {due}"
        lines = [f"The update to {audience} on {about} was due by {due}: it is {late} late."]
        if escalate_at is not None and escalate_at > now:
            escalate = format_time(escalate_at, site.zone)
            lines.append(
                f"If it is still missing at {escalate}, the incident's commander and deputy "
                "will be told."
            )
    else:
        subject = f"Escalation: {head} is {late} late"
        lines = [
            f"The update to {audience} on {about} was due by {due}: it is {late} late.",
            _liaison_line(alert),
        ]
    return AlertMessage(subject, "\n\n".join(lines), f"{console}/compose")


def recipients_for(alert: RaisedAlert, *, admins: Sequence[User]) -> list[Recipient]:
    """Who the alert is for: the audience's liaison(s) for reminders and overdue marks, the
    commander and deputy for escalations and nudges.

    Whoever is next in line hears it when nobody holds the duty (the leads, then the admins), so an
    alert never goes unheard.
    """
    incident = alert.incident
    if alert.kind in (CadenceAlertKind.REMINDER, CadenceAlertKind.OVERDUE):
        chain: list[tuple[RosterRole, ...]] = [(alert.audience.liaison_role,), INCIDENT_LEADS]
    else:
        chain = [INCIDENT_LEADS]
    for duties in chain:
        found: dict[int, Recipient] = {}
        for duty in duties:
            for entry in incident.roster:
                if entry.duty is duty and entry.user.is_active:
                    found.setdefault(entry.user.id, Recipient(entry.user, duty))
        if found:
            return list(found.values())
    return [Recipient(admin, None) for admin in admins]


def open_alerts_for(user: User) -> list[CadenceAlert]:
    """The alerts the user was told about that still need doing, newest first, one per promise.

    What the console banner shows: a promise alert lasts while its promise is open, a stale nudge
    while the incident is still monitoring with no update since.
    """
    update_since = (
        sa.select(Update.id)
        .where(
            Update.incident_id == CadenceAlert.incident_id,
            Update.state == UpdateState.PUBLISHED,
            Update.published_at > CadenceAlert.about_at,
        )
        .exists()
    )
    still_open = sa.or_(
        Promise.state == PromiseState.OPEN,
        sa.and_(
            CadenceAlert.kind == CadenceAlertKind.STALE,
            Incident.status == IncidentStatus.MONITORING,
            ~update_since,
        ),
    )
    alerts = db.session.scalars(
        sa.select(CadenceAlert)
        .join(CadenceAlertRecipient, CadenceAlertRecipient.alert_id == CadenceAlert.id)
        .join(Incident, Incident.id == CadenceAlert.incident_id)
        .outerjoin(Promise, Promise.id == CadenceAlert.promise_id)
        .where(CadenceAlertRecipient.user_id == user.id, still_open)
        .options(joinedload(CadenceAlert.incident), joinedload(CadenceAlert.audience))
        .order_by(CadenceAlert.created_at.desc(), CadenceAlert.id.desc())
    ).all()
    seen: set[int] = set()
    latest = []
    for alert in alerts:
        if alert.promise_id is None or alert.promise_id not in seen:
            latest.append(alert)
        if alert.promise_id is not None:
            seen.add(alert.promise_id)
    return latest


# What an insert returns of each alert it raised.
_RETURNED = (
    CadenceAlert.id,
    CadenceAlert.incident_id,
    CadenceAlert.audience_id,
    CadenceAlert.promise_id,
    CadenceAlert.kind,
    CadenceAlert.about_at,
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
        _insert_ignoring_duplicates(CadenceAlert)
        .from_select(
            ["incident_id", "audience_id", "promise_id", "kind", "about_at", "created_at"], due
        )
        .returning(*_RETURNED)
    )
    inserted = db.session.execute(statement).all()
    if inserted:
        db.session.execute(
            sa.update(Promise)
            .where(Promise.id.in_([row.promise_id for row in inserted]))
            .values({raised_at: now})
        )
    return inserted


def _insert_ignoring_duplicates(entity: type[CadenceAlert]) -> sa.Insert:
    # Both dialects spell it ON CONFLICT DO NOTHING; there is no portable construct for it.
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(entity).on_conflict_do_nothing()


def _raised(rows: Sequence[sa.Row]) -> list[RaisedAlert]:
    if not rows:
        return []
    incidents = _alerted_incidents({row.incident_id for row in rows})
    audiences = {audience.id: audience for audience in db.session.scalars(sa.select(Audience))}
    return [
        RaisedAlert(
            id=row.id,
            kind=row.kind,
            about_at=row.about_at,
            promise_id=row.promise_id,
            incident=incidents[row.incident_id],
            audience=audiences.get(row.audience_id),
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
        sa.select(Incident.id, Incident.title, Incident.severity, Incident.status).where(
            Incident.id.in_(ids)
        )
    )
    return {
        row.id: AlertedIncident(
            row.id, row.title, row.severity, row.status, tuple(duties.get(row.id, ()))
        )
        for row in rows
    }


def _announce(alerts: Sequence[RaisedAlert], *, now: datetime, site: Site) -> None:
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
                _describe(notice.alert, notice.recipients, now=now, zone=site.zone),
                {
                    "alert_id": notice.alert.id,
                    "kind": str(notice.alert.kind),
                    "audience": notice.alert.audience.slug if notice.alert.audience else None,
                    "about_at": notice.alert.about_at.isoformat(),
                    "recipients": [recipient.user.id for recipient in notice.recipients],
                },
            )
            for notice in notices
        ),
        now=now,
    )
    notify_alerts(notices, site=site, now=now)


def _describe(
    alert: RaisedAlert, recipients: Sequence[Recipient], *, now: datetime, zone: str
) -> str:
    told = ", ".join(_name(recipient) for recipient in recipients) or "nobody (no one to tell)"
    if alert.kind is CadenceAlertKind.STALE:
        quiet = describe_duration(now - alert.about_at)
        return (
            f"Nudged {told}: monitoring for {quiet} with no update; "
            "post one or resolve the incident."
        )
    due = format_time(alert.about_at, zone)
    audience = alert.audience.name
    if alert.kind is CadenceAlertKind.REMINDER:
        return f"Reminded {told}: the next update to {audience} is due by {due}."
    if alert.kind is CadenceAlertKind.OVERDUE:
        return f"The update to {audience} due by {due} is late; told {told}."
    late = describe_duration(now - alert.about_at)
    return f"Escalated to {told}: the update to {audience} due by {due} is {late} late."


def _escalation_times(notices: Sequence[Notice]) -> dict[int, datetime | None]:
    # Plain columns, not Promise objects: a burst has thousands of overdue marks.
    overdue = [n.alert.promise_id for n in notices if n.alert.kind is CadenceAlertKind.OVERDUE]
    if not overdue:
        return {}
    rows = db.session.execute(
        sa.select(Promise.id, Promise.escalate_at).where(Promise.id.in_(overdue))
    )
    return {promise_id: escalate_at for promise_id, escalate_at in rows}


def _liaison_line(alert: RaisedAlert) -> str:
    assert alert.audience is not None
    duty = alert.audience.liaison_role
    names = [e.user.name for e in alert.incident.roster if e.duty is duty and e.user.is_active]
    if not names:
        return f"Nobody holds the {duty.label.lower()} duty: assign one, or write the update."
    return f"{duty.label}: {', '.join(names)}."


def _why_told(recipient: Recipient) -> str:
    if recipient.duty is None:
        return "You receive this as an admin: nobody on the incident's roster holds the duty."
    return f"You receive this as the incident's {recipient.duty.label.lower()}."


def _name(recipient: Recipient) -> str:
    duty = recipient.duty.label.lower() if recipient.duty else "admin"
    return f"{recipient.user.name} ({duty})"
