"""Drafts, review and publishing: state, promises, timeline and the publication version."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.errors import InvalidTransition, PermissionDenied, ValidationError
from statuspage.extensions import db
from statuspage.models import (
    ComponentStatus,
    IncidentStatus,
    Promise,
    PromiseState,
    Role,
    Severity,
    TimelineEvent,
    TimelineKind,
    UpdateState,
)
from statuspage.services.incidents import publishing
from statuspage.services.incidents.impacts import effective_statuses
from statuspage.services.public.version import current_version
from tests.factories import (
    NOW,
    audience,
    make_component,
    make_draft,
    make_incident,
    make_published,
    make_user,
)

pytestmark = pytest.mark.usefixtures("ctx")


def test_a_draft_is_not_published_and_changes_nothing_public():
    incident = make_incident(severity=Severity.SEV3)
    before = current_version()
    draft = make_draft(incident, "customers")
    assert draft.state is UpdateState.DRAFT and draft.published_at is None
    assert current_version() == before


def test_publishing_to_customers_bumps_the_publication_version():
    incident = make_incident(severity=Severity.SEV3)
    before = current_version()
    update = make_published(incident, "customers")
    assert update.state is UpdateState.PUBLISHED and update.published_at is not None
    assert current_version() == before + 1


def test_publishing_to_an_internal_audience_leaves_public_surfaces_alone():
    incident = make_incident(severity=Severity.SEV3)
    before = current_version()
    make_published(incident, "staff")
    assert current_version() == before


def test_publishing_moves_the_incident_to_the_update_status():
    incident = make_incident(severity=Severity.SEV3)
    make_published(
        incident, "staff", status=IncidentStatus.MONITORING, now=NOW + timedelta(minutes=5)
    )
    assert incident.status is IncidentStatus.MONITORING
    assert incident.monitoring_at == NOW + timedelta(minutes=5)


def test_publishing_with_component_changes_records_them_on_the_update():
    api = make_component("API")
    incident = make_incident(severity=Severity.SEV3)
    liaison = make_user(Role.LIAISON)
    draft = make_draft(incident, "customers", by=liaison)
    update = publishing.publish_update(
        draft, by=liaison, now=NOW, component_changes={api: ComponentStatus.PARTIAL_OUTAGE}
    )
    assert update.affected_components == [
        {
            "code": str(api.id),
            "name": "API",
            "old_status": "operational",
            "new_status": "partial_outage",
        }
    ]
    assert effective_statuses([api.id], public=True)[api.id] is ComponentStatus.PARTIAL_OUTAGE


def test_a_published_update_cannot_be_published_again():
    update = make_published(make_incident(severity=Severity.SEV3), "staff")
    with pytest.raises(InvalidTransition, match="correction is a new update"):
        publishing.publish_update(update, by=None, now=NOW)


def test_an_empty_body_is_refused():
    with pytest.raises(ValidationError, match="Body is required"):
        make_draft(make_incident(), "customers", body=" \n ")


def test_a_promise_in_the_past_is_refused():
    incident = make_incident()
    with pytest.raises(ValidationError, match="future"):
        publishing.add_draft(
            incident,
            audience("customers"),
            body="x",
            by=None,
            now=NOW,
            next_update_due_at=NOW - timedelta(minutes=1),
        )


def test_the_author_cannot_publish_a_draft_that_needs_review():
    author = make_user(Role.LIAISON)
    draft = make_draft(make_incident(severity=Severity.SEV1), "customers", by=author)
    assert publishing.requires_review(draft)
    with pytest.raises(PermissionDenied, match="second person"):
        publishing.publish_update(draft, by=author, now=NOW)
    assert draft.state is UpdateState.DRAFT


def test_a_second_person_publishing_approves_the_draft():
    author, reviewer = make_user(Role.LIAISON), make_user(Role.COMMANDER)
    incident = make_incident(severity=Severity.SEV1)
    draft = make_draft(incident, "customers", by=author)
    publishing.submit_for_review(draft, by=author, now=NOW)
    assert draft.state is UpdateState.IN_REVIEW
    publishing.publish_update(draft, by=reviewer, now=NOW + timedelta(minutes=1))
    assert draft.state is UpdateState.PUBLISHED and draft.approved_by_id == reviewer.id
    kinds = db.session.scalars(
        sa.select(TimelineEvent.kind).where(TimelineEvent.incident_id == incident.id)
    ).all()
    assert {
        TimelineKind.UPDATE_SUBMITTED,
        TimelineKind.UPDATE_APPROVED,
        TimelineKind.UPDATE_PUBLISHED,
    } <= set(kinds)


def promises(incident, slug):
    """The incident's promises to one audience, oldest first."""
    return [
        p
        for p in db.session.scalars(
            sa.select(Promise).where(Promise.incident_id == incident.id).order_by(Promise.id)
        )
        if p.audience.slug == slug
    ]


def test_an_update_in_time_keeps_the_promise_and_makes_the_next_one_by_policy():
    incident = make_incident(severity=Severity.SEV2)  # customers: first within 30, then hourly
    at = NOW + timedelta(minutes=20)
    update = make_published(incident, "customers", now=at)
    first, second = promises(incident, "customers")
    assert (first.state, first.met_at, first.met_by_update_id) == (PromiseState.KEPT, at, update.id)
    assert update.next_update_due_at == at + timedelta(hours=1)
    assert (second.state, second.due_at, second.made_by_update_id) == (
        PromiseState.OPEN,
        at + timedelta(hours=1),
        update.id,
    )


def test_a_late_update_misses_the_promise():
    incident = make_incident(severity=Severity.SEV2)
    make_published(incident, "customers", now=NOW + timedelta(minutes=45))
    first, _ = promises(incident, "customers")
    assert first.state is PromiseState.MISSED


def test_a_resolving_update_meets_its_promise_and_makes_no_new_one():
    incident = make_incident(severity=Severity.SEV2)
    update = make_published(
        incident, "customers", status=IncidentStatus.RESOLVED, now=NOW + timedelta(minutes=10)
    )
    assert update.next_update_due_at is None
    assert [p.state for p in promises(incident, "customers")] == [PromiseState.KEPT]
    assert all(p.state is not PromiseState.OPEN for p in promises(incident, "staff"))
