"""The postmortem draft: the sections teams use, the response times measured from what the incident
records, and a curated timeline without the system's bookkeeping rows."""

from __future__ import annotations

import json
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import (
    AuditEntry,
    ComponentStatus,
    Incident,
    IncidentStatus,
    MilestoneKind,
    Role,
    User,
    Visibility,
)
from statuspage.services.incidents import edits, milestones
from tests.console import act_as, csrf_token
from tests.factories import audience, make_component, make_incident, make_published, make_user
from tests.feedcheck import check_feed


@pytest.fixture
def resolved(app):
    """An incident that started 50 minutes before it was declared, acknowledged 5 minutes after,
    mitigated 1 hour 20 minutes and resolved 2 hours after it started."""
    with app.app_context():
        cora = make_user(Role.COMMANDER, name="Cora")
        audience("customers")
        api = make_component("API")
        vault = make_component("Secret vault", visibility=Visibility.INTERNAL)
        declared = utcnow() - timedelta(hours=3)
        incident = make_incident(
            title="Checkout failing",
            by=cora,
            now=declared,
            affected={api: ComponentStatus.MAJOR_OUTAGE, vault: ComponentStatus.PARTIAL_OUTAGE},
        )
        incident.started_at = declared - timedelta(minutes=50)
        make_published(incident, body="We are on it.", now=declared + timedelta(minutes=5))
        edits.add_note(incident, "Rolled back the deploy.", by=cora, now=declared)
        incident.monitoring_at = incident.started_at + timedelta(hours=1, minutes=20)
        incident.status = IncidentStatus.RESOLVED
        incident.resolved_at = incident.started_at + timedelta(hours=2)
        db.session.commit()
        return {"cora": cora.id, "incident": incident.id}


def draft(client, ids):
    act_as(client, ids["cora"])
    return client.get(f"/admin/incidents/{ids['incident']}/postmortem.md").get_data(as_text=True)


def test_the_draft_has_the_sections_teams_use(client, resolved):
    text = draft(client, resolved)
    for heading in (
        "## Summary",
        "## Impact window",
        "## Response times",
        "## Root cause",
        "## Contributing factors",
        "## What went well",
        "## Action items",
        "| Action | Owner | Due |",
        "## Timeline",
    ):
        assert heading in text


def test_without_milestones_set_the_response_times_come_from_what_the_incident_records(
    client, resolved
):
    text = draft(client, resolved)
    assert "| Time to detect | started | declared | 50 minutes |" in text
    # Declaring an incident acknowledges it unless the commander sets another moment.
    assert "| Time to acknowledge | declared | acknowledged | 0 seconds |" in text
    assert "| Time to mitigate | started | mitigated | 1 hour 20 minutes |" in text
    assert "| Time to resolve | started | resolved | 2 hours |" in text


def test_the_response_times_follow_the_milestones_as_set(app, client, resolved):
    with app.app_context():
        incident = db.session.get(Incident, resolved["incident"])
        started = incident.started_at
        for kind, minutes in (("detected", 10), ("acknowledged", 25), ("mitigated", 70)):
            milestones.set_milestone(
                incident,
                MilestoneKind(kind),
                started + timedelta(minutes=minutes),
                version=incident.version,
                loaded_at=utcnow(),
                by=db.session.get(User, resolved["cora"]),
                now=utcnow(),
            )
        db.session.commit()
    text = draft(client, resolved)
    assert "| Time to detect | started | detected | 10 minutes |" in text
    assert "| Time to acknowledge | detected | acknowledged | 15 minutes |" in text
    assert "| Time to mitigate | started | mitigated | 1 hour 10 minutes |" in text
    assert "| Time to resolve | started | resolved | 2 hours |" in text


def test_the_impact_window_names_public_components_with_their_worst_impact(client, resolved):
    text = draft(client, resolved)
    assert "- API: worst major outage" in text
    assert "Secret vault" not in text.split("## Impact window")[1].split("## Response times")[0]


def test_the_curated_timeline_leaves_out_the_system_rows(client, resolved):
    timeline = draft(client, resolved).split("## Timeline")[1].split("## Updates by audience")[0]
    assert "Rolled back the deploy." in timeline
    assert "ublished" in timeline
    assert "rafted" not in timeline and "romise" not in timeline


# Writing and publishing ---------------------------------------------------------------------------

WRITTEN = (
    "## Summary\n\nA bad deploy broke checkout.\n\n## Action items\n\n- Canary deploys (Cora)\n"
)


@pytest.fixture
def people(app, resolved):
    with app.app_context():
        ids = {role: make_user(role, name=role.value).id for role in Role}
        db.session.commit()
    return {**resolved, **{role.value: user_id for role, user_id in ids.items()}}


def write(client, people, body=WRITTEN, as_="commander"):
    act_as(client, people[as_])
    return client.post(
        f"/admin/incidents/{people['incident']}/postmortem",
        data={"body": body, "csrf_token": csrf_token(client)},
    )


def switch(client, people, action, as_="admin"):
    act_as(client, people[as_])
    return client.post(
        f"/admin/incidents/{people['incident']}/postmortem/{action}",
        data={"csrf_token": csrf_token(client)},
    )


def public_surfaces(client, people):
    act_as(client, None)
    incident_id = people["incident"]
    documents = client.get("/api/v2/incidents.json").get_json()["incidents"]
    return {
        "page": client.get(f"/incidents/{incident_id}").get_data(as_text=True),
        "api": next(i for i in documents if i["id"] == str(incident_id)),
        "feed": client.get("/history.atom").get_data(as_text=True),
    }


def test_the_first_edit_starts_from_a_draft_made_of_public_data_only(client, people):
    act_as(client, people["commander"])
    html = client.get(f"/admin/incidents/{people['incident']}/postmortem").get_data(as_text=True)
    textarea = html.split("<textarea")[1].split("</textarea>")[0]
    assert "## Root cause" in textarea and "We are on it." in textarea
    assert "Secret vault" not in textarea and "Rolled back the deploy." not in textarea
    assert "Rolled back the deploy." in html  # beside it, for reference


def test_a_commander_saves_the_postmortem_as_written_and_it_is_audited(app, client, people):
    assert write(client, people).status_code == 302
    with app.app_context():
        incident = db.session.get(Incident, people["incident"])
        assert incident.postmortem.body == WRITTEN.strip()
        assert incident.postmortem.published_at is None
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert "postmortem.edit" in actions
    act_as(client, people["commander"])
    html = client.get(f"/admin/incidents/{people['incident']}/postmortem").get_data(as_text=True)
    assert "A bad deploy broke checkout." in html


def test_an_unpublished_postmortem_reaches_no_public_surface(client, people):
    write(client, people)
    surfaces = public_surfaces(client, people)
    assert "A bad deploy" not in surfaces["page"] and "A bad deploy" not in surfaces["feed"]
    assert surfaces["api"]["postmortem_body"] is None
    assert surfaces["api"]["postmortem_published_at"] is None


def test_a_published_postmortem_shows_on_the_page_the_api_and_the_feed(client, people):
    write(client, people)
    assert switch(client, people, "publish").status_code == 302
    surfaces = public_surfaces(client, people)
    assert "<h2>Summary</h2>" in surfaces["page"] and "A bad deploy" in surfaces["page"]
    assert surfaces["api"]["postmortem_body"] == WRITTEN.strip()
    assert surfaces["api"]["postmortem_published_at"] is not None
    assert "A bad deploy broke checkout." in surfaces["feed"]
    assert check_feed(surfaces["feed"]) == []


def test_unpublishing_takes_it_off_every_public_surface(client, people):
    write(client, people)
    switch(client, people, "publish")
    public_surfaces(client, people)  # cached while published
    assert switch(client, people, "unpublish").status_code == 302
    surfaces = public_surfaces(client, people)
    assert "A bad deploy" not in surfaces["page"] and "A bad deploy" not in surfaces["feed"]
    assert surfaces["api"]["postmortem_body"] is None


@pytest.mark.parametrize("role", ["viewer", "liaison", "commander"])
def test_only_an_admin_publishes(client, people, role):
    write(client, people)
    assert switch(client, people, "publish", as_=role).status_code == 403


@pytest.mark.parametrize("role", ["viewer", "liaison"])
def test_a_liaison_or_viewer_cannot_write_it(client, people, role):
    assert write(client, people, as_=role).status_code == 403


def test_an_open_incident_postmortem_is_not_published(app, client, people):
    write(client, people)
    with app.app_context():
        db.session.get(Incident, people["incident"]).status = IncidentStatus.MONITORING
        db.session.commit()
    response = switch(client, people, "publish")
    assert response.status_code == 422
    assert "once the incident is resolved" in response.get_data(as_text=True)


def test_a_published_generated_draft_names_no_internal_component(client, people):
    act_as(client, people["commander"])
    html = client.get(f"/admin/incidents/{people['incident']}/postmortem").get_data(as_text=True)
    draft_text = html.split("<textarea")[1].split(">", 1)[1].split("</textarea>")[0]
    write(client, people, body=unescape(draft_text))
    switch(client, people, "publish")
    surfaces = public_surfaces(client, people)
    assert "Secret vault" not in surfaces["page"] + surfaces["feed"] + json.dumps(surfaces["api"])
    assert "Rolled back" not in surfaces["page"] + surfaces["feed"]
