"""Review that does not stall the cadence: who is asked to approve an update, telling them at once,
and the reviewer sending it back with what to change.

The rule of who may approve is permissions.may_approve; this module decides whom to ask. The
incident's own commanders and deputies who may approve come first; when none may, everyone who
may approve it is asked, so that an update is never left waiting on nobody.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from statuspage.core.addresses import console_update_path
from statuspage.core.errors import InvalidTransition, PermissionDenied
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import RosterRole, TimelineKind, Update, UpdateState, User
from statuspage.permissions import may_approve
from statuspage.services.outbox.enqueue import OutgoingEmail, enqueue_emails
from statuspage.services.records import actor_name, record_audit, record_event
from statuspage.services.validation import clean_text

COMMENT_LENGTH = 2_000


def reviewers_of(update: Update) -> list[User]:
    """Whom to ask to approve the update: its incident's leads who may, else all who may."""
    incident = update.incident
    leads = [
        user
        for role in (RosterRole.COMMANDER, RosterRole.DEPUTY)
        for user in incident.holders(role)
        if may_approve(user, update)
    ]
    if leads:
        return list(dict.fromkeys(leads))
    everyone = db.session.scalars(
        sa.select(User).where(User.is_active.is_(True)).order_by(User.name, User.id)
    )
    return [user for user in everyone if may_approve(user, update)]


def ask_for_review(update: Update, *, now: datetime) -> list[User]:
    """Email each reviewer that the update waits for them (the dashboard lists it too)."""
    reviewers = reviewers_of(update)
    site = current_site()
    incident, audience = update.incident, update.audience
    author = actor_name(update.author)
    enqueue_emails(
        [
            OutgoingEmail(
                address=reviewer.email,
                name=reviewer.name,
                subject=f"Review: the {audience.name} update on {incident.title}",
                text=(
                    f"{author} wrote an update to {audience.name} on {incident.title} "
                    f"({incident.severity or 'maintenance'}) and it waits for a second person. "
                    "Approve and publish it, or send it back with what to change.\n\n"
                    f"{update.title}\n\n{update.body}"
                ),
                link=site.url + console_update_path(update.id),
                dedupe_key=f"review:{update.id}:{_iso(update.submitted_at)}:{reviewer.id}",
            )
            for reviewer in reviewers
        ],
        now=now,
    )
    return reviewers


def request_changes(update: Update, comment: str, *, by: User, now: datetime) -> Update:
    """The reviewer sends the update back to its author as a draft, saying what to change."""
    if update.state is not UpdateState.IN_REVIEW:
        raise InvalidTransition("Only an update waiting for review can be sent back.")
    if not may_approve(by, update):
        raise PermissionDenied("Only someone who may approve this update may send it back.")
    comment = clean_text(comment, field="comment", max_length=COMMENT_LENGTH, multiline=True)
    update.state = UpdateState.DRAFT
    update.updated_at = now
    audience = update.audience
    record_event(
        update.incident,
        TimelineKind.UPDATE_CHANGES_REQUESTED,
        f"{actor_name(by)} sent the {audience.name} update back: {comment}",
        actor=by,
        now=now,
        data={"update_id": update.id},
    )
    record_audit(by, "update.request_changes", "update", update.id, now=now)
    if update.author is not None and update.author.is_active:
        enqueue_emails(
            [
                OutgoingEmail(
                    address=update.author.email,
                    name=update.author.name,
                    subject=f"Changes asked: the {audience.name} update on {update.incident.title}",
                    text=f"{by.name} sent your {audience.name} update back:\n\n{comment}",
                    link=current_site().url + console_update_path(update.id),
                    dedupe_key=f"changes:{update.id}:{now.isoformat()}",
                )
            ],
            now=now,
        )
    return update


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
