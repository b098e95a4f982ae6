"""One rule for "is this promise overdue": from its due instant itself on, everywhere.

A promise due at 14:30 is overdue at 14:30:00 and not a microsecond before: in the services (the
promise, the next update the surfaces show, keeping or missing it, the cadence tick's SQL), on
the public page and in the API, and in the console's templates.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string

from statuspage.core.site import Site
from statuspage.core.times import describe_countdown, is_overdue
from statuspage.extensions import db
from statuspage.models import (
    CadenceAlert,
    CadenceAlertKind,
    IncidentStatus,
    PromiseState,
    Role,
    Severity,
)
from statuspage.publicsite import render
from statuspage.services.cadence import alerts, promises
from statuspage.services.incidents import lifecycle
from tests.console import act_as
from tests.factories import NOW, audience, make_incident, make_published, make_user

# The built-in SEV2 cadence for customers: the first update is due 30 minutes after declaring.
DUE = NOW + timedelta(minutes=30)
JUST_BEFORE = DUE - timedelta(microseconds=1)
SITE = Site(name="Acme Status", url="http://status.test", zone="Etc/UTC")


def first_customer_promise(incident):
    return promises.open_promise(incident.id, audience("customers").id)


def test_the_predicate_turns_at_the_due_instant():
    assert is_overdue(DUE, DUE)
    assert not is_overdue(DUE, JUST_BEFORE)
    assert describe_countdown(DUE, DUE) == "overdue 0 min"
    assert describe_countdown(DUE, JUST_BEFORE) == "due in 0 min"


def test_the_predicate_is_the_sql_condition_too():
    condition = is_overdue(CadenceAlert.about_at, NOW)
    assert str(condition) == "cadence_alert.about_at <= :about_at_1"


@pytest.mark.usefixtures("ctx")
def test_a_promise_and_the_next_update_shown_are_overdue_from_the_due_instant():
    incident = make_incident(severity=Severity.SEV2)
    promise = first_customer_promise(incident)
    assert promise.due_at == DUE
    assert not promise.is_overdue(JUST_BEFORE) and promise.is_overdue(DUE)
    key = (incident.id, audience("customers").id)
    assert not promises.next_updates([incident.id], now=JUST_BEFORE)[key].is_overdue
    shown = promises.next_updates([incident.id], now=DUE)[key]
    assert shown.is_overdue and shown.next_update_at is None


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(("at", "state"), [(JUST_BEFORE, "kept"), (DUE, "missed")])
def test_an_update_keeps_the_promise_only_before_it_is_overdue(at, state):
    incident = make_incident(severity=Severity.SEV2)
    promise = first_customer_promise(incident)
    make_published(incident, "customers", now=at)
    assert promise.state is PromiseState(state)


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(("at", "state"), [(JUST_BEFORE, "cancelled"), (DUE, "missed")])
def test_a_resolution_at_the_due_instant_leaves_the_promise_missed(at, state):
    incident = make_incident(severity=Severity.SEV2)
    promise = first_customer_promise(incident)
    lifecycle.change_status(incident, IncidentStatus.RESOLVED, by=None, now=at)
    assert promise.state is PromiseState(state)


@pytest.mark.usefixtures("ctx")
def test_the_tick_marks_the_promise_overdue_at_the_due_instant_not_before():
    make_incident(severity=Severity.SEV2)

    def overdue_marks():
        return db.session.scalar(
            sa.select(sa.func.count(CadenceAlert.id)).where(
                CadenceAlert.kind == CadenceAlertKind.OVERDUE,
                CadenceAlert.audience_id == audience("customers").id,
            )
        )

    alerts.send_cadence_alerts(now=JUST_BEFORE, site=SITE)
    assert overdue_marks() == 0
    alerts.send_cadence_alerts(now=DUE, site=SITE)
    assert overdue_marks() == 1


@pytest.mark.usefixtures("ctx")
def test_the_public_page_and_the_api_say_late_from_the_due_instant():
    incident = make_incident(severity=Severity.SEV2, title="Slow search")
    make_published(incident, "customers", now=NOW)  # promises the next update in an hour
    due = NOW + timedelta(hours=1)
    before = render.api("summary", now=due - timedelta(microseconds=1))
    at_due = render.api("summary", now=due)
    assert before.expires_at == due  # the cached document is replaced at the due instant
    assert b'"update_overdue":false' in before.content
    assert b'"update_overdue":true' in at_due.content


def test_the_templates_use_the_same_predicate(app):
    with app.test_request_context():
        source = "{{ 'late' if due is overdue(now) else 'on time' }}"
        assert render_template_string(source, due=DUE, now=DUE) == "late"
        assert render_template_string(source, due=DUE, now=JUST_BEFORE) == "on time"
        countdown = render_template_string(
            '{% from "admin/_forms.html" import countdown %}{{ countdown(due, now) }}',
            due=DUE,
            now=DUE,
        )
    assert "countdown--overdue" in countdown and ">overdue 0 min<" in countdown


def test_the_console_marks_a_promise_overdue_at_its_due_instant(app, client):
    with app.app_context():
        commander = make_user(Role.COMMANDER)
        # Declared 30 minutes before the test's now: customers' first update is due right now.
        make_incident(severity=Severity.SEV2, now=NOW - timedelta(minutes=30))
        db.session.commit()
        act_as(client, commander.id)
    html = client.get("/admin/").get_data(as_text=True)
    assert re.search(r'<tr class="overdue">\s*<th scope="row">Customers</th>', html), html
