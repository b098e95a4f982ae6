"""Cadence alerts by email: each reminder, overdue mark, escalation and stale nudge is queued in the
outbox with the alert, once per (alert, person), and reaches a real SMTP server exactly once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.times import format_time
from statuspage.extensions import db
from statuspage.jobs import find_job
from statuspage.models import (
    CadenceAlertRecipient,
    Delivery,
    DeliveryKind,
    DeliveryState,
    IncidentStatus,
    Role,
    RosterRole,
    Severity,
)
from statuspage.services.incidents import lifecycle as incidents
from tests.factories import NOW, make_incident, make_user
from tests.helpers import page_zone
from tests.mail import text_part
from tests.outbox import deliver

# The built-in SEV3 cadence for customers: first update within 60 minutes of NOW, reminded
# 15 minutes before, escalated 15 minutes after.
REMIND, DUE, ESCALATE = (NOW + timedelta(minutes=m) for m in (45, 60, 75))
ZONE = page_zone()
PRIYA, DANA, SAM = "priya@example.com", "dana@example.com", "sam@example.com"


@pytest.fixture
def incident_id(app):
    """A SEV3 incident declared at NOW (customers, staff and support are owed updates) whose roster
    has no internal liaison, so the staff and support alerts all go to the commander and deputy."""
    with app.app_context():
        roster = [
            (RosterRole.COMMANDER, make_user(Role.COMMANDER, email=DANA, name="Dana")),
            (RosterRole.DEPUTY, make_user(Role.COMMANDER, email=SAM, name="Sam")),
            (RosterRole.CUSTOMER_LIAISON, make_user(Role.LIAISON, email=PRIYA, name="Priya")),
        ]
        incident = make_incident(severity=Severity.SEV3, roster=roster, title="Checkout failing")
        # Telling the roster of their duties is not what these tests count (test_mobilize).
        db.session.execute(sa.delete(Delivery))
        db.session.commit()
        return incident.id


def run(app, job, at):
    """One run of a scheduler job at a time of the test's choosing, committed as the scheduler does."""
    with app.app_context():
        result = find_job(job).run(at, app.config)
        db.session.commit()
        return result


def customers_mail(sink, address):
    """What the address was sent about the customers' promise, by subject."""
    return {m["Subject"]: m for m in sink.to(address) if "Customers" in m["Subject"]}


def test_the_liaison_is_emailed_a_reminder_with_the_due_time_and_a_link_to_compose(
    app, mailing, incident_id
):
    run(app, "cadence-tick", REMIND)
    deliver(app, now=REMIND)
    [message] = mailing.to(PRIYA)
    due = format_time(DUE, ZONE)
    assert message["Subject"] == f"Reminder: Customers update for Checkout failing due by {due}"
    assert message["To"] == f"Priya <{PRIYA}>"
    text = text_part(message)
    assert (
        "The next update to Customers on “Checkout failing” (SEV3, Investigating) is due by "
        f"{due}, in 15 minutes." in text
    )
    assert f"http://status.test/admin/incidents/{incident_id}/compose" in text
    assert "You receive this as the incident's customer liaison." in text


def test_an_overdue_mark_tells_the_liaison_how_late_and_when_it_escalates(
    app, mailing, incident_id
):
    run(app, "cadence-tick", DUE + timedelta(seconds=40))
    deliver(app, now=DUE + timedelta(seconds=40))
    due, escalation = format_time(DUE, ZONE), format_time(ESCALATE, ZONE)
    message = customers_mail(mailing, PRIYA)[
        f"Late: Customers update for Checkout failing was due by {due}"
    ]
    text = text_part(message)
    assert f"was due by {due}: it is 40 seconds late." in text
    assert f"If it is still missing at {escalation}, the incident's commander and deputy" in text


def test_an_overdue_mark_raised_with_its_escalation_does_not_announce_it_as_to_come(
    app, mailing, incident_id
):
    run(app, "cadence-tick", ESCALATE)  # the scheduler was down: both are raised at once
    deliver(app, now=ESCALATE)
    [message] = customers_mail(mailing, PRIYA).values()
    assert "it is 15 minutes late." in text_part(message)
    assert "will be told" not in text_part(message)


def test_an_escalation_emails_the_commander_and_the_deputy_naming_the_liaison(
    app, mailing, incident_id
):
    run(app, "cadence-tick", ESCALATE)
    deliver(app, now=ESCALATE)
    subject = "Escalation: Customers update for Checkout failing is 15 minutes late"
    for address, duty in ((DANA, "commander"), (SAM, "deputy")):
        text = text_part(customers_mail(mailing, address)[subject])
        assert "Customer liaison: Priya." in text
        assert f"You receive this as the incident's {duty}." in text
        assert f"http://status.test/admin/incidents/{incident_id}/compose" in text
    assert subject not in customers_mail(mailing, PRIYA)


def test_times_in_the_emails_are_in_the_page_zone(app, mailing, incident_id):
    app.config["TIMEZONE"] = "Europe/Paris"
    run(app, "cadence-tick", REMIND)
    deliver(app, now=REMIND)
    [message] = mailing.to(PRIYA)
    assert message["Subject"].endswith(f"due by {format_time(DUE, 'Europe/Paris')}")
    assert format_time(DUE, "Europe/Paris")[-4:] in {" CET", "CEST"}


def test_with_nobody_on_the_roster_an_admin_is_emailed_and_told_why(app, mailing):
    with app.app_context():
        make_user(Role.ADMIN, email="ada@example.com", name="Ada")
        make_incident(severity=Severity.SEV3, title="Nobody home")
        db.session.commit()
    run(app, "cadence-tick", REMIND)
    deliver(app, now=REMIND)
    [message] = [m for m in mailing.to("ada@example.com") if "Customers" in m["Subject"]]
    assert "as an admin: nobody on the incident's roster holds the duty" in text_part(message)


def test_a_stale_incident_nudge_emails_the_leads_with_a_link_to_the_incident(
    app, mailing, incident_id
):
    with app.app_context():
        incident = incidents.get_incident(incident_id)
        incidents.change_status(incident, IncidentStatus.MONITORING, by=None, now=NOW)
        db.session.commit()
    app.config["STALE_INCIDENT_MINUTES"] = 120
    run(app, "stale-incidents", NOW + timedelta(hours=2, minutes=5))
    deliver(app, now=NOW + timedelta(hours=2, minutes=5))
    for address in (DANA, SAM):
        [message] = mailing.to(address)
        assert message["Subject"] == (
            "Nudge: Checkout failing has been monitoring for 2 hours 5 minutes with no update"
        )
        text = text_part(message)
        assert f"no update for 2 hours 5 minutes, since {format_time(NOW, ZONE)}" in text
        assert text.count(f"http://status.test/admin/incidents/{incident_id}") == 1
    assert mailing.to(PRIYA) == []


def test_each_alert_is_queued_once_per_person_with_a_key_naming_both(app, incident_id):
    for at in (REMIND, DUE, ESCALATE, ESCALATE):  # the last tick twice: a second scheduler
        run(app, "cadence-tick", at)
    with app.app_context():
        told = db.session.execute(
            sa.select(CadenceAlertRecipient.alert_id, CadenceAlertRecipient.user_id)
        ).all()
        keys = db.session.scalars(
            sa.select(Delivery.dedupe_key).where(Delivery.kind == DeliveryKind.MESSAGE)
        ).all()
        assert sorted(keys) == sorted(f"cadence:{alert}:{user}" for alert, user in told)


def test_a_ticks_alerts_reach_the_smtp_server_exactly_once(app, mailing, incident_id):
    run(app, "cadence-tick", ESCALATE)  # every audience's overdue mark and escalation at once
    run(app, "cadence-tick", ESCALATE + timedelta(seconds=15))  # raises nothing new
    later = ESCALATE + timedelta(seconds=15)
    first, second = deliver(app, now=later), deliver(app, now=later)
    with app.app_context():
        told = db.session.scalar(sa.select(sa.func.count(CadenceAlertRecipient.id)))
        states = db.session.scalars(sa.select(Delivery.state)).all()
    # Customers: Priya's overdue mark, Dana's and Sam's escalation; staff and support: both to both.
    assert told == 3 + 4 + 4
    assert (first.sent, second.sent) == (told, 0)
    assert states == [DeliveryState.SENT] * told
    messages = mailing.messages
    assert len(messages) == told
    assert len({m["Message-ID"] for m in messages}) == told
    assert len({(m["To"], m["Subject"]) for m in messages}) == told
