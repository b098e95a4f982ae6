"""Updates: drafting one for an audience, sending it for review, publishing it; and reading them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    MessageTemplate,
    TimelineKind,
    Update,
    UpdateState,
    User,
)
from statuspage.permissions import may_approve
from statuspage.services.cadence import promises
from statuspage.services.incidents import reviews, telling
from statuspage.services.incidents.lifecycle import change_status, set_affected_component
from statuspage.services.outbox import enqueue, messages
from statuspage.services.public.version import bump_publication
from statuspage.services.records import actor_name, record_event
from statuspage.services.validation import clean_text

BODY_LENGTH = 20_000
TITLE_LENGTH = 300


def add_draft(
    incident: Incident,
    audience: Audience,
    *,
    body: str,
    by: User | None,
    now: datetime,
    status: IncidentStatus | None = None,
    title: str | None = None,
    next_update_due_at: datetime | None = None,
    template: MessageTemplate | None = None,
) -> Update:
    """Start a draft update to one audience; it reaches nobody until published."""
    status = IncidentStatus(status or incident.status)
    if status.kind is not incident.kind:
        raise ValidationError(
            f"A {incident.kind} update cannot say {status.label}.", field="status"
        )
    if next_update_due_at is not None:
        promises.require_future(next_update_due_at, now=now)
    update = Update(
        incident_id=incident.id,
        audience_id=audience.id,
        status=status,
        title=clean_text(title or incident.public_name, field="title", max_length=TITLE_LENGTH),
        body=clean_text(body, field="body", max_length=BODY_LENGTH, multiline=True),
        state=UpdateState.DRAFT,
        author_id=by.id if by else None,
        template_id=template.id if template else None,
        created_at=now,
        updated_at=now,
    )
    update.promise(next_update_due_at, now=now)
    db.session.add(update)
    db.session.flush()
    record_event(
        incident,
        TimelineKind.UPDATE_DRAFTED,
        f"{actor_name(by)} drafted an update for {audience.name}.",
        actor=by,
        now=now,
        data={"update_id": update.id, "audience": audience.slug},
    )
    return update


def requires_review(update: Update) -> bool:
    """Whether the audience's policy wants a second person to approve this update."""
    return audience_requires_review(update.audience, update.incident)


def audience_requires_review(audience: Audience, incident: Incident) -> bool:
    """Whether the audience's policy, at the worst severity the incident has had, wants review.

    The worst, not the current one: lowering the severity, publishing and raising it again must not
    skip the second person.
    """
    policy = promises.policy_for(audience, incident.peak_severity or incident.severity)
    return bool(policy and policy.requires_review)


def _approve(update: Update, *, by: User | None, now: datetime) -> None:
    """Record the second person's approval, or refuse: the update needs one (see may_approve)."""
    if by is None or not may_approve(by, update):
        raise PermissionDenied(
            f"{update.audience.name} updates at {update.incident.severity} need a second person to "
            "approve them: send it for review; a commander or admin other than its author "
            "publishes it."
        )
    update.approved_by_id = by.id
    record_event(
        update.incident,
        TimelineKind.UPDATE_APPROVED,
        f"{actor_name(by)} approved the {update.audience.name} update.",
        actor=by,
        now=now,
        data={"update_id": update.id},
    )


def submit_for_review(update: Update, *, by: User | None, now: datetime) -> Update:
    """Ask a second person to approve the draft (again, when it changed while waiting); the
    reviewers are told at once."""
    if update.state is UpdateState.PUBLISHED:
        raise InvalidTransition("A published update cannot be sent for review.")
    update.state = UpdateState.IN_REVIEW
    update.submitted_at = now
    update.updated_at = now
    record_event(
        update.incident,
        TimelineKind.UPDATE_SUBMITTED,
        f"{actor_name(by)} sent the {update.audience.name} update for review.",
        actor=by,
        now=now,
        data={"update_id": update.id},
    )
    reviews.ask_for_review(update, now=now)
    return update


def publish_update(
    update: Update,
    *,
    by: User | None,
    now: datetime,
    component_changes: Mapping[Component, ComponentStatus] | None = None,
) -> Update:
    """Publish a draft: incident status, components, promise, timeline and version move together.

    When the audience's policy requires review, only a second person publishes it, and that is the
    approval (permissions.may_approve). A promise later than policy needs someone who may make it
    (promises.check_promise).
    """
    if update.state is UpdateState.PUBLISHED:
        raise InvalidTransition("This update is already published; a correction is a new update.")
    incident = update.incident
    if update.promise_seconds is not None:
        update.next_update_due_at = now + timedelta(seconds=update.promise_seconds)
    if update.next_update_due_at is not None and not update.status.is_closed:
        promises.check_promise(incident, update.audience, update.next_update_due_at, by=by, now=now)
    if requires_review(update):
        _approve(update, by=by, now=now)
    if update.status.is_closed:
        update.next_update_due_at = None
    elif update.next_update_due_at is None:
        update.next_update_due_at = promises.default_next_update(incident, update.audience, now=now)
    for component, status in (component_changes or {}).items():
        set_affected_component(incident, component, status, by=by, now=now)
    telling.record_what_it_tells(update)
    update.state = UpdateState.PUBLISHED
    update.published_at = now
    update.updated_at = now
    db.session.flush()
    # Promises before the status change: a resolving update still meets its own audience's promise,
    # and a reopening one counts as that audience's first update.
    promises.settle_promises_with(update, now=now)
    change_status(incident, update.status, by=by, now=now)
    incident.updated_at = now
    record_event(
        incident,
        TimelineKind.UPDATE_PUBLISHED,
        f"{actor_name(by)} published an update to {update.audience.name} ({update.status.label}).",
        actor=by,
        now=now,
        data={
            "update_id": update.id,
            "audience": update.audience.slug,
            "next_update_due_at": _iso(update.next_update_due_at),
        },
    )
    _send(update, now=now)
    return update


def _send(update: Update, *, now: datetime) -> None:
    """Tell the public (for a public audience) and queue what subscribers are sent, frozen now."""
    site = current_site()
    if update.audience.is_public:
        for change in telling.make_public(update, now=now):
            messages.freeze_component_change(change, site=site)
        bump_publication(now=now)
    messages.freeze_update(update, site=site)
    enqueue.enqueue_update(update, now=now)  # the outbox rows commit with the update


def get_update(update_id: int) -> Update:
    """The update with this id, or NotFound."""
    update = db.session.get(Update, update_id)
    if update is None:
        raise NotFound(f"There is no update {update_id}.")
    return update


def drafts_waiting(incident: Incident | None = None) -> list[Update]:
    """Unpublished updates (in review first, then oldest first), of one incident or all."""
    query = sa.select(Update).where(Update.state != UpdateState.PUBLISHED)
    if incident is not None:
        query = query.where(Update.incident_id == incident.id)
    return list(
        db.session.scalars(
            query.order_by(
                sa.case((Update.state == UpdateState.IN_REVIEW, 0), else_=1), Update.created_at
            )
        )
    )


def published_updates(incident: Incident) -> list[Update]:
    """The incident's published updates, newest first."""
    return published_updates_by_incident([incident.id])[incident.id]


def published_updates_by_incident(incident_ids: Iterable[int]) -> dict[int, list[Update]]:
    """Each of these incidents' published updates, newest first, in one query."""
    ids = list(incident_ids)
    found: dict[int, list[Update]] = {incident_id: [] for incident_id in ids}
    for update in db.session.scalars(
        sa.select(Update)
        .where(Update.incident_id.in_(ids), Update.state == UpdateState.PUBLISHED)
        .options(selectinload(Update.audience))
        .order_by(Update.published_at.desc(), Update.id.desc())
    ):
        found[update.incident_id].append(update)
    return found


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
