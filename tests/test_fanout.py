"""Publishing to a long subscriber list: the first deliveries are written with the update, the
outbox worker writes the rest a chunk at a time, and every subscriber hears once.

The chunk sizes are made small so a handful of subscribers make a "long" list; the real SMTP
server (tests/mail.py) counts what arrives.
"""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import (
    ComponentStatus,
    Delivery,
    Fanout,
    Incident,
    IncidentStatus,
    Severity,
    Subscriber,
)
from statuspage.services import subscriptions
from statuspage.services.outbox import enqueue
from tests.factories import make_component, make_incident, make_published, make_subscriber
from tests.outbox import deliver

READERS = [f"reader{n}@example.com" for n in range(8)]


@pytest.fixture
def long_list(app, mail_sink, monkeypatch):
    """Eight readers of customers, an incident on API; publishing writes three deliveries, each
    worker step two more."""
    monkeypatch.setattr(enqueue, "FIRST_CHUNK", 3)
    app.config.update(SMTP_URL=mail_sink.url, DELIVERY_BATCH_SIZE=2)
    with app.app_context():
        api = make_component("API")
        for address in READERS:
            make_subscriber(address)
        incident = make_incident(
            severity=Severity.SEV3, affected={api: ComponentStatus.MAJOR_OUTAGE}
        )
        db.session.commit()
        return incident.id


def publish(app, incident_id: int, body: str, status: IncidentStatus | None = None) -> None:
    with app.app_context():
        make_published(db.session.get(Incident, incident_id), body=body, status=status)
        db.session.commit()


def counts(app) -> tuple[int, int]:
    """Update deliveries written, and fan-outs still to finish."""
    with app.app_context():
        deliveries = db.session.scalar(
            sa.select(sa.func.count(Delivery.id)).where(Delivery.update_id.is_not(None))
        )
        return deliveries, db.session.scalar(sa.select(sa.func.count(Fanout.id)))


def received(mail_sink) -> Counter[str]:
    return Counter(recipients[0] for recipients, _ in mail_sink.received)


def test_publishing_writes_the_first_deliveries_and_leaves_the_rest_to_the_worker(app, long_list):
    publish(app, long_list, "Looking into it.")
    assert counts(app) == (3, 1)


def test_the_worker_writes_the_rest_and_every_reader_hears_once(app, long_list, mail_sink):
    publish(app, long_list, "Looking into it.")
    report = deliver(app)
    assert report.sent == len(READERS)
    assert received(mail_sink) == Counter(READERS)
    assert counts(app) == (len(READERS), 0)
    assert deliver(app).sent == 0


def test_a_reader_who_leaves_before_their_chunk_is_written_hears_nothing(app, long_list, mail_sink):
    publish(app, long_list, "Looking into it.")
    gone = READERS[-1]  # the list is written in the order readers joined
    with app.app_context():
        reader = db.session.scalar(sa.select(Subscriber).where(Subscriber.address == gone))
        subscriptions.unsubscribe(reader, now=utcnow())
        db.session.commit()
    deliver(app)
    assert received(mail_sink) == Counter(READERS[:-1])


def test_readers_of_other_components_are_left_out_of_the_later_chunks(app, long_list, mail_sink):
    with app.app_context():
        elsewhere = make_component("Billing")
        make_subscriber("billing-only@example.com", components=[elsewhere])
        db.session.commit()
    publish(app, long_list, "Looking into it.")
    deliver(app)
    assert received(mail_sink) == Counter(READERS)


def test_a_follower_late_in_the_list_still_hears_the_update_that_ends_their_subscription(
    app, long_list, mail_sink
):
    with app.app_context():
        follower = make_subscriber("follower@example.com")
        follower.incident_id = long_list
        db.session.commit()
        follower_id = follower.id
    publish(app, long_list, "Fixed.", status=IncidentStatus.RESOLVED)
    with app.app_context():
        assert db.session.get(Subscriber, follower_id).ended_at is not None
    deliver(app)
    assert received(mail_sink)["follower@example.com"] == 1
