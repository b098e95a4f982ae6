"""Acceptance 4: review. A SEV1 customers draft cannot be published by its author; another
commander approves and it publishes; all of it is on the timeline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.clock import pinned, utcnow
from statuspage.extensions import db
from statuspage.models import (
    Incident,
    Role,
    RosterRole,
    Severity,
    TimelineEvent,
    TimelineKind,
    Update,
    UpdateState,
)
from tests.console import act_as, csrf_token
from tests.console_flows import Console
from tests.factories import audience, make_incident, make_user
from tests.helpers import form_time


@pytest.fixture
def sev1(app):
    with app.app_context():
        liaison = make_user(Role.LIAISON, name="Lia")
        author = make_user(Role.COMMANDER, name="Cora")
        approver = make_user(Role.COMMANDER, name="Ben")
        incident = make_incident(
            severity=Severity.SEV1, roster=[(RosterRole.CUSTOMER_LIAISON, liaison)], title="Outage"
        )
        db.session.commit()
        return {
            "incident": incident.id,
            "version": incident.version,
            "customers": audience("customers").id,
            "liaison": liaison.id,
            "author": author.id,
            "approver": approver.id,
        }


def compose_for_customers(client, ids, action="publish", promise=None):
    customers = ids["customers"]
    return client.post(
        f"/admin/incidents/{ids['incident']}/compose",
        data={
            "csrf_token": csrf_token(client),
            "version": ids["version"],
            "status": "identified",
            "action": action,
            f"audience-{customers}-send": "on",
            f"audience-{customers}-title": "Checkout failing",
            f"audience-{customers}-body": "We found the cause.",
            f"audience-{customers}-promise": form_time(promise) if promise else "",
        },
    )


def the_update(app) -> tuple[int, UpdateState, int | None, int]:
    with app.app_context():
        update = db.session.scalars(sa.select(Update)).one()
        return update.id, update.state, update.approved_by_id, update.version


def publish(client, update_id, version, *, body="We found the cause.", **fields):
    """Press publish on the draft page, with the text as given (by default as written)."""
    return client.post(
        f"/admin/updates/{update_id}",
        data={
            "csrf_token": csrf_token(client),
            "version": version,
            "title": "Checkout failing",
            "body": body,
            "action": "publish",
            **fields,
        },
    )


def test_publishing_a_sev1_customers_update_sends_it_for_review(app, client, sev1):
    act_as(client, sev1["liaison"])
    response = compose_for_customers(client, sev1)
    assert response.status_code == 302
    assert the_update(app)[1] is UpdateState.IN_REVIEW


@pytest.mark.parametrize("author", ["liaison", "author"])
def test_the_author_cannot_publish_it_even_as_a_commander(app, client, sev1, author):
    act_as(client, sev1[author])
    compose_for_customers(client, sev1)
    update_id, _, _, version = the_update(app)
    refused = publish(client, update_id, version)
    assert refused.status_code == 403
    assert "second person" in refused.get_data(as_text=True)
    assert the_update(app)[1] is UpdateState.IN_REVIEW


def test_the_draft_page_offers_the_author_only_review(app, client, sev1):
    act_as(client, sev1["liaison"])
    compose_for_customers(client, sev1)
    html = client.get(f"/admin/updates/{the_update(app)[0]}").get_data(as_text=True)
    assert "Approve and publish" not in html and "someone else approves it" in html


def test_another_commander_approves_and_it_publishes_all_on_the_timeline(app, client, sev1):
    act_as(client, sev1["liaison"])
    compose_for_customers(client, sev1)
    update_id, _, _, version = the_update(app)
    act_as(client, sev1["approver"])
    assert "Approve and publish" in client.get(f"/admin/updates/{update_id}").get_data(as_text=True)
    assert publish(client, update_id, version).status_code == 302
    _, state, approved_by, _ = the_update(app)
    assert state is UpdateState.PUBLISHED and approved_by == sev1["approver"]
    with app.app_context():
        events = db.session.scalars(
            sa.select(TimelineEvent).order_by(TimelineEvent.occurred_at, TimelineEvent.id)
        ).all()
        story = [(e.kind, e.actor.name if e.actor else None) for e in events]
    assert (TimelineKind.UPDATE_DRAFTED, "Lia") in story
    assert (TimelineKind.UPDATE_SUBMITTED, "Lia") in story
    assert (TimelineKind.UPDATE_APPROVED, "Ben") in story
    assert (TimelineKind.UPDATE_PUBLISHED, "Ben") in story
    timeline = client.get(f"/admin/incidents/{sev1['incident']}/timeline").get_data(as_text=True)
    assert "Ben approved the Customers update." in timeline
    assert "Ben published an update to Customers (Identified)." in timeline


def test_a_liaison_cannot_approve_someone_elses_draft(app, client, sev1):
    act_as(client, sev1["author"])
    compose_for_customers(client, sev1)
    update_id, _, _, version = the_update(app)
    act_as(client, sev1["liaison"])
    assert publish(client, update_id, version).status_code == 403


def test_without_review_the_author_publishes_at_once(app, client, sev1):
    with app.app_context():
        incident = make_incident(severity=Severity.SEV3)
        db.session.commit()
        ids = {**sev1, "incident": incident.id, "version": incident.version}
    act_as(client, sev1["author"])
    assert compose_for_customers(client, ids).status_code == 302
    assert the_update(app)[1] is UpdateState.PUBLISHED


def publish_rewritten(client, update_id, version):
    return publish(client, update_id, version, body="Nothing to see here.")


def test_an_approver_who_rewrites_the_text_becomes_its_author_and_cannot_publish_it(
    app, client, sev1
):
    act_as(client, sev1["liaison"])
    compose_for_customers(client, sev1)
    update_id, _, _, version = the_update(app)
    act_as(client, sev1["approver"])
    answer = publish_rewritten(client, update_id, version)
    assert answer.status_code == 302
    _, state, approved_by, _ = the_update(app)
    assert state is UpdateState.IN_REVIEW and approved_by is None
    with app.app_context():
        update = db.session.get(Update, update_id)
        assert update.author_id == sev1["approver"] and update.body == "Nothing to see here."
    timeline = client.get(f"/admin/incidents/{sev1['incident']}/timeline").get_data(as_text=True)
    assert "Ben edited the Customers draft and is now its author." in timeline


def test_a_rewritten_update_is_published_by_a_third_person(app, client, sev1):
    act_as(client, sev1["liaison"])
    compose_for_customers(client, sev1)
    update_id, _, _, version = the_update(app)
    act_as(client, sev1["approver"])
    publish_rewritten(client, update_id, version)
    version = the_update(app)[3]
    assert publish_rewritten(client, update_id, version).status_code == 403
    act_as(client, sev1["author"])
    assert publish_rewritten(client, update_id, version).status_code == 302
    _, state, approved_by, _ = the_update(app)
    assert state is UpdateState.PUBLISHED and approved_by == sev1["author"]


def test_lowering_the_severity_for_a_moment_does_not_skip_review(app, client, sev1):
    console = Console(app, client).as_(sev1["author"])
    console.edit_details(sev1["incident"], title="Outage", severity="SEV4")
    with app.app_context():
        ids = {**sev1, "version": db.session.get(Incident, sev1["incident"]).version}
    compose_for_customers(client, ids)
    assert the_update(app)[1] is UpdateState.IN_REVIEW


def test_approving_the_text_as_the_browser_sends_it_back_is_not_an_edit(app, client, sev1):
    """Browsers send a textarea's line ends as CRLF: the same text, not a rewrite."""
    act_as(client, sev1["liaison"])
    compose_for_customers(client, sev1)
    update_id, _, _, version = the_update(app)
    with app.app_context():
        update = db.session.get(Update, update_id)
        update.body = "We found the cause.\nA fix is rolling out."
        db.session.commit()
        version = update.version
    act_as(client, sev1["approver"])
    answer = publish(
        client, update_id, version, body="We found the cause.\r\nA fix is rolling out."
    )
    assert answer.status_code == 302
    _, state, approved_by, _ = the_update(app)
    assert state is UpdateState.PUBLISHED and approved_by == sev1["approver"]


@pytest.mark.parametrize("late_by", [timedelta(minutes=10), timedelta(hours=2)])
def test_a_late_approval_keeps_the_whole_promised_interval(app, client, sev1, late_by):
    act_as(client, sev1["liaison"])
    compose_for_customers(client, sev1, promise=utcnow() + timedelta(minutes=20))
    update_id, _, _, version = the_update(app)
    with app.app_context():
        update = db.session.get(Update, update_id)
        interval = update.next_update_due_at - update.created_at
    act_as(client, sev1["approver"])
    approved_at = utcnow() + late_by
    with pinned(approved_at):
        page = client.get(f"/admin/updates/{update_id}").get_data(as_text=True)
        promised = re.search(r'name="next_update_due_at"[^>]*value="([^"]*)"', page).group(1)
        answer = publish(client, update_id, version, next_update_due_at=promised)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    with app.app_context():
        update = db.session.get(Update, update_id)
        assert update.state is UpdateState.PUBLISHED
        assert update.next_update_due_at - approved_at == interval
