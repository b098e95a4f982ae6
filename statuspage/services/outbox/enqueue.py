"""Writing to the outbox: what publishing, component changes and subscriptions owe someone, as rows.

Everything here only writes rows, in the caller's transaction; the scheduler's `send-deliveries`
job sends them (outbox.worker). So publishing never waits for a mail server or a webhook, and
a message is written exactly when the change that causes it commits.

Other areas send through the same path: `enqueue_email` (or `enqueue_emails`, many in one
statement) takes a subject and text for anyone (the cadence reminders and escalations), with a
dedupe key that makes each once-only; `enqueue_event` a PagerDuty event.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from statuspage.core.dbtypes import UTCDateTime
from statuspage.extensions import db, insert_ignoring_duplicates
from statuspage.models import (
    Audience,
    Component,
    ComponentStatusChange,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Fanout,
    Subscriber,
    SubscriberKind,
    Update,
    subscriber_component,
)
from statuspage.models.enums import CLOSED_STATUSES
from statuspage.services.validation import clean_text

SUBJECT_LENGTH = 300
TEXT_LENGTH = 20_000


# Deliveries publishing writes itself; beyond them, the outbox worker writes the rest
# (continue_fanout), so publishing to a hundred thousand subscribers is as quick as to a thousand.
FIRST_CHUNK = 1000


def enqueue_update(update: Update, *, now: datetime) -> None:
    """Write one delivery per subscriber of the update's audience whose filter matches it: for
    those following this incident alone and the first FIRST_CHUNK of the others now, and a
    Fanout that has the outbox worker write the rest.

    A subscriber with no components chosen hears about everything; one with components hears about
    incidents touching any of them, and about incidents that name no component at all. One that
    follows a single incident hears about that incident only, until the update that closes it
    (which it still receives: the subscription ends once that one is queued).
    """
    if not update.deliver_notifications:
        _end_incident_subscriptions(update, now=now)
        return
    following = _receiving(
        Subscriber.audience_id == update.audience_id,
        Subscriber.incident_id == update.incident_id,
    )
    _insert_update_deliveries(update, following, now=now)
    queued, last = _write_update_chunk(update, after=0, limit=FIRST_CHUNK, now=now)
    if queued == FIRST_CHUNK:
        db.session.add(Fanout(update_id=update.id, after_subscriber_id=last, created_at=now))
    _end_incident_subscriptions(update, now=now)


def continue_fanout(*, now: datetime, limit: int) -> int:
    """Write the next `limit` deliveries of the oldest update whose subscribers are not all
    written yet (the caller commits: the chunk and the new position go together)."""
    fanout = db.session.scalar(
        sa.select(Fanout).order_by(Fanout.id).limit(1).with_for_update(skip_locked=True)
    )
    if fanout is None:
        return 0
    update = db.session.get_one(Update, fanout.update_id)
    queued, last = _write_update_chunk(
        update, after=fanout.after_subscriber_id, limit=limit, now=now
    )
    if queued < limit:
        db.session.delete(fanout)
    else:
        fanout.after_subscriber_id = last
    return queued


def _write_update_chunk(
    update: Update, *, after: int, limit: int, now: datetime
) -> tuple[int, int]:
    """The deliveries of the next `limit` subscribers to everything (or to components the
    incident touches) after subscriber `after`: how many were written, and the last one's id."""
    component_ids = [link.component_id for link in update.incident.components]
    chosen = (_wants_any_of(component_ids),) if component_ids else ()
    # In subscriber order along ix_subscriber_audience_everything: no sort of the whole list.
    receivers = _receiving(
        Subscriber.audience_id == update.audience_id,
        Subscriber.incident_id.is_(None),
        Subscriber.id > after,
        *chosen,
    )
    chunk = receivers.order_by(Subscriber.id).limit(limit).subquery()
    # Counted here: some drivers cannot tell how many rows an INSERT ... SELECT wrote.
    count, last = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(chunk.c.id)).select_from(chunk)
    ).one()
    if not count:
        return 0, after
    _insert_update_deliveries(update, receivers.where(Subscriber.id <= last), now=now)
    return count, last


def _insert_update_deliveries(update: Update, receivers: sa.Select[Any], *, now: datetime) -> None:
    _insert_from(
        receivers,
        kind=DeliveryKind.INCIDENT_UPDATE,
        key_prefix=f"update:{update.id}:subscriber:",
        now=now,
        update_id=update.id,
    )


def _end_incident_subscriptions(update: Update, *, now: datetime) -> None:
    # After the closing update is queued, so its subscribers still hear how it ended.
    if update.status not in CLOSED_STATUSES:
        return
    db.session.execute(
        sa.update(Subscriber)
        .where(
            Subscriber.incident_id == update.incident_id,
            Subscriber.audience_id == update.audience_id,
            Subscriber.ended_at.is_(None),
        )
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )


def enqueue_component_change(
    component: Component, change: ComponentStatusChange, *, now: datetime
) -> None:
    """Write one delivery per webhook subscriber that follows this component.

    Subscribers of a public audience hear only of public components (invariant 1); internal
    audiences' webhooks hear of every component. Email subscribers learn of components through the
    incident updates instead, so they are not sent a second message for the same event.
    """
    receivers = _receiving(Subscriber.kind == SubscriberKind.WEBHOOK).where(
        _wants_any_of([component.id])
    )
    if not component.is_public:
        receivers = receivers.where(
            Subscriber.audience_id.in_(sa.select(Audience.id).where(Audience.is_public.is_(False)))
        )
    _insert_from(
        receivers,
        kind=DeliveryKind.COMPONENT_UPDATE,
        key_prefix=f"component-change:{change.id}:subscriber:",
        now=now,
        component_change_id=change.id,
    )


def enqueue_subscription_email(
    subscriber: Subscriber, kind: DeliveryKind, *, now: datetime
) -> None:
    """Queue the confirmation link, or the "already subscribed" note with the manage link (to a
    chat channel: the "you are subscribed" message that confirms it when its hook takes it)."""
    if kind not in {DeliveryKind.CONFIRM_SUBSCRIPTION, DeliveryKind.MANAGE_SUBSCRIPTION}:
        raise ValueError(f"{kind} is not a subscription email")
    db.session.add(
        Delivery(
            kind=kind,
            channel=subscriber.kind,
            recipient=subscriber.address,
            subscriber_id=subscriber.id,
            dedupe_key=f"{kind}:{subscriber.id}:{secrets.token_hex(8)}",
            next_attempt_at=now,
            created_at=now,
        )
    )


@dataclass(frozen=True)
class OutgoingEmail:
    """An email to anyone (not a subscriber): plain text, laid out with the page's name and a link;
    or the same posted to a Slack or Teams hook (`channel`, with the hook URL as `address`).

    `dedupe_key` names what the message is about (e.g. "cadence:<alert id>:<user id>"), so a job
    that runs twice, or two schedulers, cannot queue it twice.
    """

    address: str
    subject: str
    text: str
    dedupe_key: str
    name: str | None = None
    link: str | None = None
    subscriber_id: int | None = None  # a subscriber's: it goes only while they still subscribe
    channel: SubscriberKind = SubscriberKind.EMAIL


def enqueue_email(
    address: str,
    *,
    subject: str,
    text: str,
    dedupe_key: str,
    now: datetime,
    name: str | None = None,
    link: str | None = None,
) -> Delivery | None:
    """Queue an email to anyone (for example a reminder to a liaison); None if the key was used."""
    email = OutgoingEmail(address, subject, text, dedupe_key, name=name, link=link)
    delivery_id = db.session.execute(
        _insert_new_emails().returning(Delivery.__table__.c.id), _email_row(email, now=now)
    ).scalar()
    return db.session.get(Delivery, delivery_id) if delivery_id is not None else None


def enqueue_emails(emails: Sequence[OutgoingEmail], *, now: datetime) -> None:
    """Queue many emails in one batched statement; those whose key was used are left out.

    The cadence tick queues thousands at once in a burst. Without RETURNING the driver sends the
    rows as one pipelined batch of a prepared statement, the cheapest way in for this many.
    """
    if emails:
        db.session.execute(_insert_new_emails(), [_email_row(email, now=now) for email in emails])


def _insert_new_emails() -> sa.Insert:
    # A key already used (a second scheduler queueing the same email) is left out.
    return insert_ignoring_duplicates(Delivery.__table__, conflict_columns=["dedupe_key"])


def _email_row(email: OutgoingEmail, *, now: datetime) -> dict[str, Any]:
    return {
        "kind": DeliveryKind.MESSAGE,
        "channel": email.channel,
        "recipient": email.address,
        "subscriber_id": email.subscriber_id,
        "dedupe_key": email.dedupe_key,
        "payload": {
            "subject": clean_text(email.subject, field="subject", max_length=SUBJECT_LENGTH),
            "text": clean_text(email.text, field="text", max_length=TEXT_LENGTH, multiline=True),
            "name": email.name,
            "link": email.link,
        },
        "state": DeliveryState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue_event(event: dict[str, Any], *, dedupe_key: str, now: datetime) -> None:
    """Queue a PagerDuty Events API v2 event, as built (posted to the configured events URL)."""
    db.session.execute(
        _insert_new_emails(),
        {
            "kind": DeliveryKind.MESSAGE,
            "channel": SubscriberKind.PAGERDUTY,
            "recipient": "PagerDuty Events API v2",
            "subscriber_id": None,
            "dedupe_key": dedupe_key,
            "payload": {"event": event},
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


def email_subscribers(
    audience_id: int, component_ids: Sequence[int]
) -> list[tuple[int, str, str | None]]:
    """(id, address, name) of the audience's confirmed email subscribers who follow any of the
    components (or everything); all of them when no component is named."""
    receivers = _receiving(
        Subscriber.audience_id == audience_id, Subscriber.kind == SubscriberKind.EMAIL
    ).add_columns(Subscriber.name)
    if component_ids:
        receivers = receivers.where(_wants_any_of(list(component_ids)))
    return [(row.id, row.address, row.name) for row in db.session.execute(receivers)]


def subscription_emails_since(address: str, since: datetime) -> int:
    """How many subscription emails went (or wait to go) to the address since a time."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Delivery.id)).where(
                Delivery.recipient == address,
                Delivery.kind.in_(
                    [DeliveryKind.CONFIRM_SUBSCRIPTION, DeliveryKind.MANAGE_SUBSCRIPTION]
                ),
                Delivery.created_at >= since,
            )
        )
        or 0
    )


def cancel_pending(subscriber: Subscriber, *, now: datetime) -> int:
    """Cancel what still waits to go to a subscriber who left; returns how many."""
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.subscriber_id == subscriber.id, Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.CANCELLED, last_error="the subscriber left", sent_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _receiving(*conditions: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return sa.select(Subscriber.id, Subscriber.kind, Subscriber.address).where(
        Subscriber.confirmed_at.is_not(None),
        Subscriber.is_active.is_(True),
        Subscriber.unsubscribed_at.is_(None),
        Subscriber.ended_at.is_(None),
        *conditions,
    )


def _wants_any_of(component_ids: list[int]) -> sa.ColumnElement[bool]:
    chosen = sa.select(subscriber_component.c.subscriber_id).where(
        subscriber_component.c.subscriber_id == Subscriber.id
    )
    return sa.or_(
        ~chosen.exists(),
        chosen.where(subscriber_component.c.component_id.in_(component_ids)).exists(),
    )


def _insert_from(
    receivers: sa.Select[Any],
    *,
    kind: DeliveryKind,
    key_prefix: str,
    now: datetime,
    update_id: int | None = None,
    component_change_id: int | None = None,
) -> None:
    # One INSERT ... SELECT: ten thousand subscribers cost one statement, not ten thousand rows
    # travelling through Python, which keeps publishing fast.
    rows = receivers.subquery()
    at = sa.literal(now, UTCDateTime())
    select = sa.select(
        sa.literal(str(kind)),
        rows.c.kind,
        rows.c.address,
        sa.literal(key_prefix) + sa.cast(rows.c.id, sa.String),
        sa.literal(update_id, sa.Integer),
        sa.literal(component_change_id, sa.Integer),
        rows.c.id,
        sa.literal(str(DeliveryState.PENDING)),
        sa.literal(0),
        at,
        at,
    )
    table = Delivery.__table__
    db.session.execute(
        table.insert().from_select(
            [
                table.c.kind,
                table.c.channel,
                table.c.recipient,
                table.c.dedupe_key,
                table.c.update_id,
                table.c.component_change_id,
                table.c.subscriber_id,
                table.c.state,
                table.c.attempts,
                table.c.next_attempt_at,
                table.c.created_at,
            ],
            select,
        )
    )
