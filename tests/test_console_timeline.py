"""Issue 14: an incident's milestones, set and backdated by the commander, and the timeline page
with typed, backdated notes and condensed publication rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import (
    AuditEntry,
    Incident,
    MilestoneKind,
    NoteType,
    Role,
    Severity,
    TimelineEvent,
    TimelineKind,
)
from statuspage.services.incidents import edits
from statuspage.services.incidents.milestones import milestones_of
from statuspage.services.incidents.rows import timeline_rows
from statuspage.services.public.version import current_version
from tests.console import act_as, csrf_token
from tests.console_flows import Console
from tests.factories import (
    NOW,
    make_draft,
    make_incident,
    make_maintenance,
    make_published,
    make_user,
)
from tests.helpers import form_time


def minute(moment):
    """The moment as a datetime-local input carries it."""
    return moment.replace(second=0, microsecond=0)


SIX = ("customers", "staff", "executives", "support", "sales", "legal")


@pytest.fixture
def cora(app, client):
    """Cora, a commander, signed in, and a SEV3 incident declared at NOW."""
    with app.app_context():
        commander = make_user(Role.COMMANDER, name="Cora")
        incident = make_incident(severity=Severity.SEV3, by=commander, title="Checkout slow")
        db.session.commit()
        ids = {"user": commander.id, "incident": incident.id}
    act_as(client, ids["user"])
    return ids


def set_milestone(client, incident_id, kind, at):
    with client.application.app_context():
        version = db.session.get(Incident, incident_id).version
    return client.post(
        f"/admin/incidents/{incident_id}/milestones",
        data={
            "csrf_token": csrf_token(client),
            "version": version,
            "loaded_at": NOW.isoformat(),
            "kind": kind,
            "at": form_time(at),
        },
    )


def milestones(app, incident_id):
    with app.app_context():
        return milestones_of(db.session.get(Incident, incident_id))


def add_note(client, incident_id, text, **fields):
    return client.post(
        f"/admin/incidents/{incident_id}/notes",
        data={"csrf_token": csrf_token(client), "text": text, **fields},
    )


# Milestones ------------------------------------------------------------------------------------


def test_milestones_default_to_what_the_incident_knows(app, cora):
    assert milestones(app, cora["incident"]) == {
        MilestoneKind.STARTED: NOW,
        MilestoneKind.DETECTED: None,
        MilestoneKind.ACKNOWLEDGED: NOW,
        MilestoneKind.MITIGATED: None,
        MilestoneKind.RESOLVED: None,
    }


def test_the_incident_page_offers_a_form_per_milestone(client, cora):
    page = client.get(f"/admin/incidents/{cora['incident']}").get_data(as_text=True)
    for kind in MilestoneKind:
        assert f'id="milestone-{kind}"' in page
    assert f'id="milestone-started" value="{form_time(NOW)}"' in page


def test_a_commander_backdates_a_milestone_and_it_is_on_the_timeline_and_audit(app, client, cora):
    started = NOW - timedelta(hours=2)
    assert set_milestone(client, cora["incident"], "started", started).status_code == 302
    detected = NOW - timedelta(minutes=50)
    assert set_milestone(client, cora["incident"], "detected", detected).status_code == 302
    assert milestones(app, cora["incident"])[MilestoneKind.STARTED] == minute(started)
    assert milestones(app, cora["incident"])[MilestoneKind.DETECTED] == minute(detected)
    with app.app_context():
        events = db.session.scalars(
            sa.select(TimelineEvent).where(TimelineEvent.kind == TimelineKind.MILESTONE_SET)
        ).all()
        audits = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "incident.milestone")
        ).all()
    assert [e.data["milestone"] for e in events] == ["started", "detected"]
    assert events[1].message.startswith("Cora set detected to")
    assert [a.details["milestone"] for a in audits] == ["started", "detected"]
    timeline = client.get(f"/admin/incidents/{cora['incident']}/timeline").get_data(as_text=True)
    assert "Cora set detected to" in timeline


def test_backdating_the_start_moves_the_incident_and_the_public_version(app, client, cora):
    with app.app_context():
        before = current_version()
    started = NOW - timedelta(hours=3)
    assert set_milestone(client, cora["incident"], "started", started).status_code == 302
    with app.app_context():
        assert db.session.get(Incident, cora["incident"]).started_at == minute(started)
        assert current_version() > before


def test_a_milestone_out_of_order_is_refused_with_a_form_message(app, client, cora):
    answer = set_milestone(client, cora["incident"], "resolved", NOW - timedelta(hours=1))
    assert answer.status_code == 422
    assert "Resolved cannot come before started" in answer.get_data(as_text=True)
    assert milestones(app, cora["incident"])[MilestoneKind.RESOLVED] is None


def test_a_milestone_in_the_same_minute_as_the_start_is_in_order(app, client, cora):
    assert set_milestone(client, cora["incident"], "detected", NOW).status_code == 302
    assert milestones(app, cora["incident"])[MilestoneKind.DETECTED] == minute(NOW)


def test_a_milestone_in_the_future_is_refused(app, client, cora):
    answer = set_milestone(client, cora["incident"], "detected", NOW + timedelta(hours=1))
    assert answer.status_code == 422
    assert "cannot be in the future" in answer.get_data(as_text=True)
    assert milestones(app, cora["incident"])[MilestoneKind.DETECTED] is None


# Notes -----------------------------------------------------------------------------------------


def test_typed_and_backdated_notes_appear_in_time_order_with_their_type(app, client, cora):
    assert add_note(client, cora["incident"], "Error rate is falling.").status_code == 302
    answer = add_note(
        client,
        cora["incident"],
        "We roll back the deploy.",
        note_type="decision",
        at=form_time(NOW - timedelta(minutes=30)),
    )
    assert answer.status_code == 302
    with app.app_context():
        notes = edits.timeline(db.session.get(Incident, cora["incident"]))
        notes = [e for e in notes if e.kind is TimelineKind.NOTE]
    assert [(e.message, e.data["note_type"]) for e in notes] == [
        ("We roll back the deploy.", "decision"),
        ("Error rate is falling.", "observation"),
    ]
    assert notes[0].occurred_at == minute(NOW - timedelta(minutes=30))
    page = client.get(f"/admin/incidents/{cora['incident']}/timeline").get_data(as_text=True)
    assert page.index("Add note") < page.index('class="timeline timeline--full"')
    assert page.index(">Decision</span>") < page.index("We roll back") < page.index("Error rate")
    assert ">Observation</span>" in page


def test_a_note_dated_in_the_future_is_refused_and_kept_in_the_box(client, cora):
    answer = add_note(client, cora["incident"], "Later.", at=form_time(NOW + timedelta(hours=1)))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "cannot be dated in the future" in page and "Later." in page


def test_an_action_item_note_shows_its_badge(client, cora):
    add_note(client, cora["incident"], "Add an alert on queue depth.", note_type="action_item")
    page = client.get(f"/admin/incidents/{cora['incident']}/timeline").get_data(as_text=True)
    assert f">{NoteType.ACTION_ITEM.label}</span>" in page


# Condensed publication rows --------------------------------------------------------------------


def test_a_six_audience_publication_is_one_condensed_row(app, client, cora):
    Console(app, client).as_(cora["user"]).compose(
        cora["incident"],
        status="identified",
        messages={slug: f"We found it ({slug})." for slug in SIX},
    )
    page = client.get(f"/admin/incidents/{cora['incident']}/timeline").get_data(as_text=True)
    assert page.count("Cora published Identified to Customers, All staff, Executives") == 1
    assert "published an update to" not in page
    assert "drafted an update for" not in page


def test_show_every_row_lists_each_audience_and_draft(app, client, cora):
    Console(app, client).as_(cora["user"]).compose(
        cora["incident"],
        status="identified",
        messages={slug: f"We found it ({slug})." for slug in SIX},
    )
    page = client.get(f"/admin/incidents/{cora['incident']}/timeline?all=1").get_data(as_text=True)
    assert page.count("published an update to") == 6
    assert "Cora published Identified to" not in page


def test_an_unpublished_draft_stays_on_the_condensed_timeline(app, cora):
    with app.app_context():
        incident = db.session.get(Incident, cora["incident"])
        make_published(incident, "staff", now=NOW)
        make_draft(incident, "customers", now=NOW)
        messages = [row.message for row in timeline_rows(edits.timeline(incident))]
    assert any("drafted an update for Customers" in message for message in messages)
    assert not any("drafted an update for All staff" in message for message in messages)


def test_a_maintenance_window_has_no_milestones(app, client, cora):
    with app.app_context():
        window = make_maintenance()
        db.session.commit()
        window_id = window.id
    answer = set_milestone(client, window_id, "started", NOW - timedelta(hours=1))
    assert answer.status_code == 422
    assert "Maintenance windows have no milestones" in answer.get_data(as_text=True)
