"""The cadence tick: reminders, overdue marks, escalations and stale nudges, each exactly once."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.site import Site
from statuspage.core.times import format_time
from statuspage.extensions import db
from statuspage.jobs import find_job
from statuspage.models import (
    CadenceAlert,
    CadenceAlertKind,
    CadenceAlertRecipient,
    IncidentStatus,
    Promise,
    Role,
    RosterRole,
    Severity,
    TimelineEvent,
    TimelineKind,
)
from statuspage.services.cadence.alerts import nudge_stale_incidents, send_cadence_alerts
from statuspage.services.cadence.notices import open_alerts_for
from statuspage.services.incidents import lifecycle as incidents
from statuspage.services.public.version import current_version
from tests.databases import postgres_base_url
from tests.factories import NOW, audience, make_incident, make_published, make_user
from tests.helpers import statements_run

REMINDER, OVERDUE, ESCALATION, STALE = (
    CadenceAlertKind.REMINDER,
    CadenceAlertKind.OVERDUE,
    CadenceAlertKind.ESCALATION,
    CadenceAlertKind.STALE,
)
# The built-in SEV3 cadence for customers: first update within 60 minutes, reminded 15 minutes
# before, escalated 15 minutes after.
CUSTOMERS_REMIND = NOW + timedelta(minutes=45)
CUSTOMERS_DUE = NOW + timedelta(minutes=60)
CUSTOMERS_ESCALATE = NOW + timedelta(minutes=75)
SITE = Site(name="Acme Status", url="http://status.test", zone="Etc/UTC")


def tick(at):
    return send_cadence_alerts(now=at, site=SITE)


def raised(slug="customers"):
    """The kinds of alert raised so far for one audience, in the order they were raised."""
    return [
        alert.kind
        for alert in db.session.scalars(sa.select(CadenceAlert).order_by(CadenceAlert.id))
        if alert.audience and alert.audience.slug == slug
    ]


def told(kind, slug="customers"):
    """Who was told about the audience's alert of this kind: [(name, duty)]."""
    rows = db.session.execute(
        sa.select(CadenceAlertRecipient)
        .join(CadenceAlert)
        .where(CadenceAlert.kind == kind, CadenceAlert.audience_id == audience(slug).id)
        .order_by(CadenceAlertRecipient.id)
    ).scalars()
    return [(row.user.name, row.duty) for row in rows]


def event(kind, slug="customers"):
    """The timeline event of this kind about the audience."""
    [found] = [
        e
        for e in db.session.scalars(sa.select(TimelineEvent).where(TimelineEvent.kind == kind))
        if e.data["audience"] == slug
    ]
    return found


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def team(ctx):
    people = {
        "commander": make_user(Role.COMMANDER, name="Dana"),
        "deputy": make_user(Role.COMMANDER, name="Sam"),
        "customer_liaison": make_user(Role.LIAISON, name="Priya"),
        "internal_liaison": make_user(Role.LIAISON, name="Tom"),
    }
    people["roster"] = [
        (RosterRole.COMMANDER, people["commander"]),
        (RosterRole.DEPUTY, people["deputy"]),
        (RosterRole.CUSTOMER_LIAISON, people["customer_liaison"]),
        (RosterRole.INTERNAL_LIAISON, people["internal_liaison"]),
    ]
    return people


@pytest.fixture
def incident(team):
    return make_incident(severity=Severity.SEV3, roster=team["roster"])


def test_nothing_is_raised_before_the_reminder_time(incident):
    tick(CUSTOMERS_REMIND - timedelta(seconds=1))
    assert raised() == []


def test_the_liaison_is_reminded_at_the_lead_time_before_the_promise_falls_due(incident):
    result = tick(CUSTOMERS_REMIND)
    assert raised() == [REMINDER]
    assert result.raised[REMINDER] >= 1
    assert told(REMINDER) == [("Priya", RosterRole.CUSTOMER_LIAISON)]


def test_an_internal_audience_reminds_the_internal_liaison(incident):
    tick(NOW + timedelta(minutes=20))  # staff: first update within 30, reminded 10 before
    assert raised("staff") == [REMINDER]
    assert told(REMINDER, "staff") == [("Tom", RosterRole.INTERNAL_LIAISON)]


def test_a_reminder_is_recorded_on_the_timeline_with_the_due_time(incident):
    tick(CUSTOMERS_REMIND)
    reminder = event(TimelineKind.REMINDER_SENT)
    assert reminder.message == (
        "Reminded Priya (customer liaison): the next update to Customers is due by "
        f"{format_time(CUSTOMERS_DUE, SITE.zone)}."
    )
    assert reminder.occurred_at == CUSTOMERS_REMIND and reminder.actor_id is None


def test_the_due_time_passing_marks_the_promise_overdue_and_tells_the_liaison(incident):
    tick(CUSTOMERS_DUE)
    assert raised() == [OVERDUE]  # the reminder is pointless once the time has passed
    promise = db.session.scalar(
        sa.select(Promise).where(Promise.audience_id == audience("customers").id)
    )
    assert promise.overdue_at == CUSTOMERS_DUE
    assert told(OVERDUE) == [("Priya", RosterRole.CUSTOMER_LIAISON)]
    assert event(TimelineKind.PROMISE_MISSED).message == (
        f"The update to Customers due by {format_time(CUSTOMERS_DUE, SITE.zone)} is late; "
        "told Priya (customer liaison)."
    )


def _statements_of_a_tick_marking(incidents: int, team) -> int:
    for _ in range(incidents):
        make_incident(severity=Severity.SEV3, roster=team["roster"], now=NOW)
    db.session.commit()
    with statements_run(db.engine) as statements:
        tick(CUSTOMERS_DUE)
    assert raised().count(OVERDUE) >= incidents
    return len(statements)


def test_a_burst_of_overdue_promises_costs_the_same_queries_however_many(team):
    _statements_of_a_tick_marking(1, team)  # the first tick also loads what every tick shares
    assert _statements_of_a_tick_marking(2, team) == _statements_of_a_tick_marking(6, team)


def test_a_public_promise_going_overdue_moves_the_publication_version(incident):
    tick(CUSTOMERS_DUE - timedelta(seconds=1))
    before = current_version()
    tick(CUSTOMERS_DUE)
    assert current_version() == before + 1


def test_an_internal_promise_going_overdue_leaves_public_surfaces_alone(incident):
    tick(NOW + timedelta(minutes=29))
    before = current_version()
    tick(NOW + timedelta(minutes=30))  # staff's first update was due
    assert raised("staff")[-1] is OVERDUE
    assert current_version() == before


def test_after_the_grace_the_commander_and_deputy_hear_of_it(incident):
    tick(CUSTOMERS_REMIND)
    tick(CUSTOMERS_DUE)
    tick(CUSTOMERS_ESCALATE)
    assert raised() == [REMINDER, OVERDUE, ESCALATION]
    assert told(ESCALATION) == [("Dana", RosterRole.COMMANDER), ("Sam", RosterRole.DEPUTY)]
    assert event(TimelineKind.ESCALATED).message == (
        "Escalated to Dana (commander), Sam (deputy): the update to Customers due by "
        f"{format_time(CUSTOMERS_DUE, SITE.zone)} "
        "is 15 minutes late."
    )


def test_a_second_run_raises_and_records_nothing_new(incident):
    for at in (CUSTOMERS_REMIND, CUSTOMERS_DUE, CUSTOMERS_ESCALATE):
        tick(at)
    counts = (count(CadenceAlert), count(CadenceAlertRecipient), count(TimelineEvent))
    version = current_version()
    again = tick(CUSTOMERS_ESCALATE + timedelta(minutes=1))
    assert again.total == 0
    assert (count(CadenceAlert), count(CadenceAlertRecipient), count(TimelineEvent)) == counts
    assert current_version() == version


def test_a_promise_kept_in_time_raises_nothing_more(incident):
    tick(CUSTOMERS_REMIND)
    make_published(incident, "customers", now=CUSTOMERS_REMIND + timedelta(minutes=5))
    tick(CUSTOMERS_ESCALATE)
    assert raised() == [REMINDER]


def test_the_update_makes_a_new_promise_that_is_reminded_in_turn(incident):
    published_at = NOW + timedelta(minutes=50)
    make_published(incident, "customers", now=published_at)  # next due 2 hours later
    tick(published_at + timedelta(minutes=104))
    assert raised() == []
    tick(published_at + timedelta(minutes=105))
    assert raised() == [REMINDER]


def test_resolution_ends_the_obligations_so_nothing_more_is_raised(incident):
    incidents.change_status(incident, IncidentStatus.RESOLVED, by=None, now=NOW)
    assert tick(CUSTOMERS_ESCALATE + timedelta(hours=5)).total == 0


def test_a_reopened_incident_is_reminded_of_its_new_first_update_deadline(incident):
    incidents.change_status(incident, IncidentStatus.RESOLVED, by=None, now=NOW)
    reopened_at = NOW + timedelta(hours=2)
    incidents.change_status(incident, IncidentStatus.INVESTIGATING, by=None, now=reopened_at)
    tick(reopened_at + timedelta(minutes=45))
    assert raised() == [REMINDER]


def test_without_a_liaison_the_reminder_goes_to_the_commander_and_deputy(team):
    make_incident(severity=Severity.SEV3, roster=team["roster"][:2])
    tick(CUSTOMERS_REMIND)
    assert told(REMINDER) == [("Dana", RosterRole.COMMANDER), ("Sam", RosterRole.DEPUTY)]


def test_with_nobody_on_the_roster_the_admins_hear_of_it(ctx):
    admin = make_user(Role.ADMIN, name="Ada")
    make_user(Role.ADMIN, name="Gone").is_active = False
    make_incident(severity=Severity.SEV3)
    tick(CUSTOMERS_ESCALATE)
    assert told(ESCALATION) == [(admin.name, None)]


def test_a_deactivated_liaison_is_not_told(team):
    team["customer_liaison"].is_active = False
    make_incident(severity=Severity.SEV3, roster=team["roster"])
    tick(CUSTOMERS_REMIND)
    assert [name for name, _ in told(REMINDER)] == ["Dana", "Sam"]


def test_the_console_banner_shows_each_open_promise_once_with_its_latest_alert(incident, team):
    tick(CUSTOMERS_REMIND)
    tick(CUSTOMERS_DUE)
    banner = open_alerts_for(team["customer_liaison"])
    assert [(a.audience.slug, a.kind) for a in banner] == [("customers", OVERDUE)]
    make_published(incident, "customers", now=CUSTOMERS_DUE + timedelta(minutes=1))
    assert open_alerts_for(team["customer_liaison"]) == []


def monitoring_incident(team, at):
    incident = make_incident(severity=Severity.SEV4, roster=team["roster"])
    incidents.change_status(incident, IncidentStatus.MONITORING, by=None, now=at)
    return incident


def nudge(at, quiet_for=timedelta(hours=2)):
    return nudge_stale_incidents(now=at, quiet_for=quiet_for, site=SITE)


def stale_nudges():
    return db.session.scalars(
        sa.select(CadenceAlert).where(CadenceAlert.kind == STALE).order_by(CadenceAlert.id)
    ).all()


def test_an_incident_monitoring_for_hours_with_no_update_nudges_its_leads_once(team):
    monitoring_incident(team, NOW)
    assert nudge(NOW + timedelta(hours=2) - timedelta(seconds=1)) == 0
    assert nudge(NOW + timedelta(hours=2)) == 1
    assert nudge(NOW + timedelta(hours=3)) == 0
    [alert] = stale_nudges()
    assert [(r.user.name, r.duty) for r in alert.recipients] == [
        ("Dana", RosterRole.COMMANDER),
        ("Sam", RosterRole.DEPUTY),
    ]
    assert event(TimelineKind.NUDGED, None).message == (
        "Nudged Dana (commander), Sam (deputy): monitoring for 2 hours with no update; "
        "post one or resolve the incident."
    )
    assert [a.kind for a in open_alerts_for(team["commander"])] == [STALE]


def test_an_update_restarts_the_quiet_spell_and_a_new_silence_nudges_again(team):
    incident = monitoring_incident(team, NOW)
    nudge(NOW + timedelta(hours=2))
    make_published(incident, "staff", now=NOW + timedelta(hours=2, minutes=10))
    assert open_alerts_for(team["commander"]) == []
    assert nudge(NOW + timedelta(hours=4)) == 0
    assert nudge(NOW + timedelta(hours=4, minutes=10)) == 1
    assert len(stale_nudges()) == 2


def test_an_incident_that_is_not_monitoring_is_never_nudged(team):
    make_incident(severity=Severity.SEV4, roster=team["roster"])
    assert nudge(NOW + timedelta(days=1)) == 0


def test_the_stale_incident_job_runs_with_the_settings(app, ctx):
    incident = make_incident(severity=Severity.SEV4)
    incidents.change_status(
        incident, IncidentStatus.MONITORING, by=None, now=NOW - timedelta(days=400)
    )
    job = find_job("stale-incidents")
    assert job.run(NOW, app.config) == 1
    assert job.run(NOW, app.config) == 0


@pytest.mark.skipif(
    postgres_base_url() is None,
    reason="needs PostgreSQL (STATUSPAGE_TEST_DATABASE_URL): SQLite lets one writer in at a time",
)
def test_a_tick_racing_another_waits_for_it_and_raises_nothing_twice(app):
    """The second tick's insert meets the first one's uncommitted rows: ON CONFLICT, not a read."""
    with app.app_context():
        make_incident(severity=Severity.SEV3)
        db.session.commit()
    first_done, commit_first = threading.Event(), threading.Event()
    results = {}

    def first():
        with app.app_context():
            results["first"] = tick(CUSTOMERS_ESCALATE).total
            first_done.set()
            commit_first.wait(30)
            db.session.commit()

    def second():
        with app.app_context():
            results["second"] = tick(CUSTOMERS_ESCALATE).total
            db.session.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_done.wait(30)
    threads[1].start()
    with app.app_context():
        _wait_for_a_lock_wait()
    commit_first.set()
    for thread in threads:
        thread.join(30)
    assert results["first"] > 0 and results["second"] == 0
    with app.app_context():
        pairs = db.session.execute(sa.select(CadenceAlert.promise_id, CadenceAlert.kind)).all()
        assert len(pairs) == len(set(pairs)) == results["first"]
        assert count(TimelineEvent) - 1 == results["first"]  # plus the declaration


def _wait_for_a_lock_wait(timeout=30):
    """Poll until some session of this database waits on a lock (the second tick's insert)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not deadline.is_set():
            if db.session.scalar(query):
                return
            db.session.rollback()
            deadline.wait(0.05)
        raise AssertionError("the second tick never waited on the first")
    finally:
        timer.cancel()
