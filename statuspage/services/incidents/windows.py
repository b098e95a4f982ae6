"""Changing a maintenance window after it was planned: editing or moving it before it starts,
cancelling it, extending or completing early one underway; and planning a repeating series.

Every change that moves or ends a window is an update published to each audience told of it
(so the public page, the JSON API, the feeds, the calendar and the subscribers' emails learn it
the one way they learn anything), saying what changed: "moved from Dec 3, 02:00–04:00 UTC to
Dec 5, 02:00–04:00 UTC", "cancelled". A window completed or cancelled is closed: it cannot move.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from statuspage.core.errors import InvalidTransition, NotFound, ValidationError
from statuspage.core.site import Site
from statuspage.core.times import format_datetime, format_window, in_zone, wall_clock_instant
from statuspage.extensions import db
from statuspage.models import Audience, Component, Incident, IncidentStatus, User
from statuspage.services.incidents import maintenance, publishing, reminders
from statuspage.services.incidents.lifecycle import TITLE_LENGTH, change_status
from statuspage.services.public.version import bump_publication
from statuspage.services.records import record_audit
from statuspage.services.validation import clean_optional_text, clean_text

UNDERWAY = (IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)
NOTE_LENGTH = 2_000
REPEATS = {"daily": 1, "weekly": 7}
MAX_OCCURRENCES = 52


def get_window(window_id: int) -> Incident:
    """The maintenance window with this id, or NotFound."""
    window = db.session.get(Incident, window_id)
    if window is None or not window.is_maintenance:
        raise NotFound(f"There is no maintenance window {window_id}.")
    return window


def reschedule_window(
    window: Incident,
    *,
    title: str,
    starts: datetime,
    ends: datetime,
    note: str = "",
    site: Site,
    by: User,
    now: datetime,
) -> bool:
    """Edit a window not yet started: its title, and its times. A move tells every audience told
    of it (and re-arms the reminders for the new start); returns whether it moved."""
    if window.status is not IncidentStatus.SCHEDULED:
        raise InvalidTransition(
            f"A {window.status.label.lower()} window cannot be rescheduled"
            + (": extend it or complete it instead." if window.status in UNDERWAY else ".")
        )
    _check_span(starts, ends, now=now)
    assert window.scheduled_for is not None and window.scheduled_until is not None
    old = format_window(window.scheduled_for, window.scheduled_until, site.zone, now=now)
    moved = (starts, ends) != (window.scheduled_for, window.scheduled_until)
    window.title = clean_text(title, field="title", max_length=TITLE_LENGTH)
    window.scheduled_for, window.scheduled_until, window.started_at = starts, ends, starts
    window.updated_at = now
    if moved:
        new = format_window(starts, ends, site.zone, now=now)
        _tell(
            window,
            IncidentStatus.SCHEDULED,
            f"Rescheduled: moved from {old} to {new}.",
            note,
            by=by,
            now=now,
        )
        reminders.disarm_reminders(window)
        reminders.arm_reminders(window, maintenance.audiences_to_tell(window), now=now)
    elif window.is_public:
        bump_publication(now=now)
    record_audit(
        by,
        "maintenance.edit",
        "incident",
        window.id,
        now=now,
        details={"title": window.title, "moved": moved},
    )
    return moved


def cancel_window(
    window: Incident, *, note: str = "", site: Site, by: User, now: datetime
) -> Incident:
    """Call off a window not yet started: it leaves upcoming maintenance, every audience told of
    it hears so, and no reminder goes."""
    if window.status is not IncidentStatus.SCHEDULED:
        raise InvalidTransition(
            f"A {window.status.label.lower()} window cannot be cancelled"
            + (": complete it instead." if window.status in UNDERWAY else ".")
        )
    assert window.scheduled_for is not None and window.scheduled_until is not None
    when = format_window(window.scheduled_for, window.scheduled_until, site.zone, now=now)
    text = f"Cancelled: the maintenance planned for {when} will not take place."
    _tell(window, IncidentStatus.CANCELLED, text, note, by=by, now=now)
    reminders.disarm_reminders(window)
    record_audit(by, "maintenance.cancel", "incident", window.id, now=now)
    return window


def extend_window(
    window: Incident, *, ends: datetime, note: str = "", site: Site, by: User, now: datetime
) -> Incident:
    """Give a window underway a later end, and tell every audience told of it."""
    if window.status not in UNDERWAY:
        raise InvalidTransition("Only a window underway can be extended.")
    assert window.scheduled_until is not None
    if ends <= max(now, window.scheduled_until):
        raise ValidationError(
            "An extended window must end later than it was due to, and in the future.",
            field="scheduled_until",
        )
    old = format_datetime(window.scheduled_until, site.zone, now=now)
    new = format_datetime(ends, site.zone, now=now)
    window.scheduled_until = ends
    text = f"Extended: now expected to end {new} instead of {old}."
    _tell(window, window.status, text, note, by=by, now=now)
    record_audit(by, "maintenance.extend", "incident", window.id, now=now)
    return window


def complete_window(window: Incident, *, site: Site, by: User, now: datetime) -> Incident:
    """End a window underway now, before its planned end (the audiences get the completed
    phase's message, as on time)."""
    if window.status not in UNDERWAY:
        raise InvalidTransition("Only a window underway can be completed early.")
    window.scheduled_until = now
    maintenance.publish_phase(window, IncidentStatus.COMPLETED, now=now, site=site)
    record_audit(by, "maintenance.complete", "incident", window.id, now=now)
    return window


@dataclass(frozen=True)
class Repeat:
    """A series: `every` ("daily" or "weekly") for `count` occurrences in all."""

    every: str
    count: int

    def __post_init__(self) -> None:
        if self.every not in REPEATS:
            raise ValidationError(f"{self.every!r} is not a repeat.", field="repeat")
        if not 1 <= self.count <= MAX_OCCURRENCES:
            raise ValidationError(
                f"A series has between 1 and {MAX_OCCURRENCES} occurrences.", field="occurrences"
            )


def plan_series(
    *,
    title: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    repeat: Repeat | None,
    components: Sequence[Component],
    messages: Mapping[Audience, str],
    site: Site,
    by: User,
    now: datetime,
) -> list[Incident]:
    """Plan a window, or a series of them: each occurrence its own window (edited or cancelled
    on its own), at the same time of day on the page zone's clock, across clock changes."""
    occurrences = [(scheduled_for, scheduled_until)]
    for index in range(1, repeat.count if repeat else 1):
        days = timedelta(days=REPEATS[repeat.every] * index) if repeat else timedelta()
        occurrences.append(
            (_later(scheduled_for, days, site.zone), _later(scheduled_until, days, site.zone))
        )
    return [
        maintenance.plan_maintenance(
            title=title,
            scheduled_for=starts,
            scheduled_until=ends,
            components=components,
            messages=messages,
            site=site,
            by=by,
            now=now,
        )
        for starts, ends in occurrences
    ]


def _later(moment: datetime, days: timedelta, zone: str) -> datetime:
    wall = in_zone(moment, zone).replace(tzinfo=None) + days
    return wall_clock_instant(wall, zone, field="scheduled_for")


def _check_span(starts: datetime, ends: datetime, *, now: datetime) -> None:
    if starts <= now:
        raise ValidationError("The window must start in the future.", field="scheduled_for")
    if ends <= starts:
        raise ValidationError("The window must end after it starts.", field="scheduled_until")


def _tell(
    window: Incident,
    status: IncidentStatus,
    text: str,
    note: str,
    *,
    by: User,
    now: datetime,
) -> None:
    """Publish `text` (and the note) to every audience told of the window, in `status`."""
    extra = clean_optional_text(note, field="note", max_length=NOTE_LENGTH, multiline=True)
    body = text + (f"\n\n{extra}" if extra else "")
    audiences = maintenance.audiences_to_tell(window)
    for audience in audiences:
        # The title stays the window's name (the public page is named after its updates); the
        # body says what changed.
        name = window.public_name if audience.is_public else window.title
        draft = publishing.add_draft(
            window, audience, body=body, title=name, status=status, by=by, now=now
        )
        publishing.publish_update(draft, by=by, now=now)
    if not audiences:
        change_status(window, status, by=by, now=now)
