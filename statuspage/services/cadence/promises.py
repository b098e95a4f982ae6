"""Promises: first-update deadlines, the promise each published update makes, keeping and missing.

Also who may promise what, and the next update each audience is owed as the surfaces show it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.core.errors import PermissionDenied, ValidationError
from statuspage.core.times import describe_duration, is_overdue
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    CadencePolicy,
    Incident,
    Promise,
    PromiseState,
    Severity,
    Update,
    User,
)
from statuspage.permissions import Permission, has_permission


class PromiseTooLate(PermissionDenied):
    """A promise later than the audience's policy, made by someone who may not extend it."""

    def __init__(self, message: str, *, audience_id: int) -> None:
        super().__init__(message)
        self.audience_id = audience_id


@dataclass(frozen=True)
class NextUpdate:
    """The update one audience is owed on one incident, as the surfaces show it."""

    incident_id: int
    audience_id: int
    due_at: datetime  # the promised time
    is_overdue: bool  # the time has passed without an update

    @property
    def next_update_at(self) -> datetime | None:
        """The promised time while it is ahead; None once passed (never shown as a future time)."""
        return None if self.is_overdue else self.due_at


def policy_for(audience: Audience, severity: Severity | None) -> CadencePolicy | None:
    """The cadence owed to the audience at this severity, if one is set."""
    if severity is None:
        return None
    return db.session.scalar(
        sa.select(CadencePolicy).where(
            CadencePolicy.audience_id == audience.id, CadencePolicy.severity == severity
        )
    )


def default_next_update(
    incident: Incident, audience: Audience, *, now: datetime
) -> datetime | None:
    """When the next update is due by policy if one is published now; None when nothing is owed."""
    policy = policy_for(audience, incident.severity)
    return now + policy.update_interval if policy else None


def check_promise(
    incident: Incident, audience: Audience, due_at: datetime, *, by: User | None, now: datetime
) -> None:
    """Refuse a promise in the past, or one later than policy unless the person may make it
    (Permission.PROMISE_BEYOND_POLICY: commanders and admins).

    A liaison may always promise sooner than the policy asks. `by=None` is the system itself.
    """
    require_future(due_at, now=now)
    policy = policy_for(audience, incident.severity)
    if policy is None or due_at <= now + policy.update_interval:
        return
    if by is None or has_permission(by, Permission.PROMISE_BEYOND_POLICY):
        return
    raise PromiseTooLate(
        f"At {incident.severity}, {audience.name} are owed an update at least every "
        f"{describe_duration(policy.update_interval)}: only a commander or an admin may promise "
        "a later one.",
        audience_id=audience.id,
    )


def require_future(due_at: datetime, *, now: datetime) -> None:
    """Refuse a promise that would be overdue as it is made."""
    if is_overdue(due_at, now):
        raise ValidationError(
            "The next update must be promised for a future time.", field="next_update_due_at"
        )


def open_first_update_deadlines(incident: Incident, *, now: datetime) -> list[Promise]:
    """Give a newly declared (or reopened) incident a first-update deadline per audience owed one.

    Audiences that already have an open promise (a reopening update was just sent to them) keep it.
    """
    policies = db.session.scalars(
        sa.select(CadencePolicy).where(CadencePolicy.severity == incident.severity)
    ).all()
    promised = set(
        db.session.scalars(
            sa.select(Promise.audience_id).where(
                Promise.incident_id == incident.id, Promise.state == PromiseState.OPEN
            )
        )
    )
    promises = [
        _new_promise(
            incident.id,
            policy.audience_id,
            now + policy.first_update_within,
            policy=policy,
            now=now,
        )
        for policy in policies
        if policy.audience_id not in promised
    ]
    db.session.add_all(promises)
    return promises


def open_promise(incident_id: int, audience_id: int) -> Promise | None:
    """The promise to the audience that is still waiting for an update, if any."""
    return db.session.scalar(
        sa.select(Promise).where(
            Promise.incident_id == incident_id,
            Promise.audience_id == audience_id,
            Promise.state == PromiseState.OPEN,
        )
    )


def open_promises(incident: Incident) -> list[Promise]:
    """The incident's promises still waiting for an update, soonest first."""
    return open_promises_by_incident([incident.id])[incident.id]


def open_promises_by_incident(incident_ids: Iterable[int]) -> dict[int, list[Promise]]:
    """Each of these incidents' promises still waiting for an update, soonest first."""
    ids = list(incident_ids)
    found: dict[int, list[Promise]] = {incident_id: [] for incident_id in ids}
    for promise in db.session.scalars(
        sa.select(Promise)
        .where(Promise.incident_id.in_(ids), Promise.state == PromiseState.OPEN)
        .options(selectinload(Promise.audience))
        .order_by(Promise.due_at, Promise.id)
    ):
        found[promise.incident_id].append(promise)
    return found


def settle_promises_with(update: Update, *, now: datetime) -> Promise | None:
    """Meet the audience's open promise with this published update and record the one it makes.

    The update keeps the promise when it comes before the promise is overdue, and misses it after.
    """
    waiting = open_promise(update.incident_id, update.audience_id)
    if waiting is not None:
        waiting.state = (
            PromiseState.MISSED if is_overdue(waiting.due_at, now) else PromiseState.KEPT
        )
        waiting.met_at = now
        waiting.met_by_update_id = update.id
    if update.next_update_due_at is None:
        return None
    promise = _new_promise(
        update.incident_id,
        update.audience_id,
        update.next_update_due_at,
        policy=policy_for(update.audience, update.incident.severity),
        now=now,
        made_by_update_id=update.id,
    )
    db.session.add(promise)
    return promise


def end_obligations(incident: Incident, *, now: datetime) -> None:
    """Close every open promise of a resolved incident: missed if already overdue, else cancelled."""
    for promise in db.session.scalars(
        sa.select(Promise).where(
            Promise.incident_id == incident.id, Promise.state == PromiseState.OPEN
        )
    ):
        promise.state = (
            PromiseState.MISSED if is_overdue(promise.due_at, now) else PromiseState.CANCELLED
        )
        promise.ended_at = now


def next_updates(
    incident_ids: Iterable[int], *, now: datetime, audience_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], NextUpdate]:
    """The open promise per (incident id, audience id) of these incidents, overdue or not.

    One query for a whole page of incidents; an audience owed nothing has no entry.
    """
    query = sa.select(Promise.incident_id, Promise.audience_id, Promise.due_at).where(
        Promise.incident_id.in_(list(incident_ids)), Promise.state == PromiseState.OPEN
    )
    if audience_ids is not None:
        query = query.where(Promise.audience_id.in_(list(audience_ids)))
    return {
        (incident_id, audience_id): NextUpdate(
            incident_id, audience_id, due_at, is_overdue=is_overdue(due_at, now)
        )
        for incident_id, audience_id, due_at in db.session.execute(query)
    }


def _new_promise(
    incident_id: int,
    audience_id: int,
    due_at: datetime,
    *,
    policy: CadencePolicy | None,
    now: datetime,
    made_by_update_id: int | None = None,
) -> Promise:
    remind_at = escalate_at = None
    if policy is not None:
        remind_at = due_at - policy.remind_before
        if remind_at <= now:
            # Promised sooner than the reminder's lead time: remind halfway, not at once.
            remind_at = now + (due_at - now) / 2
        escalate_at = due_at + policy.escalate_after
    return Promise(
        incident_id=incident_id,
        audience_id=audience_id,
        due_at=due_at,
        made_at=now,
        made_by_update_id=made_by_update_id,
        remind_at=remind_at,
        escalate_at=escalate_at,
    )
