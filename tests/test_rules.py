"""Rules that live once: in permissions.py (promising beyond policy, the second person who approves,
who adds notes), in the vocabulary (labels), in one SQL helper; and every caller asks them there."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.errors import PermissionDenied
from statuspage.extensions import db, insert_ignoring_duplicates
from statuspage.models import (
    CadenceAlert,
    CadenceAlertKind,
    ComponentStatus,
    Impact,
    Role,
    RosterRole,
    Severity,
    TimelineEvent,
    UpdateState,
)
from statuspage.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    has_permission,
    may_add_note,
    may_approve,
)
from statuspage.services.cadence import promises
from statuspage.services.incidents import compose, edits, publishing
from tests.factories import NOW, audience, make_draft, make_incident, make_user

pytestmark = pytest.mark.usefixtures("ctx")


# Promising a later update than policy ------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.VIEWER, False), (Role.LIAISON, False), (Role.COMMANDER, True), (Role.ADMIN, True)],
)
def test_promising_beyond_policy_is_a_row_of_the_permission_table(role, allowed):
    assert has_permission(make_user(role), Permission.PROMISE_BEYOND_POLICY) is allowed


def test_the_promise_check_asks_the_permission_table(monkeypatch):
    incident = make_incident(severity=Severity.SEV2)  # staff are owed an update every 30 minutes
    liaison = make_user(Role.LIAISON)
    later = NOW + timedelta(minutes=45)
    with pytest.raises(promises.PromiseTooLate):
        promises.check_promise(incident, audience("staff"), later, by=liaison, now=NOW)
    granted = ROLE_PERMISSIONS[Role.LIAISON] | {Permission.PROMISE_BEYOND_POLICY}
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.LIAISON, granted)
    promises.check_promise(incident, audience("staff"), later, by=liaison, now=NOW)


# A second person approves ----------------------------------------------------------------------


@pytest.fixture
def reviewed():
    """A customers draft at SEV1 (the policy wants review), written by a liaison on duty."""
    author = make_user(Role.LIAISON)
    incident = make_incident(severity=Severity.SEV1, roster=[(RosterRole.CUSTOMER_LIAISON, author)])
    draft = make_draft(incident, "customers", by=author)
    assert publishing.requires_review(draft)
    return draft


def test_only_someone_else_with_the_approval_right_may_approve(reviewed):
    assert not may_approve(None, reviewed)
    assert not may_approve(reviewed.author, reviewed)
    assert not may_approve(make_user(Role.LIAISON), reviewed)
    assert may_approve(make_user(Role.COMMANDER), reviewed)


def test_publishing_asks_the_approval_rule(reviewed):
    with pytest.raises(PermissionDenied, match="second person"):
        publishing.publish_update(reviewed, by=make_user(Role.LIAISON), now=NOW)
    with pytest.raises(PermissionDenied, match="second person"):
        publishing.publish_update(reviewed, by=None, now=NOW)
    commander = make_user(Role.COMMANDER)
    publishing.publish_update(reviewed, by=commander, now=NOW)
    assert reviewed.state is UpdateState.PUBLISHED and reviewed.approved_by_id == commander.id


def test_a_draft_published_from_the_console_asks_the_same_rule(reviewed):
    with pytest.raises(PermissionDenied, match="second person"):
        compose.act_on_draft(
            reviewed,
            version=reviewed.version,
            title=reviewed.title,
            body=reviewed.body,
            next_update_due_at=None,
            action=compose.Action.PUBLISH,
            by=reviewed.author,
            now=NOW,
        )


# Notes on the timeline -------------------------------------------------------------------------


def test_the_note_rule_is_enforced_by_the_service_itself():
    scribe, bystander = make_user(Role.VIEWER), make_user(Role.LIAISON)
    incident = make_incident(roster=[(RosterRole.SCRIBE, scribe)])
    assert may_add_note(scribe, incident) and not may_add_note(bystander, incident)
    with pytest.raises(PermissionDenied):
        edits.add_note(incident, "Rolled back.", by=bystander, now=NOW)
    event = edits.add_note(incident, "Rolled back.", by=scribe, now=NOW)
    assert db.session.get(TimelineEvent, event.id).message == "Rolled back."


# The vocabulary and the SQL helper ---------------------------------------------------------------


def test_every_impact_has_its_label_and_every_component_status_its_symbol():
    assert Impact.CRITICAL.label == "Critical impact"
    assert all(impact.label for impact in Impact)
    assert ComponentStatus.MAJOR_OUTAGE.symbol == "✕"
    assert len({status.symbol for status in ComponentStatus}) == len(ComponentStatus)


def test_inserting_a_duplicate_leaves_it_out_without_failing_the_transaction():
    incident = make_incident()
    row = {"incident_id": incident.id, "kind": CadenceAlertKind.STALE, "about_at": NOW}
    for _ in range(2):
        db.session.execute(insert_ignoring_duplicates(CadenceAlert).values(**row, created_at=NOW))
    count = sa.select(sa.func.count(CadenceAlert.id)).where(CadenceAlert.incident_id == incident.id)
    assert db.session.scalar(count) == 1
