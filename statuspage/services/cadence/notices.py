"""Telling people about cadence alerts: who hears of each (the duty's holders, else the leads,
else the admins), what their email and the timeline say, and the console banner of what they owe.

A burst tick announces thousands of alerts, so what they say about their incidents comes as plain
values (AlertedIncident, RosterEntry) read in a few batched queries, not as ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from statuspage.core.addresses import console_compose_path, console_incident_path
from statuspage.core.site import Site
from statuspage.core.times import describe_duration, format_time
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    CadenceAlert,
    CadenceAlertKind,
    CadenceAlertRecipient,
    Incident,
    IncidentStatus,
    Promise,
    PromiseState,
    RosterRole,
    Severity,
    SubscriberKind,
    TimelineEvent,
    TimelineKind,
    Update,
    UpdateState,
    User,
)
from statuspage.services.outbox.enqueue import OutgoingEmail, enqueue_emails

# Who hears about a missed promise after the grace, and about a stale incident.
INCIDENT_LEADS = (RosterRole.COMMANDER, RosterRole.DEPUTY)
# Who hears of a missed check-in: the deputy (the seed's duty: keep responders reporting to the
# commander), else the commander.
CHECKIN_KEEPERS = ((RosterRole.DEPUTY,), (RosterRole.COMMANDER,))


@dataclass(frozen=True)
class RosterEntry:
    """Who holds one duty on an incident."""

    duty: RosterRole
    user: User


@dataclass(frozen=True)
class ChatHook:
    """A Slack or Teams incoming webhook an alert is posted to."""

    kind: SubscriberKind
    url: str


@dataclass(frozen=True)
class AlertedIncident:
    """What an alert's messages say about its incident."""

    id: int
    title: str
    severity: Severity | None
    status: IncidentStatus
    roster: tuple[RosterEntry, ...]
    chat_hook: ChatHook | None = None  # the incident's own channel


@dataclass(frozen=True)
class RaisedAlert:
    """An alert this run inserted, with what announcing it needs."""

    id: int
    kind: CadenceAlertKind
    about_at: datetime
    promise_id: int | None
    incident: AlertedIncident
    audience: Audience | None  # None for a stale nudge and a missed check-in
    about_user: User | None = None  # the responder whose check-in is missing


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
                text=_told(message, recipient),
                dedupe_key=f"cadence:{alert.id}:{recipient.user.id}",
                name=recipient.user.name,
                link=message.link,
            )
            for recipient in notice.recipients
        ]
        emails += _chat_copies(notice, message)
    enqueue_emails(emails, now=now)


def _chat_copies(notice: Notice, message: AlertMessage) -> list[OutgoingEmail]:
    """The alert posted to the incident's channel and to each recipient's own, once each (the
    same dedupe as the emails: keyed by alert and hook owner)."""
    alert = notice.alert
    hooks = [(f"cadence-chat:{alert.id}:incident", alert.incident.chat_hook, message.text)]
    hooks += [
        (
            f"cadence-chat:{alert.id}:{recipient.user.id}",
            own_hook(recipient.user),
            _told(message, recipient),
        )
        for recipient in notice.recipients
    ]
    return [
        OutgoingEmail(
            address=hook.url,
            subject=message.subject,
            text=text,
            dedupe_key=key,
            link=message.link,
            channel=hook.kind,
        )
        for key, hook, text in hooks
        if hook is not None
    ]


def _told(message: AlertMessage, recipient: Recipient) -> str:
    return f"{message.text}\n\n{_why_told(recipient)}"


def own_hook(user: User) -> ChatHook | None:
    """The person's own chat hook, if they added one on their profile."""
    if user.chat_hook_kind is None or not user.chat_hook_url:
        return None
    return ChatHook(SubscriberKind(user.chat_hook_kind), user.chat_hook_url)


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
    console = site.url + console_incident_path(incident.id)
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
    if alert.kind is CadenceAlertKind.CHECKIN:
        return _checkin_message(alert, about=about, site=site, now=now, link=console)
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
    return AlertMessage(subject, "\n\n".join(lines), site.url + console_compose_path(incident.id))


def recipients_for(alert: RaisedAlert, *, admins: Sequence[User]) -> list[Recipient]:
    """Who the alert is for: the audience's liaison(s) for reminders and overdue marks, the
    commander and deputy for escalations and nudges.

    Whoever is next in line hears it when nobody holds the duty (the leads, then the admins), so an
    alert never goes unheard.
    """
    incident = alert.incident
    if alert.kind in (CadenceAlertKind.REMINDER, CadenceAlertKind.OVERDUE):
        chain: list[tuple[RosterRole, ...]] = [(alert.audience.liaison_role,), INCIDENT_LEADS]
    elif alert.kind is CadenceAlertKind.CHECKIN:
        chain = list(CHECKIN_KEEPERS)
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
    while the incident is still monitoring with no update since, a missed check-in until the
    responder adds a note (or the incident is resolved).
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
    reported_since = (
        sa.select(TimelineEvent.id)
        .where(
            TimelineEvent.incident_id == CadenceAlert.incident_id,
            TimelineEvent.kind == TimelineKind.NOTE,
            TimelineEvent.actor_id == CadenceAlert.about_user_id,
            TimelineEvent.occurred_at >= CadenceAlert.about_at,
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
        sa.and_(
            CadenceAlert.kind == CadenceAlertKind.CHECKIN,
            Incident.status != IncidentStatus.RESOLVED,
            ~reported_since,
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


def describe_alert(
    alert: RaisedAlert, recipients: Sequence[Recipient], *, now: datetime, zone: str
) -> str:
    """What the incident's timeline says of an alert: what is due or late, and who was told."""
    told = ", ".join(_name(recipient) for recipient in recipients) or "nobody (no one to tell)"
    if alert.kind is CadenceAlertKind.STALE:
        quiet = describe_duration(now - alert.about_at)
        return (
            f"Nudged {told}: monitoring for {quiet} with no update; "
            "post one or resolve the incident."
        )
    due = format_time(alert.about_at, zone)
    if alert.kind is CadenceAlertKind.CHECKIN:
        return f"Told {told}: {_responder(alert)}'s check-in was due by {due}."
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


def _checkin_message(
    alert: RaisedAlert, *, about: str, site: Site, now: datetime, link: str
) -> AlertMessage:
    responder = _responder(alert)
    due = format_time(alert.about_at, site.zone)
    late = describe_duration(now - alert.about_at)
    subject = f"Check-in missing: {responder} on {alert.incident.title}"
    lines = [
        f"{responder} has not reported on {about}: their check-in was due by {due}, {late} ago.",
        "Ask them where things stand, and have them add a note to the timeline.",
    ]
    return AlertMessage(subject, "\n\n".join(lines), link)


def _responder(alert: RaisedAlert) -> str:
    return alert.about_user.name if alert.about_user else "A responder"


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
