"""PagerDuty for escalations: an Events API v2 trigger per escalation, to the routing key of the
cadence policy it falls under, through the outbox to a local receiver, the same bytes on retry."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from statuspage.core.errors import ValidationError
from statuspage.extensions import db
from statuspage.models import CadencePolicy, Delivery, Role, Severity, SubscriberKind
from statuspage.services import configuration
from statuspage.services.cadence.alerts import send_cadence_alerts
from tests.console import act_as
from tests.factories import NOW, audience, make_incident, make_user
from tests.outbox import deliver
from tests.test_cadence_alerts import CUSTOMERS_ESCALATE, CUSTOMERS_REMIND, SITE
from tests.test_console_cadence import policy_form

KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "pagerduty_event.json").read_text())


def route_customers_sev3(key: str | None = KEY) -> None:
    policy = db.session.scalar(
        sa.select(CadencePolicy).where(
            CadencePolicy.audience_id == audience("customers").id,
            CadencePolicy.severity == Severity.SEV3,
        )
    )
    policy.pagerduty_routing_key = key


def events():
    return db.session.scalars(
        sa.select(Delivery).where(Delivery.channel == SubscriberKind.PAGERDUTY)
    ).all()


@pytest.fixture
def paged(app, ctx, webhook_receiver):
    app.config["PAGERDUTY_EVENTS_URL"] = webhook_receiver.url
    incident = make_incident(severity=Severity.SEV3)
    route_customers_sev3()
    db.session.commit()
    return incident


def test_an_escalation_triggers_a_pagerduty_event(app, paged, webhook_receiver):
    send_cadence_alerts(now=CUSTOMERS_ESCALATE, site=SITE)
    db.session.commit()
    deliver(app, now=CUSTOMERS_ESCALATE)
    (received,) = webhook_receiver.requests
    event = json.loads(received.body)
    jsonschema.validate(event, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert event["routing_key"] == KEY and event["payload"]["severity"] == "critical"
    assert paged.title in event["payload"]["component"]
    assert event["dedup_key"].startswith("statuspage:promise:")


def test_reminders_and_overdue_marks_page_nobody(paged):
    send_cadence_alerts(now=CUSTOMERS_REMIND, site=SITE)
    send_cadence_alerts(now=CUSTOMERS_ESCALATE - timedelta(minutes=1), site=SITE)
    assert events() == []


def test_a_policy_without_a_key_pages_nobody(ctx):
    make_incident(severity=Severity.SEV3)
    send_cadence_alerts(now=CUSTOMERS_ESCALATE, site=SITE)
    assert events() == []


def test_a_retry_posts_the_same_event_bytes(app, paged, webhook_receiver):
    send_cadence_alerts(now=CUSTOMERS_ESCALATE, site=SITE)
    send_cadence_alerts(now=CUSTOMERS_ESCALATE + timedelta(seconds=15), site=SITE)
    assert len(events()) == 1
    db.session.commit()
    webhook_receiver.fail_next(500)
    deliver(app, now=CUSTOMERS_ESCALATE)
    deliver(app, now=CUSTOMERS_ESCALATE + timedelta(hours=2))
    first, retry = webhook_receiver.requests
    assert first.body == retry.body and retry.status == 200


def test_the_cadence_settings_refuse_a_malformed_routing_key(ctx):
    settings = configuration.PolicySettings(
        update_interval=timedelta(minutes=30),
        first_update_within=timedelta(minutes=30),
        remind_before=timedelta(minutes=5),
        escalate_after=timedelta(minutes=5),
        pagerduty_routing_key="not a key!",
    )
    with pytest.raises(ValidationError, match="PagerDuty routing key"):
        configuration.save_cadence(
            audience("customers"),
            policies={Severity.SEV3: settings},
            late_notice=audience("customers").late_notice,
            site=SITE,
            by=make_user(Role.ADMIN),
            now=NOW,
        )


def test_an_admin_sets_a_routing_key_on_the_cadence_page(app, client):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        customers = audience("customers").id
        db.session.commit()
        act_as(client, admin.id)
    data = policy_form(client, customers)
    data["policies-2-pagerduty_routing_key"] = KEY  # SEV3
    assert client.post(f"/admin/cadence/{customers}", data=data).status_code == 302
    with app.app_context():
        assert (
            db.session.scalars(sa.select(CadencePolicy.pagerduty_routing_key)).all().count(KEY) == 1
        )
    data["policies-2-pagerduty_routing_key"] = "no good"
    answer = client.post(f"/admin/cadence/{customers}", data=data)
    assert answer.status_code == 422 and "PagerDuty routing key" in answer.get_data(as_text=True)
