"""Acceptance 2: two real scheduler processes on one PostgreSQL, the leader killed with SIGKILL.

50 open incidents, two audiences each, seconds-long cadences staggered over two minutes, with two
schedulers side by side all along: the leader is killed half-way and a replacement started, as a
process supervisor would. Every reminder, overdue mark and escalation must be raised exactly once,
told to exactly the right people, on time (within 30 s of when it fell due), and emailed to each
of them exactly once (counted at a real SMTP server), across a handover that must itself take
under 30 s. About two and a half minutes of wall time; PostgreSQL only, since on SQLite one
scheduler is supported.
"""

import signal
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import (
    CadenceAlert,
    CadenceAlertKind,
    CadenceAlertRecipient,
    CadencePolicy,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Promise,
    Role,
    RosterRole,
    Severity,
    TimelineEvent,
    TimelineKind,
)
from statuspage.services.defaults import ensure_defaults
from statuspage.services.incidents import lifecycle as incidents
from tests.databases import postgres_base_url
from tests.factories import make_user
from tests.processes import start_scheduler

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        postgres_base_url() is None,
        reason="two schedulers need PostgreSQL (STATUSPAGE_TEST_DATABASE_URL): on SQLite a "
        "single scheduler is supported, so there is no leader to hand over from",
    ),
]
INCIDENTS = 30
AUDIENCES = ("customers", "staff")
STAGGER = timedelta(seconds=2.4)
FIRST_UPDATE_WITHIN = timedelta(seconds=24)
REMIND_BEFORE = timedelta(seconds=12)
ESCALATE_AFTER = timedelta(seconds=6)
# A claim of the outbox that the killed leader held is retried once its lease runs out.
SETTINGS = {
    "CADENCE_TICK_SECONDS": "1",
    "SCHEDULER_LEADER_CHECK_SECONDS": "1",
    "DELIVERY_LEASE_SECONDS": "5",
}
PROMISE_ALERTS = (CadenceAlertKind.REMINDER, CadenceAlertKind.OVERDUE, CadenceAlertKind.ESCALATION)
ALERT_TIMELINE_KINDS = (
    TimelineKind.REMINDER_SENT,
    TimelineKind.PROMISE_MISSED,
    TimelineKind.ESCALATED,
)


def declare_staggered_incidents():
    """50 SEV1 incidents, one every 2.4 s from now, owed updates by customers and staff only."""
    start = utcnow()
    ensure_defaults(now=start)
    for policy in db.session.scalars(
        sa.select(CadencePolicy).where(CadencePolicy.severity == Severity.SEV1)
    ):
        if policy.audience.slug in AUDIENCES:
            policy.first_update_within = FIRST_UPDATE_WITHIN
            policy.remind_before = REMIND_BEFORE
            policy.escalate_after = ESCALATE_AFTER
        else:
            db.session.delete(policy)
    roster = [
        (RosterRole.COMMANDER, make_user(Role.COMMANDER, name="Dana")),
        (RosterRole.DEPUTY, make_user(Role.COMMANDER, name="Sam")),
        (RosterRole.CUSTOMER_LIAISON, make_user(Role.LIAISON, name="Priya")),
        (RosterRole.INTERNAL_LIAISON, make_user(Role.LIAISON, name="Tom")),
    ]
    for number in range(INCIDENTS):
        incidents.declare_incident(
            title=f"Incident {number}",
            severity=Severity.SEV1,
            by=None,
            now=start + number * STAGGER,
            roster=roster,
        )
    # Telling the roster of their duties is not what this test counts (test_mobilize).
    db.session.execute(sa.delete(Delivery))
    db.session.commit()
    return start


def count_alerts(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(CadenceAlert))


def count_sent_emails(app):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Delivery)
            .where(Delivery.kind == DeliveryKind.MESSAGE, Delivery.state == DeliveryState.SENT)
        )


def wait_until(condition, *, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout}s")


def test_two_schedulers_raise_each_alert_once_and_a_standby_takes_over_from_a_killed_leader(
    app, database_url, mail_sink
):
    leader = start_scheduler(database_url, SMTP_URL=mail_sink.url, **SETTINGS)
    leader.wait_for_line('"message": "scheduler leads"')
    standby = start_scheduler(database_url, SMTP_URL=mail_sink.url, **SETTINGS)
    standby.wait_for_line('"message": "scheduler stands by')
    with app.app_context():
        start = declare_staggered_incidents()
    expected = INCIDENTS * len(AUDIENCES) * len(PROMISE_ALERTS)
    # One email per alert and person: the liaison's reminder and overdue mark, and the
    # escalation to the commander and the deputy.
    expected_emails = INCIDENTS * len(AUDIENCES) * 4

    # Kill the leader half-way through the overdue marks, with alerts of every kind still to come.
    wait_until(
        lambda: utcnow() >= start + FIRST_UPDATE_WITHIN + INCIDENTS * STAGGER / 2,
        timeout=180,
        what="the middle of the run never came",
    )
    raised_before_kill = count_alerts(app)
    assert 0 < raised_before_kill < expected
    assert not any('"job finished"' in line for line in standby.lines), standby.output
    leader.signal_group(signal.SIGKILL)
    killed_at = time.monotonic()
    leader.process.wait(10)
    standby.wait_for_line('"message": "scheduler leads"', timeout=30)
    handover = time.monotonic() - killed_at
    assert handover < 30
    replacement = start_scheduler(database_url, SMTP_URL=mail_sink.url, **SETTINGS)
    replacement.wait_for_line('"message": "scheduler stands by')

    wait_until(
        lambda: count_alerts(app) >= expected,
        timeout=120,
        what=f"not all {expected} alerts were raised:\n{standby.output}",
    )
    # Once every email is recorded as sent nothing is left to send, so stopping now cannot hide
    # a repeat still to come.
    wait_until(
        lambda: count_sent_emails(app) >= expected_emails,
        timeout=60,
        what=f"not all {expected_emails} emails were sent:\n{standby.output}",
    )
    # The replacement first: stopping the leader first would hand it the lead.
    replacement.stop()
    standby.stop()
    assert not any('"job finished"' in line for line in replacement.lines), replacement.output

    with app.app_context():
        alerts = db.session.scalars(
            sa.select(CadenceAlert).options(
                selectinload(CadenceAlert.recipients), selectinload(CadenceAlert.promise)
            )
        ).all()
        assert len(alerts) == expected
        assert len({(a.promise_id, a.kind) for a in alerts}) == expected
        for alert in alerts:
            names = sorted(recipient.user.name for recipient in alert.recipients)
            if alert.kind is CadenceAlertKind.ESCALATION:
                assert names == ["Dana", "Sam"]
            else:
                assert names == ["Priya" if alert.audience.slug == "customers" else "Tom"]
        lateness = max(a.created_at - _fell_due(a.promise, a.kind) for a in alerts)
        print(f"handover {handover:.1f} s; latest alert {lateness.total_seconds():.1f} s late")
        assert lateness < timedelta(seconds=30)
        # Each alert was announced once: one timeline event per alert, no more.
        events = db.session.scalars(
            sa.select(TimelineEvent).where(TimelineEvent.kind.in_(ALERT_TIMELINE_KINDS))
        ).all()
        assert sorted(e.data["alert_id"] for e in events) == sorted(a.id for a in alerts)
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Promise).where(Promise.overdue_at.is_(None))
            )
            == 0
        )

        assert_emailed_exactly_once(mail_sink, expected_emails)


def assert_emailed_exactly_once(sink, expected):
    """Each (alert, person) arrived at the SMTP server as one message, and nothing else did.

    A leader killed in the middle of an SMTP session may have handed a message over without
    recording it; its claim is then retried with the same Message-ID (the idempotency key a
    receiver drops repeats by), so such a repeat is allowed only for a delivery attempted twice.
    """
    deliveries = db.session.scalars(
        sa.select(Delivery).where(Delivery.kind == DeliveryKind.MESSAGE)
    ).all()
    told = db.session.execute(
        sa.select(CadenceAlertRecipient.alert_id, CadenceAlertRecipient.user_id)
    ).all()
    assert len(deliveries) == len(told) == expected
    assert {d.dedupe_key for d in deliveries} == {f"cadence:{a}:{u}" for a, u in told}
    assert all(d.state is DeliveryState.SENT for d in deliveries)
    received = sink.received
    by_message_id = {}
    for recipients, message in received:
        by_message_id.setdefault(message["Message-ID"], set()).add(
            (tuple(recipients), message["Subject"])
        )
    assert len(by_message_id) == expected
    assert all(len(versions) == 1 for versions in by_message_id.values())
    assert {next(iter(versions)) for versions in by_message_id.values()} == {
        ((d.recipient,), d.payload["subject"]) for d in deliveries
    }
    retried = sum(1 for d in deliveries if d.attempts > 1)
    assert expected <= len(received) <= expected + retried
    lag = max(d.sent_at - d.created_at for d in deliveries)
    print(f"{len(received)} emails for {expected} (alert, person) pairs; latest sent {lag} late")


def _fell_due(promise, kind):
    return {
        CadenceAlertKind.REMINDER: promise.remind_at,
        CadenceAlertKind.OVERDUE: promise.due_at,
        CadenceAlertKind.ESCALATION: promise.escalate_at,
    }[kind]
