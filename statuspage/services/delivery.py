"""The outbox worker: claim due deliveries, send them, and record what happened.

Claiming is one short transaction (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
schedulers share the work without sending a row twice; SQLite runs one scheduler): each claimed row
gets a lease (its next attempt moves past the send), and the sending happens with no lock held.
What the receivers accepted is committed as sent every CHECKPOINT_SECONDS while the rest of the
batch is still going out, so a worker that dies mid-batch leaves only the messages of its last
moment to be sent again; those are picked up when the lease runs out, and the retry carries the
same idempotency key (email Message-ID, webhook `X-Statuspage-Delivery`).

Failures are retried with exponential backoff and jitter up to a cap on attempts; a subscriber
failing for days is switched off.
"""

from __future__ import annotations

import functools
import json
import logging
import queue
import random
import smtplib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage import mailer, webhooks
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
    User,
)
from statuspage.services import messages, notifications
from statuspage.services.records import record_audit

log = logging.getLogger(__name__)
ERROR_LENGTH = 1000
WEBHOOK_THREADS = 8
CHECKPOINT_SECONDS = 0.1
USER_AGENT = "statuspage-webhooks/1"


@dataclass(frozen=True)
class DeliverySettings:
    """How the worker sends: servers, retry policy and batch sizes (from the STATUSPAGE_* config)."""

    smtp_url: str | None
    mail_from: str
    secret_key: str
    smtp_timeout: float = 30
    smtp_connections: int = 4
    webhook_timeout: float = 10
    allowed_networks: tuple[webhooks.Network, ...] = ()
    batch_size: int = 500
    lease: timedelta = timedelta(minutes=10)
    max_attempts: int = 10
    retry_base: float = 30
    retry_max: float = 3600
    deactivate_after: timedelta = timedelta(days=3)
    confirm_hours: int = 48

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeliverySettings:
        return cls(
            smtp_url=config["SMTP_URL"],
            mail_from=config["MAIL_FROM"],
            secret_key=config["SECRET_KEY"],
            smtp_timeout=float(config["SMTP_TIMEOUT_SECONDS"]),
            smtp_connections=int(config["SMTP_CONNECTIONS"]),
            webhook_timeout=float(config["WEBHOOK_TIMEOUT_SECONDS"]),
            allowed_networks=webhooks.parse_networks(config["WEBHOOK_ALLOWED_NETWORKS"]),
            batch_size=int(config["DELIVERY_BATCH_SIZE"]),
            lease=timedelta(seconds=float(config["DELIVERY_LEASE_SECONDS"])),
            max_attempts=int(config["DELIVERY_MAX_ATTEMPTS"]),
            retry_base=float(config["DELIVERY_RETRY_BASE_SECONDS"]),
            retry_max=float(config["DELIVERY_RETRY_MAX_SECONDS"]),
            deactivate_after=timedelta(days=float(config["SUBSCRIBER_DEACTIVATE_AFTER_DAYS"])),
            confirm_hours=int(config["SUBSCRIPTION_CONFIRM_HOURS"]),
        )


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


@dataclass
class _Outcome:
    error: str | None = None
    permanent: bool = False
    cancelled: bool = False


@dataclass(frozen=True)
class _Post:
    delivery_id: int
    url: str
    secret: str
    body: bytes
    headers: dict[str, str]


@dataclass
class _Batch:
    # Plain data only: the senders run in threads, which must not touch the session.
    emails: list[tuple[int, mailer.Email]] = field(default_factory=list)
    posts: list[_Post] = field(default_factory=list)
    outcomes: dict[int, _Outcome] = field(default_factory=dict)


# A sender tells each delivery's outcome as soon as it knows it.
_Tell = Callable[[int, _Outcome], None]
_Task = Callable[[_Tell], None]


def claim_due(*, now: datetime, limit: int, lease: timedelta) -> list[int]:
    """Take up to `limit` due deliveries for this worker until the lease runs out; commit after."""
    ids = list(
        db.session.scalars(
            sa.select(Delivery.id)
            .where(Delivery.state == DeliveryState.PENDING, Delivery.next_attempt_at <= now)
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
    emails = _email_tasks(batch, settings, sender_name=site.name, now=now)
    posts = [functools.partial(_post, item, settings) for item in batch.posts]
    workers = len(emails) + min(WEBHOOK_THREADS, len(posts))
    # A checkpoint per message would cost a commit each: one per group, every CHECKPOINT_SECONDS,
    # costs nothing measurable (bench/subscriptions.py).
    for arrived in _as_they_arrive([*emails, *posts], workers=workers):
        batch.outcomes.update(arrived)
        sent = [delivery_id for delivery_id, outcome in arrived if outcome.error is None]
        if checkpoint is not None and sent:
            _mark_sent(sent, now=now)
            checkpoint()
    if checkpoint is not None:
        deliveries = _load_claimed(ids)  # a checkpoint may have expired them
    report = Report()
    for delivery in deliveries:
        outcome = batch.outcomes.get(delivery.id, _Outcome(error="not sent"))
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


def _as_they_arrive(
    tasks: Sequence[_Task], *, workers: int
) -> Iterator[list[tuple[int, _Outcome]]]:
    """Run the senders side by side and yield what they told every CHECKPOINT_SECONDS, until done.

    A group may be empty; the last one holds whatever remained when the last sender finished.
    """
    if not tasks:
        return
    arrived: queue.SimpleQueue[tuple[int, _Outcome]] = queue.SimpleQueue()

    def tell(delivery_id: int, outcome: _Outcome) -> None:
        arrived.put((delivery_id, outcome))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(task, tell) for task in tasks]
        while True:
            _, running = wait(futures, timeout=CHECKPOINT_SECONDS)
            group = []
            while not arrived.empty():
                group.append(arrived.get_nowait())
            yield group
            if not running:  # each sender told everything before it finished
                break
        for future in futures:
            future.result()  # a sender's unexpected error is the run's


def backoff(attempts: int, settings: DeliverySettings, *, jitter: float) -> timedelta:
    """The wait after the given number of failed attempts: doubling, capped, with half jittered."""
    ceiling = min(settings.retry_max, settings.retry_base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling / 2 + jitter * ceiling / 2)


def retry(deliveries: Sequence[Delivery], *, by: User, now: datetime) -> int:
    """Send failed or cancelled deliveries again now, with a fresh set of attempts."""
    count = 0
    for delivery in deliveries:
        if delivery.state is DeliveryState.SENT or delivery.state is DeliveryState.PENDING:
            continue
        delivery.state = DeliveryState.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = now
        count += 1
    if count:
        record_audit(by, "deliveries.retried", "delivery", None, now=now, details={"count": count})
    return count


def get_deliveries(ids: Sequence[int]) -> list[Delivery]:
    """The deliveries with these ids."""
    return list(db.session.scalars(sa.select(Delivery).where(Delivery.id.in_(ids))))


def undelivered(update_id: int) -> list[Delivery]:
    """The update's deliveries that failed or were cancelled."""
    return list(
        db.session.scalars(
            sa.select(Delivery).where(
                Delivery.update_id == update_id,
                Delivery.state.in_([DeliveryState.FAILED, DeliveryState.CANCELLED]),
            )
        )
    )


@dataclass(frozen=True)
class UpdateDeliveries:
    """Delivery counts for one published update."""

    update: Update
    counts: dict[DeliveryState, int]


def status_per_update(*, limit: int = 50) -> list[UpdateDeliveries]:
    """The latest published updates that have deliveries, with counts per state."""
    rows = db.session.execute(
        sa.select(Delivery.update_id, Delivery.state, sa.func.count(Delivery.id))
        .where(Delivery.update_id.in_(_latest_updates_with_deliveries(limit)))
        .group_by(Delivery.update_id, Delivery.state)
    ).all()
    counts: dict[int, dict[DeliveryState, int]] = {}
    for update_id, state, count in rows:
        counts.setdefault(update_id, {s: 0 for s in DeliveryState})[state] = count
    updates = db.session.scalars(
        sa.select(Update)
        .where(Update.id.in_(counts))
        .options(selectinload(Update.incident), selectinload(Update.audience))
        .order_by(Update.published_at.desc(), Update.id.desc())
    ).all()
    return [UpdateDeliveries(update, counts[update.id]) for update in updates]


def deliveries_of_update(update_id: int, *, limit: int = 500) -> list[Delivery]:
    """An update's deliveries, failed first, then pending, then the rest."""
    order = sa.case(
        (Delivery.state == DeliveryState.FAILED, 0),
        (Delivery.state == DeliveryState.PENDING, 1),
        else_=2,
    )
    return list(
        db.session.scalars(
            sa.select(Delivery)
            .where(Delivery.update_id == update_id)
            .order_by(order, Delivery.id)
            .limit(limit)
        )
    )


def recent_problems(*, limit: int = 50) -> list[Delivery]:
    """Deliveries of any kind that failed or are being retried, newest first."""
    return list(
        db.session.scalars(
            sa.select(Delivery)
            .where(
                sa.or_(
                    Delivery.state == DeliveryState.FAILED,
                    sa.and_(
                        Delivery.state == DeliveryState.PENDING, Delivery.last_error.is_not(None)
                    ),
                )
            )
            .order_by(Delivery.id.desc())
            .limit(limit)
        )
    )


def _latest_updates_with_deliveries(limit: int) -> sa.Select[tuple[int]]:
    latest = (
        sa.select(Delivery.update_id)
        .where(Delivery.update_id.is_not(None))
        .group_by(Delivery.update_id)
        .order_by(Delivery.update_id.desc())
        .limit(limit)
    )
    return sa.select(latest.subquery().c.update_id)


def _build(
    deliveries: Sequence[Delivery], *, site: Site, settings: DeliverySettings, now: datetime
) -> _Batch:
    batch = _Batch()
    tokens = SubscriptionTokens(settings.secret_key)
    updates = {
        update.id: messages.UpdateContent.of(update, site, now=now)
        for update in _load_updates({d.update_id for d in deliveries if d.update_id})
    }
    for delivery in deliveries:
        subscriber = delivery.subscriber
        reason = _why_not(delivery, subscriber)
        if reason:
            delivery.last_error = reason
            batch.outcomes[delivery.id] = _Outcome(cancelled=True)
            continue
        try:
            if delivery.channel is SubscriberKind.EMAIL:
                email = _email(delivery, updates, site, tokens, settings)
                batch.emails.append((delivery.id, email))
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
                    _Post(delivery.id, delivery.recipient, subscriber.signing_secret, body, headers)
                )
        except Exception as error:  # a message that cannot be built will not build next time
            log.exception("delivery could not be built", extra={"delivery": delivery.id})
            batch.outcomes[delivery.id] = _Outcome(error=_describe(error), permanent=True)
    return batch


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
    updates: Mapping[int, messages.UpdateContent],
    site: Site,
    tokens: SubscriptionTokens,
    settings: DeliverySettings,
) -> mailer.Email:
    if delivery.kind is DeliveryKind.INCIDENT_UPDATE and delivery.update_id:
        return messages.update_email(
            delivery, updates[delivery.update_id], site=site, tokens=tokens
        )
    if delivery.kind is DeliveryKind.MESSAGE:
        return messages.stored_email(delivery, site=site)
    return messages.subscription_email(
        delivery, site=site, tokens=tokens, confirm_hours=settings.confirm_hours
    )


def _webhook_body(
    delivery: Delivery,
    updates: Mapping[int, messages.UpdateContent],
    site: Site,
    tokens: SubscriptionTokens,
) -> tuple[bytes, str]:
    if delivery.kind is DeliveryKind.INCIDENT_UPDATE and delivery.update_id:
        content = updates[delivery.update_id]
        payload = messages.update_payload(delivery, content, site=site, tokens=tokens)
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


def _email_tasks(
    batch: _Batch, settings: DeliverySettings, *, sender_name: str, now: datetime
) -> list[_Task]:
    if not batch.emails:
        return []
    if not settings.smtp_url:
        for delivery_id, _ in batch.emails:
            batch.outcomes[delivery_id] = _Outcome(error="STATUSPAGE_SMTP_URL is not set")
        return []
    ready: list[tuple[int, EmailMessage, str]] = []
    for delivery_id, email in batch.emails:
        try:
            message = mailer.compose(
                email, sender=settings.mail_from, sender_name=sender_name, now=now
            )
        except (ValueError, TypeError) as error:
            batch.outcomes[delivery_id] = _Outcome(error=_describe(error), permanent=True)
            continue
        ready.append((delivery_id, message, email.recipient))
    smtp = mailer.SmtpSettings.from_url(settings.smtp_url, timeout=settings.smtp_timeout)
    # A few sessions side by side: each message costs several round trips to the server.
    sessions = max(1, min(settings.smtp_connections, len(ready)))
    return [
        functools.partial(_send_over_one_session, ready[start::sessions], smtp, settings)
        for start in range(sessions)
        if ready[start::sessions]
    ]


def _send_over_one_session(
    messages_to_send: list[tuple[int, EmailMessage, str]],
    smtp: mailer.SmtpSettings,
    settings: DeliverySettings,
    tell: _Tell,
) -> None:
    session: smtplib.SMTP | None = None
    try:
        for position, (delivery_id, message, recipient) in enumerate(messages_to_send):
            try:
                if session is None:
                    session = mailer.connect(smtp)
                session.send_message(message, from_addr=settings.mail_from, to_addrs=[recipient])
                tell(delivery_id, _Outcome())
            except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
                # The server answered and refused this one message; the session is still good.
                tell(
                    delivery_id,
                    _Outcome(error=_describe(error), permanent=mailer.is_permanent(error)),
                )
            except (OSError, smtplib.SMTPException) as error:
                # The server is unreachable or hung up: this and the rest of the chunk wait.
                text = _describe(error)
                for waiting_id, _, _ in messages_to_send[position:]:
                    tell(waiting_id, _Outcome(error=text))
                break
    finally:
        if session is not None:
            try:
                session.quit()
            except (OSError, smtplib.SMTPException):
                session.close()


def _post(item: _Post, settings: DeliverySettings, tell: _Tell) -> None:
    tell(item.delivery_id, _post_outcome(item, settings))


def _post_outcome(item: _Post, settings: DeliverySettings) -> _Outcome:
    timestamp = int(time.time())
    signed = {
        **item.headers,
        webhooks.TIMESTAMP_HEADER: str(timestamp),
        webhooks.SIGNATURE_HEADER: webhooks.sign(item.secret, timestamp, item.body),
    }
    try:
        status = webhooks.post(
            item.url,
            item.body,
            signed,
            allowed_networks=settings.allowed_networks,
            timeout=settings.webhook_timeout,
        )
    except webhooks.UnsafeWebhookURL as error:
        return _Outcome(error=str(error))
    except (OSError, ValueError) as error:
        return _Outcome(error=_describe(error))
    if 200 <= status < 300:
        return _Outcome()
    return _Outcome(error=f"the receiver answered HTTP {status}")


def _record(
    delivery: Delivery,
    outcome: _Outcome,
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
        notifications.cancel_pending(subscriber, now=now)
        log.warning(
            "subscriber deactivated after failing for days",
            extra={
                "subscriber": subscriber.id,
                "failing_since": subscriber.failing_since.isoformat(),
            },
        )


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
