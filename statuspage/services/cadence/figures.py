"""Cadence figures: how well each audience was kept informed, per incident and over a period.

Every promise counts, first-update deadlines included. A promise is kept when its update came by the
due time; missed when it came late or never came; open while it waits (overdue once past due);
cancelled when the incident was resolved before it fell due. Lateness is measured on the late ones
(missed or overdue): from the due time to the update, to the resolution, or to `now` while it waits.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Incident,
    Promise,
    PromiseState,
    RosterRole,
    TimelineEvent,
    TimelineKind,
    Update,
    UpdateState,
    User,
)

K = TypeVar("K")


@dataclass(frozen=True)
class Figures:
    """Promise counts and lateness over some set of promises."""

    made: int
    kept: int
    missed: int
    open: int  # still waiting and not yet due
    overdue: int  # still waiting and past due
    cancelled: int
    worst_lateness: timedelta | None  # None when nothing was late
    median_lateness: timedelta | None

    @property
    def kept_share(self) -> float | None:
        """Kept promises as a share of those whose time came (kept, missed, or overdue and still
        waiting); None if none has come."""
        due = self.kept + self.missed + self.overdue
        return self.kept / due if due else None

    @classmethod
    def of(cls, promises: Sequence[Promise], *, now: datetime) -> Figures:
        """Count the promises and measure how late the late ones were."""
        states = [p.state for p in promises]
        overdue = sum(1 for p in promises if p.is_overdue(now))
        late = sorted(_lateness(p, now=now) for p in promises if _is_late(p, now=now))
        return cls(
            made=len(promises),
            kept=states.count(PromiseState.KEPT),
            missed=states.count(PromiseState.MISSED),
            open=states.count(PromiseState.OPEN) - overdue,
            overdue=overdue,
            cancelled=states.count(PromiseState.CANCELLED),
            worst_lateness=late[-1] if late else None,
            median_lateness=statistics.median(late) if late else None,
        )


@dataclass(frozen=True)
class AudienceFigures:
    """One audience's figures on one incident."""

    audience: Audience
    figures: Figures
    # From the declaration to the first update published to the audience; None if none yet.
    time_to_first_update: timedelta | None


@dataclass(frozen=True)
class PeriodFigures:
    """Figures of the promises due in a period, per audience and per liaison on duty."""

    start: datetime
    end: datetime
    by_audience: list[tuple[Audience, Figures]]
    # The liaisons holding each audience's duty on the incident; None collects promises nobody held.
    by_liaison: list[tuple[User | None, Figures]]


def incident_figures(incident: Incident, *, now: datetime) -> list[AudienceFigures]:
    """Per audience owed anything on the incident: promises kept and missed, lateness, first update.

    For the incident page in the console and the postmortem export.
    """
    promises = db.session.scalars(
        sa.select(Promise)
        .where(Promise.incident_id == incident.id)
        .options(joinedload(Promise.audience))
        .order_by(Promise.id)
    ).all()
    first_updates = dict(
        db.session.execute(
            sa.select(Update.audience_id, sa.func.min(Update.published_at))
            .where(Update.incident_id == incident.id, Update.state == UpdateState.PUBLISHED)
            .group_by(Update.audience_id)
        ).all()
    )
    by_audience = _group(promises, key=lambda p: p.audience)
    return [
        AudienceFigures(
            audience=audience,
            figures=Figures.of(group, now=now),
            time_to_first_update=(
                first_updates[audience.id] - incident.started_at
                if audience.id in first_updates
                else None
            ),
        )
        for audience, group in sorted(by_audience.items(), key=lambda item: item[0].position)
    ]


def period_figures(*, start: datetime, end: datetime, now: datetime) -> PeriodFigures:
    """Figures of every promise due in [start, end), per audience and per liaison on duty.

    A promise counts for whoever held its audience's liaison duty when its time came (when it was
    kept, when it fell due unmet, or when the incident ended first), not for whoever holds it now:
    a handover does not move earlier misses onto the new liaison.
    """
    promises = db.session.scalars(
        sa.select(Promise)
        .where(Promise.due_at >= start, Promise.due_at < end)
        .options(joinedload(Promise.audience))
        .order_by(Promise.id)
    ).all()
    rosters = RosterHistory.of({p.incident_id for p in promises})
    by_audience = _group(promises, key=lambda p: p.audience)
    by_liaison: dict[User | None, list[Promise]] = defaultdict(list)
    for promise in promises:
        holders = rosters.holders(
            promise.incident_id, promise.audience.liaison_role, at=_time_came(promise, now=now)
        )
        for liaison in holders or [None]:
            by_liaison[liaison].append(promise)
    return PeriodFigures(
        start=start,
        end=end,
        by_audience=[
            (audience, Figures.of(group, now=now))
            for audience, group in sorted(by_audience.items(), key=lambda item: item[0].position)
        ],
        by_liaison=[
            (liaison, Figures.of(group, now=now))
            for liaison, group in sorted(
                by_liaison.items(),
                key=lambda item: (item[0] is None, item[0].name if item[0] else ""),
            )
        ],
    )


@dataclass(frozen=True)
class RosterHistory:
    """Who held which duty when, per incident, replayed from the timeline's roster changes."""

    changes: dict[int, list[TimelineEvent]]
    people: dict[int, User]

    @classmethod
    def of(cls, incident_ids: Iterable[int]) -> RosterHistory:
        events = db.session.scalars(
            sa.select(TimelineEvent)
            .where(
                TimelineEvent.incident_id.in_(list(incident_ids)),
                TimelineEvent.kind.in_([TimelineKind.ROLE_ASSIGNED, TimelineKind.ROLE_REMOVED]),
            )
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        ).all()
        ids = {int((event.data or {}).get("user_id") or 0) for event in events}
        people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
        return cls(_group(events, key=lambda e: e.incident_id), people)

    def holders(self, incident_id: int, role: RosterRole, *, at: datetime) -> list[User]:
        held: dict[int, None] = {}
        for event in self.changes.get(incident_id, []):
            data = event.data or {}
            if event.occurred_at > at:
                break
            if data.get("role") != str(role):
                continue
            user_id = int(data.get("user_id") or 0)
            if event.kind is TimelineKind.ROLE_ASSIGNED:
                held[user_id] = None
            else:
                held.pop(user_id, None)
        return [self.people[user_id] for user_id in held if user_id in self.people]


def _time_came(promise: Promise, *, now: datetime) -> datetime:
    """When the promise was kept, fell due unmet, or ended: whoever held the duty then owns it."""
    if promise.state is PromiseState.KEPT and promise.met_at is not None:
        return promise.met_at
    if promise.state is PromiseState.CANCELLED and promise.ended_at is not None:
        return promise.ended_at
    return min(promise.due_at, now)


def _is_late(promise: Promise, *, now: datetime) -> bool:
    return promise.state is PromiseState.MISSED or promise.is_overdue(now)


def _lateness(promise: Promise, *, now: datetime) -> timedelta:
    settled_at = promise.met_at or promise.ended_at or now
    return settled_at - promise.due_at


def _group(promises: Iterable[Promise], *, key: Callable[[Promise], K]) -> dict[K, list[Promise]]:
    groups: dict[K, list[Promise]] = defaultdict(list)
    for promise in promises:
        groups[key(promise)].append(promise)
    return groups
