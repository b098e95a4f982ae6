"""Declaring and running incidents: components, roster, status, timeline, first-update deadlines."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.errors import InvalidTransition, ValidationError
from statuspage.extensions import db
from statuspage.models import (
    ComponentStatus,
    IncidentStatus,
    Promise,
    PromiseState,
    Role,
    RosterRole,
    Severity,
    TimelineEvent,
    TimelineKind,
)
from statuspage.services.incidents import lifecycle as incidents
from statuspage.services.incidents.impacts import effective_statuses
from tests.factories import NOW, audience, make_component, make_incident, make_user

pytestmark = pytest.mark.usefixtures("ctx")


def timeline_kinds(incident):
    return [
        e.kind
        for e in db.session.scalars(
            sa.select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident.id)
            .order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        )
    ]


def test_declaring_sets_the_affected_components_and_records_it_all():
    commander = make_user(Role.COMMANDER)
    api = make_component("API")
    incident = make_incident(
        by=commander,
        affected={api: ComponentStatus.MAJOR_OUTAGE},
        roster=[(RosterRole.COMMANDER, commander)],
    )
    assert incident.status is IncidentStatus.INVESTIGATING
    assert effective_statuses([api.id], public=False)[api.id] is ComponentStatus.MAJOR_OUTAGE
    assert effective_statuses([api.id], public=True)[api.id] is ComponentStatus.OPERATIONAL
    assert incident.holders(RosterRole.COMMANDER) == [commander]
    assert timeline_kinds(incident) == [
        TimelineKind.DECLARED,
        TimelineKind.ROLE_ASSIGNED,
        TimelineKind.COMPONENT_CHANGED,
    ]
    declared = db.session.scalars(sa.select(TimelineEvent)).first()
    assert declared.actor_id == commander.id and commander.name in declared.message


def test_declaring_opens_a_first_update_deadline_per_audience_owed_one():
    incident = make_incident(severity=Severity.SEV1)
    deadlines = {
        p.audience.slug: p.due_at - NOW
        for p in db.session.scalars(sa.select(Promise).where(Promise.incident_id == incident.id))
    }
    # The built-in SEV1 cadence: customers within 15 minutes, staff within 10, executives 15 ...
    assert deadlines["customers"] == timedelta(minutes=15)
    assert deadlines["staff"] == timedelta(minutes=10)
    assert deadlines["executives"] == timedelta(minutes=15)


def test_a_blank_title_is_refused():
    with pytest.raises(ValidationError, match="Title is required"):
        make_incident(title="  ")


def test_single_duties_pass_to_the_new_holder():
    first, second = make_user(Role.LIAISON), make_user(Role.LIAISON)
    incident = make_incident(roster=[(RosterRole.CUSTOMER_LIAISON, first)])
    incidents.assign_role(incident, second, RosterRole.CUSTOMER_LIAISON, by=None, now=NOW)
    assert incident.holders(RosterRole.CUSTOMER_LIAISON) == [second]
    assert TimelineKind.ROLE_REMOVED in timeline_kinds(incident)


def test_an_incident_has_many_experts():
    experts = [make_user(Role.VIEWER), make_user(Role.VIEWER)]
    incident = make_incident(roster=[(RosterRole.EXPERT, person) for person in experts])
    assert incident.holders(RosterRole.EXPERT) == experts


def test_resolving_sets_the_time_and_ends_open_promises():
    incident = make_incident(severity=Severity.SEV1)
    later = NOW + timedelta(minutes=12)  # after staff's 10-minute deadline, before customers' 15
    incidents.change_status(incident, IncidentStatus.RESOLVED, by=None, now=later)
    assert incident.resolved_at == later and not incident.is_open
    states = {
        p.audience.slug: p.state
        for p in db.session.scalars(sa.select(Promise).where(Promise.incident_id == incident.id))
    }
    assert states["staff"] is PromiseState.MISSED
    assert states["customers"] is PromiseState.CANCELLED


def test_reopening_clears_the_resolution_and_restarts_first_update_deadlines():
    incident = make_incident(severity=Severity.SEV3)
    incidents.change_status(incident, IncidentStatus.RESOLVED, by=None, now=NOW)
    reopened_at = NOW + timedelta(hours=1)
    incidents.change_status(incident, IncidentStatus.INVESTIGATING, by=None, now=reopened_at)
    assert incident.resolved_at is None and incident.is_open
    assert TimelineKind.REOPENED in timeline_kinds(incident)
    customers = audience("customers")
    open_promise = db.session.scalar(
        sa.select(Promise).where(
            Promise.audience_id == customers.id, Promise.state == PromiseState.OPEN
        )
    )
    assert open_promise.due_at == reopened_at + timedelta(minutes=60)


def test_an_incident_cannot_take_a_maintenance_status():
    incident = make_incident()
    with pytest.raises(InvalidTransition):
        incidents.change_status(incident, IncidentStatus.IN_PROGRESS, by=None, now=NOW)


def test_maintenance_needs_an_end_after_its_start():
    with pytest.raises(ValidationError, match="end after it starts"):
        incidents.schedule_maintenance(
            title="Upgrade", scheduled_for=NOW, scheduled_until=NOW, by=None, now=NOW
        )


def test_maintenance_is_scheduled_with_its_components_under_maintenance():
    search = make_component("Search")
    window = incidents.schedule_maintenance(
        title="Upgrade",
        scheduled_for=NOW + timedelta(days=1),
        scheduled_until=NOW + timedelta(days=1, hours=2),
        by=None,
        now=NOW,
        components=[search],
    )
    assert window.is_maintenance and window.status is IncidentStatus.SCHEDULED
    assert [(c.component.name, c.status) for c in window.components] == [
        ("Search", ComponentStatus.UNDER_MAINTENANCE)
    ]
    # Not until the window opens.
    assert effective_statuses([search.id], public=False)[search.id] is ComponentStatus.OPERATIONAL
