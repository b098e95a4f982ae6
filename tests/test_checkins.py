"""Responder check-ins: each expert on an open incident reports with a timeline note at the
severity's interval; a missing report tells the deputy once (by email and on the console), and
the incident page shows who last reported when."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.config import ConfigurationError
from statuspage.core.errors import PermissionDenied
from statuspage.extensions import db
from statuspage.jobs import find_job
from statuspage.models import (
    CadenceAlert,
    CadenceAlertKind,
    Delivery,
    IncidentStatus,
    Role,
    RosterRole,
    Severity,
    TimelineEvent,
    TimelineKind,
)
from statuspage.services.cadence.notices import open_alerts_for
from statuspage.services.incidents import checkins, edits
from statuspage.services.incidents import lifecycle as incidents
from tests.console import act_as
from tests.factories import NOW, make_incident, make_user
from tests.mail import text_part
from tests.outbox import deliver

# The built-in intervals: SEV1 every 15 minutes, SEV2 every 30.
SEV1_DUE = NOW + timedelta(minutes=15)
DEPUTY, COMMANDER, EXPERT = "sam@example.com", "dana@example.com", "eve@example.com"


@pytest.fixture
def team(ctx):
    return {
        "commander": make_user(Role.COMMANDER, email=COMMANDER, name="Dana"),
        "deputy": make_user(Role.COMMANDER, email=DEPUTY, name="Sam"),
        "expert": make_user(Role.VIEWER, email=EXPERT, name="Eve"),
        "second expert": make_user(Role.VIEWER, name="Bo"),
    }


def declare(team, *, severity=Severity.SEV1, deputy=True):
    roster = [
        (RosterRole.COMMANDER, team["commander"]),
        (RosterRole.EXPERT, team["expert"]),
        (RosterRole.EXPERT, team["second expert"]),
    ]
    if deputy:
        roster.append((RosterRole.DEPUTY, team["deputy"]))
    incident = make_incident(severity=severity, roster=roster, title="Search down")
    db.session.execute(sa.delete(Delivery))  # the roster emails are test_mobilize's
    return incident


def remind(app, at):
    return find_job("responder-checkins").run(at, app.config)


def missed():
    """(responder, due time) of each missed check-in raised so far."""
    alerts = db.session.scalars(
        sa.select(CadenceAlert)
        .where(CadenceAlert.kind == CadenceAlertKind.CHECKIN)
        .order_by(CadenceAlert.id)
    )
    return [(alert.about_user.name, alert.about_at) for alert in alerts]


def note(incident, person, written, **fields):
    return edits.add_note(incident, "Index rebuild at 40%.", by=person, now=written, **fields)


def test_each_silent_expert_is_a_missed_check_in_at_the_severity_interval(app, team):
    declare(team)
    assert remind(app, SEV1_DUE - timedelta(seconds=1)) == 0
    assert remind(app, SEV1_DUE) == 2
    assert sorted(missed()) == [("Bo", SEV1_DUE), ("Eve", SEV1_DUE)]


def test_a_missed_check_in_is_raised_once_however_often_the_job_runs(app, team):
    declare(team)
    remind(app, SEV1_DUE)
    assert remind(app, SEV1_DUE + timedelta(minutes=5)) == 0
    assert len(missed()) == 2


def test_a_note_is_a_check_in_and_restarts_the_interval(app, team):
    incident = declare(team)
    note(incident, team["expert"], NOW + timedelta(minutes=10))
    remind(app, SEV1_DUE)
    assert missed() == [("Bo", SEV1_DUE)]
    assert remind(app, NOW + timedelta(minutes=25)) == 1
    assert ("Eve", NOW + timedelta(minutes=25)) in missed()


def test_staying_silent_another_interval_is_a_second_missed_check_in(app, team):
    declare(team)
    remind(app, SEV1_DUE)
    # Unreported since joining: due 15 minutes after, and again only after a new report.
    assert remind(app, SEV1_DUE + timedelta(minutes=15)) == 0
    assert len(missed()) == 2


def test_a_backdated_note_records_the_past_and_is_not_a_fresh_report(app, team):
    incident = declare(team)
    at = NOW + timedelta(minutes=20)
    note(incident, team["expert"], at, at=NOW + timedelta(minutes=1))
    assert remind(app, at) == 2


def test_the_interval_follows_the_severity_and_a_severity_without_one_owes_none(app, team):
    app.config["CHECKIN_INTERVALS"] = {Severity.SEV1: timedelta(minutes=15)}
    incident = declare(team, severity=Severity.SEV2)
    assert remind(app, NOW + timedelta(hours=5)) == 0
    later = NOW + timedelta(hours=5)
    edits.edit_details(
        incident,
        version=incident.version,
        loaded_at=later,
        title=incident.title,
        public_title=None,
        severity=Severity.SEV1,
        by=team["commander"],
        now=later,
    )
    # Unreported since joining, so due at once when the incident becomes SEV1.
    assert remind(app, NOW + timedelta(hours=5)) == 2


def test_a_resolved_incident_owes_no_check_ins(app, team):
    incident = declare(team)
    incidents.change_status(incident, IncidentStatus.RESOLVED, by=None, now=NOW)
    assert remind(app, NOW + timedelta(hours=1)) == 0


def test_the_deputy_is_emailed_about_a_missed_check_in(app, team, mail_sink):
    app.config["SMTP_URL"] = mail_sink.url
    incident = declare(team)
    remind(app, SEV1_DUE + timedelta(seconds=30))
    db.session.commit()
    deliver(app, now=SEV1_DUE + timedelta(seconds=30))
    subjects = sorted(message["Subject"] for message in mail_sink.to(DEPUTY))
    assert subjects == [
        "Check-in missing: Bo on Search down",
        "Check-in missing: Eve on Search down",
    ]
    text = text_part(next(m for m in mail_sink.to(DEPUTY) if "Eve" in m["Subject"]))
    assert "Eve has not reported on “Search down” (SEV1, Investigating)" in text
    assert "30 seconds ago" in text
    assert f"http://status.test/admin/incidents/{incident.id}" in text
    assert "You receive this as the incident's deputy." in text
    assert mail_sink.to(COMMANDER) == [] and mail_sink.to(EXPERT) == []


def test_without_a_deputy_the_commander_is_told(app, team):
    declare(team, deputy=False)
    remind(app, SEV1_DUE)
    [_, alert] = db.session.scalars(sa.select(CadenceAlert).order_by(CadenceAlert.id))
    assert [(r.user.name, r.duty) for r in alert.recipients] == [("Dana", RosterRole.COMMANDER)]


def test_the_timeline_records_whom_the_missed_check_in_was_told(app, team):
    incident = declare(team)
    remind(app, SEV1_DUE)
    events = db.session.scalars(
        sa.select(TimelineEvent).where(
            TimelineEvent.incident_id == incident.id,
            TimelineEvent.kind == TimelineKind.CHECKIN_MISSED,
        )
    ).all()
    assert sorted(e.message.split(":")[0] for e in events) == ["Told Sam (deputy)"] * 2
    assert any("Eve's check-in was due by" in e.message for e in events)


def test_the_deputys_banner_shows_a_missed_check_in_until_the_expert_reports(app, team):
    incident = declare(team)
    remind(app, SEV1_DUE)
    assert len(open_alerts_for(team["deputy"])) == 2
    note(incident, team["expert"], SEV1_DUE + timedelta(minutes=2))
    [left] = open_alerts_for(team["deputy"])
    assert left.about_user.name == "Bo"


def test_the_console_banner_names_the_silent_responder(app, team, client):
    incident = declare(team)
    remind(app, SEV1_DUE)
    db.session.commit()
    act_as(client, team["deputy"].id)
    page = client.get("/admin/", follow_redirects=True).text
    assert "<strong>Check-in missing:</strong> Eve has not reported on" in page
    assert f'href="/admin/incidents/{incident.id}">Search down</a>' in page


def test_experts_on_the_roster_may_add_notes_and_others_may_not(app, team):
    incident = declare(team)
    note(incident, team["expert"], NOW)
    bystander = make_user(Role.VIEWER)
    with pytest.raises(PermissionDenied):
        note(incident, bystander, NOW)


def test_the_incident_page_shows_who_last_reported_when(app, team, client):
    incident = declare(team)
    note(incident, team["expert"], NOW)
    db.session.commit()
    act_as(client, team["commander"].id)
    page = client.get(f"/admin/incidents/{incident.id}", follow_redirects=True).text
    assert "Check-ins" in page and "at least every 15 minutes at SEV1" in page
    assert "<strong>Eve</strong>:\n          last reported" in page
    assert "<strong>Bo</strong>:\n          no report yet" in page


def test_a_check_in_interval_setting_that_is_not_a_severity_is_refused():
    with pytest.raises(ConfigurationError, match="'P1' is not a severity"):
        checkins.checkin_intervals({"P1": 15})
    with pytest.raises(ConfigurationError, match="SEV1 needs a number of minutes above 0"):
        checkins.checkin_intervals({"SEV1": 0})
