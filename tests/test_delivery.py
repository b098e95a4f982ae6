"""The outbox worker: nothing lost, nothing doubled, retries with backoff, failing subscribers off.

A real SMTP server (tests/mail.py) and a real HTTP receiver (tests/webhook_receiver.py) on
127.0.0.1; time is passed to the worker, never slept through.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import (
    ComponentStatus,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Severity,
    Subscriber,
    SubscriberKind,
)
from statuspage.services.outbox import worker as delivery
from statuspage.services.outbox.enqueue import enqueue_email
from statuspage.services.outbox.settings import DeliverySettings
from statuspage.services.outbox.webhooks import DELIVERY_HEADER
from statuspage.services.outbox.worker import backoff
from tests.databases import postgres_base_url
from tests.factories import make_component, make_incident, make_published, make_subscriber
from tests.mail import text_part
from tests.outbox import deliver


@pytest.fixture
def incident_id(app):
    with app.app_context():
        incident = make_incident(severity=Severity.SEV3)
        db.session.commit()
        return incident.id


def add_subscribers(app, *addresses, kind=SubscriberKind.EMAIL, audience="customers"):
    with app.app_context():
        for address in addresses:
            make_subscriber(address, audience, kind=kind)
        db.session.commit()


def publish(app, incident_id, body):
    """Publish a customers update; returns how long publishing took, commit included."""
    from statuspage.models import Incident

    with app.app_context():
        started = time.perf_counter()
        incident = db.session.get(Incident, incident_id)
        make_published(incident, "customers", body=body, now=utcnow())
        db.session.commit()
        return time.perf_counter() - started


def update_deliveries(app):
    with app.app_context():
        return db.session.scalars(
            sa.select(Delivery).where(Delivery.kind == DeliveryKind.INCIDENT_UPDATE)
        ).all()


def test_smtp_down_while_three_updates_are_published_then_each_email_arrives_once(
    app, mail_sink, incident_id
):
    app.config["SMTP_URL"] = mail_sink.url
    addresses = ["a@example.com", "b@example.com", "c@example.com"]
    add_subscribers(app, *addresses)
    mail_sink.stop()
    bodies = ["First news.", "Second news.", "Third news."]
    for body in bodies:
        assert publish(app, incident_id, body) < 1.0  # publishing never waits for the server

    down = deliver(app)
    assert (down.sent, down.retrying) == (0, 9)
    assert all("ConnectionRefusedError" in d.last_error for d in update_deliveries(app))

    mail_sink.start()
    assert deliver(app).sent == 0  # still backing off: nothing is due yet
    back = deliver(app, now=utcnow() + timedelta(hours=2))
    assert back.sent == 9
    assert deliver(app, now=utcnow() + timedelta(days=1)).sent == 0
    for address in addresses:
        received = Counter(
            body
            for message in mail_sink.to(address)
            for body in bodies
            if body in text_part(message)
        )
        assert received == Counter(bodies), address
        assert len({m["Message-ID"] for m in mail_sink.to(address)}) == len(mail_sink.to(address))


def test_a_webhook_receiver_failing_twice_gets_each_update_exactly_once(
    app, webhook_receiver, incident_id
):
    add_subscribers(app, webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
    webhook_receiver.fail_next(500, 500)
    for body in ("One.", "Two.", "Three."):
        publish(app, incident_id, body)
    start = utcnow()
    deliver(app, now=start)  # 500, 500, 200
    deliver(app, now=start + timedelta(hours=1))  # the two failed ones: 200, 200
    deliver(app, now=start + timedelta(hours=2))
    accepted = webhook_receiver.accepted()
    assert len(webhook_receiver.requests) == 5 and len(accepted) == 3
    keys = Counter(r.headers[DELIVERY_HEADER] for r in accepted)
    assert set(keys.values()) == {1}
    retried = {r.headers[DELIVERY_HEADER] for r in webhook_receiver.requests if r.status == 500}
    assert retried <= set(keys)  # a retry carries the key of its first attempt
    assert {d.state for d in update_deliveries(app)} == {DeliveryState.SENT}


def test_a_claim_that_was_never_finished_is_sent_again_with_the_same_key(app, mail_sink):
    app.config["SMTP_URL"] = mail_sink.url
    with app.app_context():
        enqueue_email("x@example.com", subject="Hi", text="Body", dedupe_key="t:1", now=utcnow())
        db.session.commit()
        # A worker claims the row and dies before sending anything.
        delivery.claim_due(now=utcnow(), limit=10, lease=timedelta(minutes=10))
        db.session.commit()
    assert deliver(app).sent == 0  # the lease still holds
    assert deliver(app, now=utcnow() + timedelta(minutes=11)).sent == 1
    [message] = mail_sink.to("x@example.com")
    with app.app_context():
        row = db.session.scalar(sa.select(Delivery))
        assert message["Message-ID"].startswith(f"<{row.idempotency_key}.")
        assert row.attempts == 2


def test_an_email_whose_reply_was_lost_is_sent_again_with_the_same_message_id(app, mail_sink):
    """At least once: the server took the message but its "250" never came back, so the sender
    cannot know; the retry carries the same Message-ID, which lets mail systems drop the repeat."""
    app.config["SMTP_URL"] = mail_sink.url
    with app.app_context():
        enqueue_email("x@example.com", subject="Hi", text="Body", dedupe_key="t:1", now=utcnow())
        db.session.commit()
    mail_sink.lose_replies(1)
    assert deliver(app).retrying == 1
    assert deliver(app, now=utcnow() + timedelta(hours=1)).sent == 1
    first, second = mail_sink.to("x@example.com")
    assert first["Message-ID"] == second["Message-ID"]


def test_each_accepted_email_is_committed_as_sent_while_the_batch_is_still_sending(app, mail_sink):
    # So that a worker killed mid-batch sends again only what it had in flight.
    app.config.update(SMTP_URL=mail_sink.url, SMTP_CONNECTIONS=1)
    with app.app_context():
        for number in range(3):
            enqueue_email(
                f"p{number}@example.com",
                subject="Hi",
                text="Body",
                dedupe_key=f"t:{number}",
                now=utcnow(),
            )
        db.session.commit()
    mail_sink.hold_after(2)
    worker = threading.Thread(target=deliver, args=(app,))
    worker.start()
    try:
        mail_sink.wait_for(2)
        deadline = time.monotonic() + 10
        while sent_emails(app) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sent_emails(app) == 2  # the third is still at the server
    finally:
        mail_sink.release()
        worker.join(30)
    assert sent_emails(app) == 3
    assert len(mail_sink.messages) == 3


def sent_emails(app):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Delivery)
            .where(Delivery.state == DeliveryState.SENT)
        )


def test_an_email_with_a_dedupe_key_is_queued_once(app):
    with app.app_context():
        first = enqueue_email(
            "l@example.com", subject="Due soon", text="x", dedupe_key="k", now=utcnow()
        )
        second = enqueue_email(
            "l@example.com", subject="Due soon", text="x", dedupe_key="k", now=utcnow()
        )
        db.session.commit()
        assert first is not None and second is None
        assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 1


def test_a_stored_message_is_sent_in_the_email_layout(app, mail_sink):
    app.config["SMTP_URL"] = mail_sink.url
    with app.app_context():
        enqueue_email(
            "liaison@example.com",
            subject="Customers update due by 14:30 UTC",
            text="The next update to Customers is due in 10 minutes.",
            dedupe_key="cadence:1:reminder:1",
            link="http://status.test/admin/incidents/1",
            now=utcnow(),
        )
        db.session.commit()
    deliver(app)
    [message] = mail_sink.to("liaison@example.com")
    assert message["Subject"] == "Customers update due by 14:30 UTC"
    assert "due in 10 minutes" in text_part(message)
    assert "http://status.test/admin/incidents/1" in text_part(message)


def test_attempts_are_capped_and_the_last_error_kept(app, webhook_receiver, incident_id):
    app.config["DELIVERY_MAX_ATTEMPTS"] = 3
    add_subscribers(app, webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
    webhook_receiver.fail_next(*[503] * 10)
    publish(app, incident_id, "Down.")
    start = utcnow()
    for hours in range(6):
        deliver(app, now=start + timedelta(hours=hours))
    [row] = update_deliveries(app)
    assert (row.state, row.attempts) == (DeliveryState.FAILED, 3)
    assert row.last_error == "the receiver answered HTTP 503"
    assert len(webhook_receiver.requests) == 3


def test_a_subscriber_failing_for_days_is_switched_off(app, webhook_receiver, incident_id):
    add_subscribers(app, webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
    webhook_receiver.fail_next(*[500] * 100)
    publish(app, incident_id, "Down.")
    start = utcnow()
    deliver(app, now=start)
    publish(app, incident_id, "Still down.")
    deliver(app, now=start + timedelta(days=3, hours=1))
    with app.app_context():
        subscriber = db.session.scalar(sa.select(Subscriber))
        assert subscriber.is_active is False and subscriber.failing_since is not None
        states = db.session.scalars(sa.select(Delivery.state)).all()
        assert DeliveryState.PENDING not in states


def test_backoff_doubles_with_jitter_up_to_a_cap():
    settings = DeliverySettings(
        smtp_url=None, mail_from="s@x", secret_key="k", retry_base=30, retry_max=600
    )
    assert backoff(1, settings, jitter=0.0) == timedelta(seconds=15)
    assert backoff(1, settings, jitter=1.0) == timedelta(seconds=30)
    assert backoff(3, settings, jitter=1.0) == timedelta(seconds=120)
    assert backoff(20, settings, jitter=1.0) == timedelta(seconds=600)


def test_component_changes_reach_webhooks_but_not_email(app, webhook_receiver, mail_sink):
    app.config["SMTP_URL"] = mail_sink.url
    with app.app_context():
        api = make_component("API")
        make_subscriber(webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
        make_subscriber("m@example.com")
        incident = make_incident(
            severity=Severity.SEV3, affected={api: ComponentStatus.MAJOR_OUTAGE}
        )
        make_published(incident, "customers", body="API down.")
        db.session.commit()
    deliver(app)
    kinds = [r.headers["X-Statuspage-Event"] for r in webhook_receiver.requests]
    assert kinds == ["component.update", "incident.update"]  # in the order they were written
    [email] = mail_sink.to("m@example.com")  # the update, and no second email for the component
    assert "API down." in text_part(email)


@pytest.mark.skipif(
    postgres_base_url() is None,
    reason="several schedulers share the outbox on PostgreSQL only (SQLite runs one scheduler)",
)
def test_two_workers_claiming_at_once_never_take_the_same_row(app):
    with app.app_context():
        for n in range(20):
            enqueue_email(
                f"p{n}@example.com", subject="s", text="t", dedupe_key=f"p{n}", now=utcnow()
            )
        db.session.commit()
    first_claimed = threading.Event()
    second_done = threading.Event()
    claims: dict[str, list[int]] = {}

    def worker(name, limit, before, after):
        with app.app_context():
            if before:
                before.wait(10)
            claims[name] = delivery.claim_due(now=utcnow(), limit=limit, lease=timedelta(minutes=5))
            if after:
                after.set()
            if name == "first":
                second_done.wait(10)  # hold the row locks while the other one claims
            db.session.commit()

    threads = [
        threading.Thread(target=worker, args=("first", 8, None, first_claimed)),
        threading.Thread(target=worker, args=("second", 100, first_claimed, second_done)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(claims["first"]) == 8 and len(claims["second"]) == 12
    assert not set(claims["first"]) & set(claims["second"])


def test_a_rolled_back_publish_leaves_no_delivery_behind(app, incident_id):
    from statuspage.models import Incident
    from tests.factories import make_draft

    add_subscribers(app, "a@example.com")
    with app.app_context():
        draft = make_draft(db.session.get(Incident, incident_id), "customers")
        db.session.commit()
        from statuspage.services.incidents.publishing import publish_update

        publish_update(draft, by=None, now=utcnow())
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Delivery.id)).where(Delivery.update_id == draft.id)
            )
            == 1
        )
        db.session.rollback()
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Delivery.id)).where(Delivery.update_id.is_not(None))
            )
            == 0
        )


@pytest.mark.slow
def test_the_scheduler_process_sends_the_outbox(app, database_url, mail_sink, incident_id):
    from tests.processes import start_scheduler

    add_subscribers(app, "sched@example.com")
    publish(app, incident_id, "Sent by the scheduler.")
    scheduler = start_scheduler(database_url, SMTP_URL=mail_sink.url)
    [message] = mail_sink.wait_for(1)
    assert "Sent by the scheduler." in text_part(message)
    scheduler.stop()


@pytest.mark.skipif(
    postgres_base_url() is None,
    reason="several schedulers share the outbox on PostgreSQL only (SQLite runs one scheduler)",
)
def test_two_schedulers_queueing_the_same_reminder_queue_it_once(app):
    inserted, started = threading.Event(), threading.Event()
    results: dict[str, bool] = {}

    def scheduler(name, wait_for, signal):
        with app.app_context():
            if wait_for:
                wait_for.wait(10)
            signal.set()
            queued = enqueue_email(
                "cmd@example.com",
                subject="Escalation",
                text="Missed.",
                dedupe_key="esc:1",
                now=utcnow(),
            )
            if name == "first":
                started.wait(10)
            db.session.commit()
            results[name] = queued is not None

    threads = [
        threading.Thread(target=scheduler, args=("first", None, inserted)),
        threading.Thread(target=scheduler, args=("second", inserted, started)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(results.values()) == [False, True]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 1
