"""Promises: who may promise what, when reminders and escalations fall, and what surfaces show."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.errors import PermissionDenied, ValidationError
from statuspage.core.site import Site
from statuspage.core.times import format_time
from statuspage.extensions import db
from statuspage.models import IncidentStatus, Promise, PromiseState, Role, Severity, UpdateState
from statuspage.services.cadence import promises as cadence
from statuspage.services.incidents import lifecycle as incidents
from statuspage.services.incidents import publishing
from statuspage.services.templating import render_late_notice
from tests.factories import NOW, audience, make_incident, make_published, make_user

pytestmark = pytest.mark.usefixtures("ctx")
SITE = Site(name="Acme Status", url="http://status.test", zone="Europe/Paris")


def draft_promising(incident, in_minutes, *, author):
    """A staff draft promising the next update `in_minutes` after NOW (staff need no review)."""
    return publishing.add_draft(
        incident,
        audience("staff"),
        body="Still on it.",
        by=author,
        now=NOW,
        next_update_due_at=NOW + timedelta(minutes=in_minutes),
    )


def test_a_liaison_may_promise_sooner_than_policy():
    incident = make_incident(severity=Severity.SEV2)  # staff every 30 minutes
    liaison = make_user(Role.LIAISON)
    update = publishing.publish_update(
        draft_promising(incident, 20, author=liaison), by=liaison, now=NOW
    )
    assert update.next_update_due_at == NOW + timedelta(minutes=20)


def test_a_liaison_may_not_promise_later_than_policy():
    incident = make_incident(severity=Severity.SEV2)
    liaison = make_user(Role.LIAISON)
    draft = draft_promising(incident, 45, author=liaison)
    with pytest.raises(PermissionDenied) as refused:
        publishing.publish_update(draft, by=liaison, now=NOW)
    assert str(refused.value) == (
        "At SEV2, All staff are owed an update at least every 30 minutes: only a commander or "
        "an admin may promise a later one."
    )
    assert draft.state is UpdateState.DRAFT


@pytest.mark.parametrize("role", [Role.COMMANDER, Role.ADMIN])
def test_a_commander_or_admin_may_promise_later_than_policy(role):
    incident = make_incident(severity=Severity.SEV2)
    draft = draft_promising(incident, 45, author=make_user(Role.LIAISON))
    update = publishing.publish_update(draft, by=make_user(role), now=NOW)
    assert update.next_update_due_at == NOW + timedelta(minutes=45)


def test_the_promise_check_is_there_for_the_console_to_call_before_saving():
    incident = make_incident(severity=Severity.SEV2)
    liaison = make_user(Role.LIAISON)
    staff = audience("staff")
    cadence.check_promise(incident, staff, NOW + timedelta(minutes=30), by=liaison, now=NOW)
    with pytest.raises(PermissionDenied):
        cadence.check_promise(incident, staff, NOW + timedelta(minutes=31), by=liaison, now=NOW)
    with pytest.raises(ValidationError, match="future"):
        cadence.check_promise(incident, staff, NOW, by=liaison, now=NOW)


def test_a_draft_published_after_its_promised_time_keeps_its_interval_from_publication():
    # The promise is an interval: publishing late (a slow review) neither refuses it nor eats it.
    incident = make_incident(severity=Severity.SEV2)
    liaison = make_user(Role.LIAISON)
    draft = draft_promising(incident, 10, author=liaison)
    published_at = NOW + timedelta(minutes=11)
    update = publishing.publish_update(draft, by=liaison, now=published_at)
    assert update.next_update_due_at == published_at + timedelta(minutes=10)


def test_an_audience_without_a_policy_may_be_promised_any_time():
    incident = make_incident(severity=Severity.SEV4)  # staff have no SEV4 policy
    liaison = make_user(Role.LIAISON)
    update = publishing.publish_update(
        draft_promising(incident, 600, author=liaison), by=liaison, now=NOW
    )
    assert update.next_update_due_at == NOW + timedelta(hours=10)


def open_promise_to(incident, slug):
    return cadence.open_promise(incident.id, audience(slug).id)


def test_a_promise_is_reminded_and_escalated_by_its_policy():
    incident = make_incident(severity=Severity.SEV2)  # customers: first in 30, remind 10, grace 10
    promise = open_promise_to(incident, "customers")
    assert promise.due_at == NOW + timedelta(minutes=30)
    assert promise.remind_at == NOW + timedelta(minutes=20)
    assert promise.escalate_at == NOW + timedelta(minutes=40)


def test_a_promise_shorter_than_the_reminder_lead_is_reminded_halfway():
    incident = make_incident(severity=Severity.SEV2)  # staff: reminded 10 minutes before
    liaison = make_user(Role.LIAISON)
    publishing.publish_update(draft_promising(incident, 8, author=liaison), by=liaison, now=NOW)
    promise = open_promise_to(incident, "staff")
    assert promise.remind_at == NOW + timedelta(minutes=4)


def test_a_promise_without_a_policy_is_only_marked_overdue():
    incident = make_incident(severity=Severity.SEV4)
    liaison = make_user(Role.LIAISON)
    publishing.publish_update(draft_promising(incident, 60, author=liaison), by=liaison, now=NOW)
    promise = open_promise_to(incident, "staff")
    assert (promise.remind_at, promise.escalate_at) == (None, None)


def test_resolution_records_when_the_obligations_ended():
    incident = make_incident(severity=Severity.SEV2)
    resolved_at = NOW + timedelta(minutes=5)
    incidents.change_status(incident, IncidentStatus.RESOLVED, by=None, now=resolved_at)
    promises = db.session.scalars(sa.select(Promise)).all()
    assert promises and all(p.ended_at == resolved_at for p in promises)
    assert all(p.state is PromiseState.CANCELLED for p in promises)


def test_the_surfaces_get_the_next_update_per_incident_and_audience():
    first = make_incident(severity=Severity.SEV2)
    second = make_incident(severity=Severity.SEV3)
    customers = audience("customers")
    shown = cadence.next_updates(
        [first.id, second.id], audience_ids=[customers.id], now=NOW + timedelta(minutes=29)
    )
    assert set(shown) == {(first.id, customers.id), (second.id, customers.id)}
    promise = shown[(first.id, customers.id)]
    assert promise.next_update_at == promise.due_at == NOW + timedelta(minutes=30)
    assert not promise.is_overdue


def test_a_passed_promise_is_overdue_and_never_shown_as_a_future_time():
    incident = make_incident(severity=Severity.SEV2)
    customers = audience("customers")
    shown = cadence.next_updates([incident.id], now=NOW + timedelta(minutes=30))
    promise = shown[(incident.id, customers.id)]
    assert promise.is_overdue
    assert promise.next_update_at is None and promise.due_at == NOW + timedelta(minutes=30)


def test_an_audience_owed_nothing_has_no_next_update():
    incident = make_incident(severity=Severity.SEV2)
    make_published(incident, "customers", status=IncidentStatus.RESOLVED)
    assert cadence.next_updates([incident.id], now=NOW) == {}


def test_customers_read_the_built_in_late_notice():
    incident = make_incident(severity=Severity.SEV2)
    notice = render_late_notice(
        audience("customers"), incident, site=SITE, due_at=NOW + timedelta(minutes=30)
    )
    assert notice == "Our next update is running late; we will post one as soon as we can."


def test_staff_read_a_late_notice_with_the_due_time_in_the_page_zone():
    incident = make_incident(severity=Severity.SEV2)
    notice = render_late_notice(
        audience("staff"), incident, site=SITE, due_at=NOW + timedelta(minutes=30)
    )
    due = format_time(NOW + timedelta(minutes=30), SITE.zone)
    assert notice == f"The update due by {due} is late; the incident team has been told."


def test_an_audience_late_notice_is_a_template_of_its_own():
    incident = make_incident(severity=Severity.SEV2, title="Checkout errors")
    customers = audience("customers")
    customers.late_notice = "Sorry: our update on {{ incident.title }} is late."
    notice = render_late_notice(customers, incident, site=SITE, due_at=NOW)
    assert notice == "Sorry: our update on Checkout errors is late."


def test_a_broken_late_notice_falls_back_to_the_built_in_one():
    incident = make_incident(severity=Severity.SEV2)
    customers = audience("customers")
    customers.late_notice = "{{ incident.title "
    notice = render_late_notice(customers, incident, site=SITE, due_at=NOW)
    assert notice == "Our next update is running late; we will post one as soon as we can."
