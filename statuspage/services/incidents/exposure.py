"""SLA exposure, for legal and executives: per component with an availability target (e.g. 99.9 %
of each month), the downtime this calendar month (in the page's zone) against the month's budget.

Downtime is the time the component stood publicly at a partial or major outage, from the log of
its public status changes: the status customers were shown, which is what an SLA claim rests on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from statuspage.core.times import describe_duration, in_zone, start_of_day
from statuspage.extensions import db
from statuspage.models import Component, ComponentStatus, ComponentStatusChange

OUTAGES = {ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE}


@dataclass(frozen=True)
class Exposure:
    component: Component
    target: float  # percent of the month
    used: timedelta  # downtime so far this month
    budget: timedelta  # the downtime the target allows in the whole month

    @property
    def breached(self) -> bool:
        return self.used > self.budget

    def describe(self) -> str:
        """ "Search: 41 of 43 min of this month's budget used (target 99.9 %)"."""
        used, budget = _minutes(self.used), _minutes(self.budget)
        over = f", {describe_duration(self.used - self.budget)} over" if self.breached else ""
        return (
            f"{self.component.name}: {used} of {budget} min of this month's budget used "
            f"(target {self.target:g} %{over})"
        )


def exposure(components: Iterable[Component], *, now: datetime, zone: str) -> list[Exposure]:
    """The month's exposure of each component that has a target (others are left out)."""
    targeted = [c for c in components if c.availability_target is not None]
    if not targeted:
        return []
    month_start, month_end = _month(now, zone)
    down = _downtime([c.id for c in targeted], since=month_start, until=now)
    return [
        Exposure(
            component=component,
            target=float(component.availability_target or 0),
            used=down.get(component.id, timedelta()),
            budget=(month_end - month_start)
            * (1 - float(component.availability_target or 0) / 100),
        )
        for component in targeted
    ]


def _month(now: datetime, zone: str) -> tuple[datetime, datetime]:
    today = in_zone(now, zone).date()
    first = date(today.year, today.month, 1)
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return start_of_day(first, zone), start_of_day(following, zone)


def _downtime(ids: list[int], *, since: datetime, until: datetime) -> dict[int, timedelta]:
    """Time spent at an outage in [since, until), per component, from the public status log: the
    status each stood at as the month opened, then its changes within the month (never the whole
    history, which only grows)."""
    down: dict[int, timedelta] = {}
    state = {  # component -> (since when, at an outage), as the month opens
        component_id: (since, ComponentStatus(status) in OUTAGES)
        for component_id, status in db.session.execute(
            sa.select(Component.id, _status_before(since)).where(Component.id.in_(ids))
        )
        if status is not None
    }
    changes = db.session.execute(
        sa.select(
            ComponentStatusChange.component_id,
            ComponentStatusChange.changed_at,
            ComponentStatusChange.status,
        )
        .where(
            ComponentStatusChange.component_id.in_(ids),
            ComponentStatusChange.changed_at >= since,
            ComponentStatusChange.changed_at < until,
        )
        .order_by(ComponentStatusChange.changed_at, ComponentStatusChange.id)
    )
    for component_id, changed_at, status in changes:
        _close(down, state, component_id, at=changed_at)
        state[component_id] = (changed_at, ComponentStatus(status) in OUTAGES)
    for component_id in list(state):
        _close(down, state, component_id, at=until)
    return down


def _status_before(moment: datetime) -> sa.ScalarSelect[ComponentStatus]:
    """Each component's newest logged status before the moment (correlated per component)."""
    return (
        sa.select(ComponentStatusChange.status)
        .where(
            ComponentStatusChange.component_id == Component.id,
            ComponentStatusChange.changed_at < moment,
        )
        .order_by(ComponentStatusChange.changed_at.desc(), ComponentStatusChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _close(
    down: dict[int, timedelta],
    state: dict[int, tuple[datetime, bool]],
    component_id: int,
    *,
    at: datetime,
) -> None:
    """Count the stretch up to `at` of the component's current status, if it is an outage."""
    if component_id not in state:
        return
    began, outage = state[component_id]
    if outage:
        down[component_id] = down.get(component_id, timedelta()) + (at - began)


def _minutes(length: timedelta) -> int:
    return round(length.total_seconds() / 60)
