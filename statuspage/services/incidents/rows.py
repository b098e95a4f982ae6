"""The timeline as the console shows it: one row per event, or condensed, where one publication
to many audiences is one row and the drafting, editing and submitting of updates that were then
published are folded into it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import NoteType, TimelineEvent, TimelineKind, Update, User
from statuspage.services.records import actor_name

# The steps before a publication, folded into it once the update is published.
FOLDED = {TimelineKind.UPDATE_DRAFTED, TimelineKind.UPDATE_EDITED, TimelineKind.UPDATE_SUBMITTED}

NOTE_TYPES = {str(note_type) for note_type in NoteType}


@dataclass(frozen=True)
class TimelineRow:
    occurred_at: datetime
    kind: TimelineKind
    actor: User | None
    message: str
    note_type: NoteType | None
    events: int  # how many events the row stands for
    event_id: int | None = None  # the one event a row of one event stands for


def row_of(event: TimelineEvent) -> TimelineRow:
    """One event as one row."""
    note_type = (event.data or {}).get("note_type")
    return TimelineRow(
        occurred_at=event.occurred_at,
        kind=event.kind,
        actor=event.actor,
        message=event.message,
        note_type=NoteType(note_type) if note_type in NOTE_TYPES else None,
        events=1,
        event_id=event.id,
    )


def timeline_rows(events: list[TimelineEvent]) -> list[TimelineRow]:
    """The events (oldest first) condensed: each publication moment (one person, one time, one
    status) is one row naming every audience, without the drafting that led to it."""
    published = {_update_id(e) for e in events if e.kind is TimelineKind.UPDATE_PUBLISHED} - {None}
    updates = _updates(published)
    rows: list[TimelineRow] = []
    group: list[TimelineEvent] = []
    for event in events:
        if event.kind in FOLDED and _update_id(event) in published:
            continue
        if event.kind is TimelineKind.UPDATE_PUBLISHED:
            if group and _moment(group[0], updates) != _moment(event, updates):
                rows.append(_publication_row(group, updates))
                group = []
            group.append(event)
            continue
        if group:
            rows.append(_publication_row(group, updates))
            group = []
        rows.append(row_of(event))
    if group:
        rows.append(_publication_row(group, updates))
    return rows


def _update_id(event: TimelineEvent) -> int | None:
    value = (event.data or {}).get("update_id")
    return value if isinstance(value, int) else None


def _updates(ids: set[int | None]) -> dict[int, Update]:
    if not ids:
        return {}
    found = db.session.scalars(sa.select(Update).where(Update.id.in_(ids)))
    return {update.id: update for update in found}


def _moment(event: TimelineEvent, updates: dict[int, Update]) -> tuple[object, ...]:
    update = updates.get(_update_id(event) or 0)
    return (event.actor_id, event.occurred_at, update.status if update else None)


def _publication_row(group: list[TimelineEvent], updates: dict[int, Update]) -> TimelineRow:
    first = group[0]
    update = updates.get(_update_id(first) or 0)
    if len(group) == 1 or update is None:
        return row_of(first)
    audiences = [u.audience.name for e in group if (u := updates.get(_update_id(e) or 0))]
    return TimelineRow(
        occurred_at=first.occurred_at,
        kind=first.kind,
        actor=first.actor,
        message=f"{actor_name(first.actor)} published {update.status.label} to "
        f"{', '.join(audiences)}.",
        note_type=None,
        events=len(group),
    )
