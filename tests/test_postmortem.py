"""The postmortem draft: the sections teams use, the response times measured from what the incident
records, and a curated timeline without the system's bookkeeping rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import ComponentStatus, IncidentStatus, Role, Visibility
from statuspage.services.incidents import edits
from tests.console import act_as
from tests.factories import audience, make_component, make_incident, make_published, make_user


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


def test_the_draft_measures_each_response_time_from_what_the_incident_records(client, resolved):
    text = draft(client, resolved)
    assert "| Time to detect | started | declared | 50 minutes |" in text
    assert "| Time to acknowledge | declared | first update | 5 minutes |" in text
    assert "| Time to mitigate | started | monitoring | 1 hour 20 minutes |" in text
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
