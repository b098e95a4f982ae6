"""The outbox worker: claim due deliveries, send them, and record what happened.

Claiming is one short transaction (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
schedulers share the work without sending a row twice; SQLite runs one scheduler): each claimed row
gets a lease (its next attempt moves past the send), and the sending happens with no lock held.
What the receivers accepted is committed as sent every sending.CHECKPOINT_SECONDS while the rest of the
batch is still going out, so a worker that dies mid-batch leaves only the messages of its last
moment to be sent again; those are picked up when the lease runs out, and the retry carries the
same idempotency key (email Message-ID, webhook `X-Statuspage-Delivery`).

Failures are retried with exponential backoff and jitter up to a cap on attempts; a subscriber
failing for days is switched off.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from statuspage.core.site import Site
from statuspage.core.tokens import SubscriptionTokens
from statuspage.extensions import db
from statuspage.models import (
    ComponentStatusChange,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Subscriber,
    SubscriberKind,
    Update,
)
from statuspage.services.outbox import chat, enqueue, mailer, messages, sending, webhooks
from statuspage.services.outbox.sending import Batch, Outcome, Post, describe_error
from statuspage.services.outbox.settings import DeliverySettings

log = logging.getLogger(__name__)
ERROR_LENGTH = 1000
USER_AGENT = "statuspage-webhooks/1"


@dataclass
class Report:
    """What one pass of the worker did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0

    def add(self, other: Report) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.cancelled += other.cancelled


# Channels posted to a URL: one subscriber's posts arrive in the order they were written.
_POSTED = [SubscriberKind.WEBHOOK, *sorted(chat.CHAT_KINDS)]


def claim_due(*, now: datetime, limit: int, lease: timedelta) -> list[int]:
    """Take up to `limit` due deliveries for this worker until the lease runs out; commit after.

    A webhook waits while an earlier one to its subscriber is still to arrive (retrying, or
    leased to another worker): a receiver gets one subscriber's messages in the order they were
    written.
    """
    earlier = aliased(Delivery)
    waiting_behind = (
        sa.select(earlier.id)
        .where(
            earlier.subscriber_id == Delivery.subscriber_id,
            earlier.channel.in_(_POSTED),
            earlier.state == DeliveryState.PENDING,
            earlier.id < Delivery.id,
            earlier.next_attempt_at > now,
        )
        .exists()
    )
    ids = list(
        db.session.scalars(
            sa.select(Delivery.id)
            .where(
                Delivery.state == DeliveryState.PENDING,
                Delivery.next_attempt_at <= now,
                ~sa.and_(Delivery.channel.in_(_POSTED), waiting_behind),
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(attempts=Delivery.attempts + 1, next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
    return ids


def send_claimed(
    ids: Sequence[int],
    *,
    site: Site,
    settings: DeliverySettings,
    now: datetime,
    jitter: Callable[[], float] = random.random,
    checkpoint: Callable[[], None] | None = None,
) -> Report:
    """Build and send the claimed deliveries, then record each outcome (the caller commits).

    With `checkpoint` (the scheduler passes its commit), the messages the receiver accepted are
    marked sent and checkpointed every CHECKPOINT_SECONDS while the rest of the batch is still
    going out: a worker killed mid-batch then leaves only the messages of its last moment to be
    sent again, not the whole batch.
    """
    deliveries = _load_claimed(ids)
    batch = _build(deliveries, site=site, settings=settings, now=now)
    # A checkpoint per message would cost a commit each: one per group, every CHECKPOINT_SECONDS,
    # costs nothing measurable (bench/subscriptions.py).
    for arrived in sending.send(batch, settings, sender_name=site.name, now=now):
        batch.outcomes.update(arrived)
        sent = [delivery_id for delivery_id, outcome in arrived if outcome.error is None]
        if checkpoint is not None and sent:
            _mark_sent(sent, now=now)
            checkpoint()
    if checkpoint is not None:
        deliveries = _load_claimed(ids)  # a checkpoint may have expired them
    report = Report()
    for delivery in deliveries:
        outcome = batch.outcomes.get(delivery.id, Outcome(error="not sent"))
        _record(delivery, outcome, settings, now=now, jitter=jitter, report=report)
    db.session.flush()
    return report


def _load_claimed(ids: Sequence[int]) -> Sequence[Delivery]:
    return db.session.scalars(
        sa.select(Delivery)
        .where(Delivery.id.in_(ids))
        .options(selectinload(Delivery.subscriber))
        .order_by(Delivery.id)
    ).all()


def _mark_sent(ids: Sequence[int], *, now: datetime) -> None:
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(state=DeliveryState.SENT, sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )


def backoff(attempts: int, settings: DeliverySettings, *, jitter: float) -> timedelta:
    """The wait after the given number of failed attempts: doubling, capped, with half jittered."""
    ceiling = min(settings.retry_max, settings.retry_base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling / 2 + jitter * ceiling / 2)


def _build(
    deliveries: Sequence[Delivery], *, site: Site, settings: DeliverySettings, now: datetime
) -> Batch:
    batch = Batch()
    tokens = SubscriptionTokens(settings.secret_key)
    updates = {
        update.id: update
        for update in _load_updates({d.update_id for d in deliveries if d.update_id})
    }
    for delivery in deliveries:
        subscriber = delivery.subscriber
        reason = _why_not(delivery, subscriber)
        if reason:
            delivery.last_error = reason
            batch.outcomes[delivery.id] = Outcome(cancelled=True)
            continue
        try:
            if delivery.channel is SubscriberKind.EMAIL:
                email = _email(delivery, updates, site, tokens, settings)
                batch.emails.append((delivery.id, email))
            elif delivery.channel in chat.CHAT_KINDS:
                batch.posts.append(_chat_post(delivery, updates, site, tokens, settings))
            elif delivery.channel is SubscriberKind.PAGERDUTY:
                batch.posts.append(_event_post(delivery, settings))
            else:
                body, event = _webhook_body(delivery, updates, site, tokens)
                assert subscriber is not None and subscriber.signing_secret
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    webhooks.EVENT_HEADER: event,
                    webhooks.DELIVERY_HEADER: delivery.idempotency_key,
                }
                batch.posts.append(
                    Post(delivery.id, delivery.recipient, subscriber.signing_secret, body, headers)
                )
        except webhooks.UnsafeWebhookURL as error:  # a hook host no longer allowed
            batch.outcomes[delivery.id] = Outcome(error=str(error), permanent=True)
        except Exception as error:  # a message that cannot be built will not build next time
            log.exception("delivery could not be built", extra={"delivery": delivery.id})
            batch.outcomes[delivery.id] = Outcome(error=describe_error(error), permanent=True)
    return batch


def _chat_post(
    delivery: Delivery,
    updates: Mapping[int, Update],
    site: Site,
    tokens: SubscriptionTokens,
    settings: DeliverySettings,
) -> Post:
    """A Slack or Teams message: unsigned (the hook URL is the secret), on an allowed hook host."""
    channel = SubscriberKind(delivery.channel)
    chat.check_hook_url(delivery.recipient, channel, extra_hosts=settings.chat_hosts)
    update = updates.get(delivery.update_id) if delivery.update_id else None
    payload = messages.chat_payload(delivery, update, site=site, tokens=tokens)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        webhooks.DELIVERY_HEADER: delivery.idempotency_key,
    }
    return Post(delivery.id, delivery.recipient, None, chat.serialise(payload), headers)


def _event_post(delivery: Delivery, settings: DeliverySettings) -> Post:
    """A PagerDuty event as it was stored when raised (the routing key inside is its secret)."""
    body = chat.serialise((delivery.payload or {})["event"])
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        webhooks.DELIVERY_HEADER: delivery.idempotency_key,
    }
    return Post(delivery.id, settings.pagerduty_url, None, body, headers)


def _why_not(delivery: Delivery, subscriber: Subscriber | None) -> str | None:
    """Why a delivery should no longer go out, if it should not."""
    if subscriber is None:
        return None if delivery.kind is DeliveryKind.MESSAGE else "the subscriber was removed"
    if delivery.kind is DeliveryKind.CONFIRM_SUBSCRIPTION:
        return None if subscriber.confirm_nonce else "already confirmed, or a newer link was sent"
    if delivery.kind is DeliveryKind.MANAGE_SUBSCRIPTION:
        return None
    if subscriber.unsubscribed_at is not None:
        return "the subscriber left"
    if not subscriber.is_active:
        return "the subscriber is inactive"
    return None


def _email(
    delivery: Delivery,
    updates: Mapping[int, Update],
    site: Site,
    tokens: SubscriptionTokens,
    settings: DeliverySettings,
) -> mailer.Email:
    if delivery.kind is DeliveryKind.INCIDENT_UPDATE and delivery.update_id:
        return messages.update_email(
            delivery, updates[delivery.update_id], site=site, tokens=tokens
        )
    if delivery.kind is DeliveryKind.MESSAGE:
        return messages.stored_email(delivery, site=site, tokens=tokens)
    return messages.subscription_email(
        delivery, site=site, tokens=tokens, confirm_hours=settings.confirm_hours
    )


def _webhook_body(
    delivery: Delivery,
    updates: Mapping[int, Update],
    site: Site,
    tokens: SubscriptionTokens,
) -> tuple[bytes, str]:
    if delivery.kind is DeliveryKind.INCIDENT_UPDATE and delivery.update_id:
        update = updates[delivery.update_id]
        payload = messages.update_payload(delivery, update, site=site, tokens=tokens)
        event = "incident.update"
    elif delivery.kind is DeliveryKind.COMPONENT_UPDATE and delivery.component_change_id:
        change = db.session.get_one(ComponentStatusChange, delivery.component_change_id)
        payload = messages.component_payload(delivery, change, site=site, tokens=tokens)
        event = "component.update"
    else:
        raise ValueError(f"a {delivery.kind} delivery cannot go to a webhook")
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(), event


def _load_updates(ids: set[int]) -> list[Update]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Update)
            .where(Update.id.in_(ids))
            .options(selectinload(Update.incident), selectinload(Update.audience))
        )
    )


def _record(
    delivery: Delivery,
    outcome: Outcome,
    settings: DeliverySettings,
    *,
    now: datetime,
    jitter: Callable[[], float],
    report: Report,
) -> None:
    subscriber = delivery.subscriber
    if outcome.cancelled:
        delivery.state = DeliveryState.CANCELLED
        report.cancelled += 1
        return
    if outcome.error is None:
        delivery.state = DeliveryState.SENT
        delivery.sent_at = now
        delivery.last_error = None
        if subscriber is not None:
            subscriber.failing_since = None
            if (
                delivery.kind is DeliveryKind.CONFIRM_SUBSCRIPTION
                and delivery.channel in chat.CHAT_KINDS
            ):
                # A chat channel is confirmed by its hook taking the first message.
                subscriber.confirmed_at = subscriber.confirmed_at or now
                subscriber.confirm_nonce = None
        report.sent += 1
        return
    delivery.last_error = outcome.error[:ERROR_LENGTH]
    if outcome.permanent or delivery.attempts >= settings.max_attempts:
        delivery.state = DeliveryState.FAILED
        report.failed += 1
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts, settings, jitter=jitter())
        report.retrying += 1
    if subscriber is not None and delivery.kind in _SUBSCRIBED_KINDS:
        _note_failure(subscriber, settings, now=now)


_SUBSCRIBED_KINDS = {DeliveryKind.INCIDENT_UPDATE, DeliveryKind.COMPONENT_UPDATE}


def _note_failure(subscriber: Subscriber, settings: DeliverySettings, *, now: datetime) -> None:
    if subscriber.failing_since is None:
        subscriber.failing_since = now
    elif subscriber.is_active and now - subscriber.failing_since >= settings.deactivate_after:
        subscriber.is_active = False
        enqueue.cancel_pending(subscriber, now=now)
        log.warning(
            "subscriber deactivated after failing for days",
            extra={
                "subscriber": subscriber.id,
                "failing_since": subscriber.failing_since.isoformat(),
            },
        )
