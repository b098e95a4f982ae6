"""SLA exposure for legal and executives: a component's downtime this month (as customers were
shown it) against the budget its availability target allows, on the internal page and in staff
templates; never in a public audience's template."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest

from statuspage.core.clock import pinned
from statuspage.core.site import current_site
from statuspage.core.times import in_zone, start_of_day
from statuspage.extensions import db
from statuspage.models import ComponentStatus, IncidentStatus, Role, Severity
from statuspage.services.incidents.exposure import exposure
from statuspage.services.templating import message_context
from tests.console import act_as, csrf_token
from tests.factories import NOW, audience, make_component, make_incident, make_published, make_user
from tests.helpers import page_zone

ZONE = page_zone()
TODAY = in_zone(NOW, ZONE).date()
# Inside the run's month whatever day the suite runs on: its first day, from 02:00.
MONTH = start_of_day(date(TODAY.year, TODAY.month, 1), ZONE)
OUTAGE_STARTS, OUTAGE_ENDS = MONTH + timedelta(hours=2), MONTH + timedelta(hours=2, minutes=41)
LATER = MONTH + timedelta(hours=5)
BUDGET_MINUTES = round(calendar.monthrange(TODAY.year, TODAY.month)[1] * 24 * 60 * 0.001)


@pytest.fixture
def search(app):
    """Search (99.9 % a month) publicly at a major outage for 41 minutes this month."""
    with app.app_context():
        component = make_component("Search")
        component.availability_target = 99.9
        incident = make_incident(
            severity=Severity.SEV2,
            affected={component: ComponentStatus.MAJOR_OUTAGE},
            now=OUTAGE_STARTS,
            title="Search down",
        )
        make_published(incident, "customers", now=OUTAGE_STARTS)
        from statuspage.services.incidents.lifecycle import set_affected_component

        set_affected_component(
            incident, component, ComponentStatus.OPERATIONAL, by=None, now=OUTAGE_ENDS
        )
        make_published(incident, "customers", now=OUTAGE_ENDS, status=IncidentStatus.MONITORING)
        db.session.commit()
        return {"component": component.id, "incident": incident.id}


def test_the_downtime_this_month_is_counted_against_the_targets_budget(app, search):
    with app.app_context():
        from statuspage.models import Component

        [item] = exposure([db.session.get(Component, search["component"])], now=LATER, zone=ZONE)
    assert item.used == timedelta(minutes=41)
    assert round(item.budget.total_seconds() / 60) == BUDGET_MINUTES
    assert item.describe().startswith(f"Search: 41 of {BUDGET_MINUTES} min of this month's budget")


def test_a_component_without_a_target_has_no_exposure(app):
    with app.app_context():
        assert exposure([make_component("Docs")], now=LATER, zone=ZONE) == []


def test_staff_templates_get_the_exposure_and_public_ones_do_not(app, search):
    with app.app_context():
        from statuspage.models import Incident

        incident = db.session.get(Incident, search["incident"])
        site = current_site()
        staff = message_context(incident, audience=audience("executives"), site=site, now=LATER)
        public = message_context(incident, audience=audience("customers"), site=site, now=LATER)
    assert staff["sla"][0]["used_minutes"] == 41 and "Search: 41 of" in staff["sla"][0]["text"]
    assert public["sla"] == []


def test_the_internal_briefing_shows_the_exposure(app, client, search):
    with app.app_context():
        reader = make_user(Role.VIEWER)
        db.session.commit()
        reader = reader.id
    act_as(client, reader)
    html = client.get("/internal").get_data(as_text=True)
    assert "<dt>SLA</dt>" in html and "Search:" in html and "of this month" in html


@pytest.mark.parametrize("target", ["100", "49", "abc", "nan", "inf"])
def test_an_impossible_target_is_refused_with_a_message(app, client, search, target):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
        admin = admin.id
    act_as(client, admin)
    answer = client.post(
        f"/admin/components/{search['component']}",
        data={
            "csrf_token": csrf_token(client),
            "name": "Search",
            "group_id": "0",
            "visibility": "public",
            "status_by_hand": "",
            "availability_target": target,
        },
    )
    assert answer.status_code in {400, 422}
    assert "availability target" in answer.get_data(as_text=True).lower()


def test_an_outage_running_since_last_month_counts_from_this_months_start(app):
    with app.app_context(), pinned(MONTH - timedelta(hours=3)):  # the world as it was then
        from statuspage.models import Component

        component = make_component("Billing")
        component.availability_target = 99.5
        incident = make_incident(
            severity=Severity.SEV2, affected={component: ComponentStatus.PARTIAL_OUTAGE}
        )
        make_published(incident, "customers")
        db.session.commit()
        component_id = component.id
    with app.app_context():
        [item] = exposure([db.session.get(Component, component_id)], now=LATER, zone=ZONE)
    assert item.used == LATER - MONTH
