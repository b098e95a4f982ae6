"""Sending one claimed batch: a few SMTP sessions and the webhook posts side by side in one pool,
each delivery's outcome told as soon as it is known.

The senders run in threads and see plain data only (never the session); the worker collects what
they told every CHECKPOINT_SECONDS.
"""

from __future__ import annotations

import functools
import http.client
import logging
import queue
import smtplib
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from statuspage.services.outbox import mailer, webhooks
from statuspage.services.outbox.settings import DeliverySettings

log = logging.getLogger(__name__)

WEBHOOK_THREADS = 8
CHECKPOINT_SECONDS = 0.1


@dataclass
class Outcome:
    error: str | None = None
    permanent: bool = False
    cancelled: bool = False


@dataclass(frozen=True)
class Post:
    delivery_id: int
    url: str
    secret: str | None  # None: unsigned (a chat hook, whose URL is its secret)
    body: bytes
    headers: dict[str, str]


@dataclass
class Batch:
    # Plain data only: the senders run in threads, which must not touch the session.
    emails: list[tuple[int, mailer.Email]] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    outcomes: dict[int, Outcome] = field(default_factory=dict)


HELD_BACK = "held back: an earlier message to this receiver has not arrived yet"
# A sender tells each delivery's outcome as soon as it knows it.
Tell = Callable[[int, Outcome], None]
Task = Callable[[Tell], None]


def send(
    batch: Batch, settings: DeliverySettings, *, sender_name: str, now: datetime
) -> Iterator[list[tuple[int, Outcome]]]:
    """Send the batch's emails and posts side by side; yield what arrived every CHECKPOINT_SECONDS.

    A message that cannot even be composed, or has no mail server to go to, is told at once in
    `batch.outcomes` instead.
    """
    emails = _email_tasks(batch, settings, sender_name=sender_name, now=now)
    # One receiver's posts go one after the other, in the order they were written.
    by_receiver: dict[str, list[Post]] = {}
    for item in sorted(batch.posts, key=lambda post: post.delivery_id):
        by_receiver.setdefault(item.url, []).append(item)
    posts = [functools.partial(_post_in_order, items, settings) for items in by_receiver.values()]
    workers = len(emails) + min(WEBHOOK_THREADS, len(posts))
    yield from _as_they_arrive([*emails, *posts], workers=workers)


def _as_they_arrive(tasks: Sequence[Task], *, workers: int) -> Iterator[list[tuple[int, Outcome]]]:
    """Run the senders side by side and yield what they told every CHECKPOINT_SECONDS, until done.

    A group may be empty; the last one holds whatever remained when the last sender finished.
    """
    if not tasks:
        return
    arrived: queue.SimpleQueue[tuple[int, Outcome]] = queue.SimpleQueue()

    def tell(delivery_id: int, outcome: Outcome) -> None:
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


def _email_tasks(
    batch: Batch, settings: DeliverySettings, *, sender_name: str, now: datetime
) -> list[Task]:
    if not batch.emails:
        return []
    if not settings.smtp_url:
        for delivery_id, _ in batch.emails:
            batch.outcomes[delivery_id] = Outcome(error="STATUSPAGE_SMTP_URL is not set")
        return []
    ready: list[tuple[int, bytes, str]] = []
    for delivery_id, email in batch.emails:
        try:
            message = mailer.compose(
                email, sender=settings.mail_from, sender_name=sender_name, now=now
            )
        except (ValueError, TypeError) as error:
            batch.outcomes[delivery_id] = Outcome(error=describe_error(error), permanent=True)
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
    messages_to_send: list[tuple[int, bytes, str]],
    smtp: mailer.SmtpSettings,
    settings: DeliverySettings,
    tell: Tell,
) -> None:
    session: smtplib.SMTP | None = None
    try:
        for position, (delivery_id, message, recipient) in enumerate(messages_to_send):
            try:
                if session is None:
                    session = mailer.connect(smtp)
                session.sendmail(settings.mail_from, [recipient], message)
                tell(delivery_id, Outcome())
            except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
                # The server answered and refused this one message; the session is still good.
                tell(
                    delivery_id,
                    Outcome(error=describe_error(error), permanent=mailer.is_permanent(error)),
                )
            except Exception as error:  # recorded on the messages, never the run's
                # The server is unreachable or hung up (or something unforeseen broke the
                # session): this and the rest of the chunk wait for their retry.
                if not isinstance(error, OSError | smtplib.SMTPException):
                    log.exception("email session failed unexpectedly")
                text = describe_error(error)
                for waiting_id, _, _ in messages_to_send[position:]:
                    tell(waiting_id, Outcome(error=text))
                break
    finally:
        if session is not None:
            try:
                session.quit()
            except (OSError, smtplib.SMTPException):
                session.close()


def _post_in_order(items: list[Post], settings: DeliverySettings, tell: Tell) -> None:
    """Post each in turn; once one does not arrive, the later ones wait for its retry."""
    for position, item in enumerate(items):
        outcome = _post_outcome(item, settings)
        tell(item.delivery_id, outcome)
        if outcome.error is not None:
            for later in items[position + 1 :]:
                tell(later.delivery_id, Outcome(error=HELD_BACK))
            return


def _post_outcome(item: Post, settings: DeliverySettings) -> Outcome:
    timestamp = int(time.time())
    signed = dict(item.headers)
    if item.secret is not None:
        signed[webhooks.TIMESTAMP_HEADER] = str(timestamp)
        signed[webhooks.SIGNATURE_HEADER] = webhooks.sign(item.secret, timestamp, item.body)
    try:
        status = webhooks.post(
            item.url,
            item.body,
            signed,
            allowed_networks=settings.allowed_networks,
            timeout=settings.webhook_timeout,
        )
    except webhooks.UnsafeWebhookURL as error:
        return Outcome(error=str(error))
    except (OSError, ValueError, http.client.HTTPException) as error:
        return Outcome(error=describe_error(error))
    except Exception as error:  # one receiver's failure is recorded on its message, never the run's
        log.exception("webhook post failed unexpectedly", extra={"delivery": item.delivery_id})
        return Outcome(error=describe_error(error))
    if 200 <= status < 300:
        return Outcome()
    return Outcome(error=f"the receiver answered HTTP {status}")


def describe_error(error: BaseException) -> str:
    """What went wrong, for a delivery's last error: the exception's type and message."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
