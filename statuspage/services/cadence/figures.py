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
from sqlalchemy.orm import joinedload, selectinload

from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Incident,
    Promise,
    PromiseState,
    RosterAssignment,
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
        """Kept promises as a share of the settled ones (kept or missed); None if none settled."""
        settled = self.kept + self.missed
        return self.kept / settled if settled else None

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

    A promise counts for each person who holds its audience's liaison duty on the incident now.
    """
    promises = db.session.scalars(
        sa.select(Promise)
        .where(Promise.due_at >= start, Promise.due_at < end)
        .options(
            joinedload(Promise.audience),
            selectinload(Promise.incident)
            .selectinload(Incident.roster)
            .joinedload(RosterAssignment.user),
        )
        .order_by(Promise.id)
    ).all()
    by_audience = _group(promises, key=lambda p: p.audience)
    by_liaison: dict[User | None, list[Promise]] = defaultdict(list)
    for promise in promises:
        for liaison in _liaisons(promise) or [None]:
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


def _liaisons(promise: Promise) -> list[User]:
    role = promise.audience.liaison_role
    return [a.user for a in promise.incident.roster if a.role is role]


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
