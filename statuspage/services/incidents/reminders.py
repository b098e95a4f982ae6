"""Reminders before a maintenance window starts: each audience's hours ("72,24,1"), armed when
the window is planned or moved, sent once each by the scheduler to the audience's email
subscribers.

Arming inserts one row per audience and offset still ahead (`insert_ignoring_duplicates` on the
window, audience, offset and the start it reminds of), so an offset already past when the window
was planned is never owed, and a moved window owes reminders for its new start while the rows of
the old start no longer match it. Sending picks due rows under a row lock (FOR UPDATE SKIP LOCKED
on PostgreSQL) and marks them sent; each email has a dedupe key too, so a second run or a second
scheduler queues nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from statuspage.core.addresses import incident_path, internal_path
from statuspage.core.errors import ValidationError
from statuspage.core.language import in_page_language
from statuspage.core.site import Site
from statuspage.core.times import format_window
from statuspage.extensions import db, insert_ignoring_duplicates
from statuspage.models import Audience, Incident, IncidentStatus, MaintenanceReminder
from statuspage.services.outbox import enqueue

MAX_OFFSETS = 6
MAX_HOURS = 24 * 30


def parse_reminder_hours(text: str) -> str:
    """An admin's "72, 24, 1" as the stored "72,24,1" (largest first); blank means no reminders."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not all(re.fullmatch(r"[0-9]{1,4}", p) for p in parts):
        raise ValidationError(
            "Reminder hours are whole numbers of hours separated by commas, e.g. 72, 24, 1.",
            field="maintenance_reminders",
        )
    hours = sorted({int(p) for p in parts}, reverse=True)
    if len(hours) > MAX_OFFSETS or any(h < 1 or h > MAX_HOURS for h in hours):
        raise ValidationError(
            f"At most {MAX_OFFSETS} reminders, each between 1 and {MAX_HOURS} hours before.",
            field="maintenance_reminders",
        )
    return ",".join(str(h) for h in hours)


def reminder_hours(audience: Audience) -> list[int]:
    """The audience's offsets in hours, largest first (none when the setting is blank)."""
    return [int(p) for p in (audience.maintenance_reminders or "").split(",") if p.strip()]


def arm_reminders(window: Incident, audiences: Iterable[Audience], *, now: datetime) -> int:
    """Owe each audience a reminder at each of its offsets before the window's start that is
    still ahead of `now`; returns how many were armed."""
    start = window.scheduled_for
    if start is None or window.status is not IncidentStatus.SCHEDULED:
        return 0
    rows = [
        {
            "incident_id": window.id,
            "audience_id": audience.id,
            "hours_before": hours,
            "starts_at": start,
            "due_at": start - timedelta(hours=hours),
        }
        for audience in audiences
        for hours in reminder_hours(audience)
        if start - timedelta(hours=hours) > now
    ]
    if rows:
        db.session.execute(insert_ignoring_duplicates(MaintenanceReminder), rows)
    return len(rows)


def disarm_reminders(window: Incident) -> None:
    """Forget the reminders not sent yet (the window was moved or cancelled)."""
    db.session.execute(
        sa.delete(MaintenanceReminder).where(
            MaintenanceReminder.incident_id == window.id, MaintenanceReminder.sent_at.is_(None)
        )
    )


def send_due_reminders(*, now: datetime, site: Site) -> int:
    """Queue every reminder whose time has come for a window still planned at the start it
    reminds of; returns how many reminders went (each to all of its audience's subscribers)."""
    due = db.session.scalars(
        sa.select(MaintenanceReminder)
        .join(Incident, Incident.id == MaintenanceReminder.incident_id)
        .where(
            MaintenanceReminder.sent_at.is_(None),
            MaintenanceReminder.due_at <= now,
            Incident.status == IncidentStatus.SCHEDULED,
            Incident.scheduled_for == MaintenanceReminder.starts_at,
            Incident.scheduled_for > now,
        )
        .order_by(MaintenanceReminder.due_at, MaintenanceReminder.id)
        .with_for_update(skip_locked=True, of=MaintenanceReminder)
    ).all()
    # A scheduler that was away may find several due for one audience: only the nearest goes
    # ("in 1 hour", not also "in 24 hours"); the others count as sent.
    nearest = {}
    for reminder in due:
        key = (reminder.incident_id, reminder.audience_id)
        if key not in nearest or reminder.hours_before < nearest[key].hours_before:
            nearest[key] = reminder
        reminder.sent_at = now
    for reminder in nearest.values():
        _queue(reminder, site=site, now=now)
    db.session.flush()
    return len(nearest)


@in_page_language
def _queue(reminder: MaintenanceReminder, *, site: Site, now: datetime) -> None:
    """Queue the reminder to each subscriber, worded in the page's language."""
    window = db.session.get_one(Incident, reminder.incident_id)
    audience = db.session.get_one(Audience, reminder.audience_id)
    assert window.scheduled_for is not None and window.scheduled_until is not None
    name = window.public_name if audience.is_public else window.title
    when = format_window(window.scheduled_for, window.scheduled_until, site.zone, now=now)
    components = [link.component for link in window.components]
    shown = [c for c in components if c.is_public or not audience.is_public]
    starts_in = _hours(reminder.hours_before)
    lines = [
        gettext(
            "Scheduled maintenance “%(name)s” starts in %(span)s: %(when)s.",
            name=name,
            span=starts_in,
            when=when,
        )
    ]
    if shown:
        lines.append(gettext("Affected: %(names)s.", names=", ".join(c.name for c in shown)))
    link = site.url + (incident_path(window.id) if audience.is_public else internal_path())
    enqueue.enqueue_emails(
        [
            enqueue.OutgoingEmail(
                address,
                subject=gettext("Reminder: %(name)s starts in %(span)s", name=name, span=starts_in),
                text="\n\n".join(lines),
                dedupe_key=f"maintenance-reminder:{reminder.id}:{subscriber_id}",
                name=subscriber_name,
                link=link,
                subscriber_id=subscriber_id,
            )
            for subscriber_id, address, subscriber_name in enqueue.email_subscribers(
                audience.id, [c.id for c in components]
            )
        ],
        now=now,
    )


def _hours(hours: int) -> str:
    if hours % 24 == 0 and hours >= 48:
        return ngettext("%(num)d day", "%(num)d days", hours // 24)
    return ngettext("%(num)d hour", "%(num)d hours", hours)
