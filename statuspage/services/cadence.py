"""Promises: first-update deadlines, the promise each published update makes, keeping and missing."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import (
    Audience,
    CadencePolicy,
    Incident,
    Promise,
    PromiseState,
    Severity,
    Update,
)


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
        Promise(
            incident_id=incident.id,
            audience_id=policy.audience_id,
            due_at=now + policy.first_update_within,
            made_at=now,
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


def settle_promises_with(update: Update, *, now: datetime) -> Promise | None:
    """Meet the audience's open promise with this published update and record the one it makes."""
    waiting = open_promise(update.incident_id, update.audience_id)
    if waiting is not None:
        waiting.state = PromiseState.KEPT if now <= waiting.due_at else PromiseState.MISSED
        waiting.met_at = now
        waiting.met_by_update_id = update.id
    if update.next_update_due_at is None:
        return None
    promise = Promise(
        incident_id=update.incident_id,
        audience_id=update.audience_id,
        due_at=update.next_update_due_at,
        made_at=now,
        made_by_update_id=update.id,
    )
    db.session.add(promise)
    return promise


def end_obligations(incident: Incident, *, now: datetime) -> None:
    """Close every open promise of a resolved incident: missed if already due, else cancelled."""
    for promise in db.session.scalars(
        sa.select(Promise).where(
            Promise.incident_id == incident.id, Promise.state == PromiseState.OPEN
        )
    ):
        promise.state = PromiseState.MISSED if promise.due_at < now else PromiseState.CANCELLED
