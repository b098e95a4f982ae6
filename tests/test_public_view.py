"""What the public sees: public components, incidents as customers were told them, rollup, bars."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from statuspage.core.errors import NotFound
from statuspage.models import ComponentStatus, IncidentStatus, Role, Severity, Visibility
from statuspage.services import components
from statuspage.services import public as public_view
from statuspage.services.incidents import publishing
from statuspage.services.public.types import DayIncident
from tests.factories import (
    NOW,
    audience,
    make_component,
    make_draft,
    make_group,
    make_incident,
    make_maintenance,
    make_published,
    make_user,
)
from tests.helpers import page_zone

pytestmark = pytest.mark.usefixtures("ctx")
S = ComponentStatus
ZONE = page_zone()
TODAY = NOW.astimezone(ZoneInfo(ZONE)).date()


def test_internal_components_and_groups_are_not_in_the_catalogue():
    public = make_group("Platform")
    hidden = make_group("Back office", visibility=Visibility.INTERNAL)
    make_component("API", group=public)
    make_component("Deploys", group=public, visibility=Visibility.INTERNAL)
    make_component("Ledger", group=hidden)
    catalogue = public_view.component_catalogue()
    assert [c.name for c in catalogue.components] == ["API"]
    assert [g.name for g in catalogue.groups] == ["Platform"]


def test_positions_start_at_one_within_each_group_and_at_the_top_level():
    group = make_group("Platform")
    make_component("Status API")
    make_component("API", group=group)
    make_component("Dashboard", group=group)
    catalogue = public_view.component_catalogue()
    assert [(c.name, c.position) for c in catalogue.components] == [
        ("Status API", 1),
        ("API", 1),
        ("Dashboard", 2),
    ]
    assert catalogue.groups[0].position == 2


def test_a_group_reports_the_worst_status_of_its_components():
    group = make_group("Platform")
    make_component("API", group=group)
    dashboard = make_component("Dashboard", group=group)
    components.set_component_status(dashboard, S.PARTIAL_OUTAGE, now=NOW)
    assert public_view.component_catalogue().groups[0].status is S.PARTIAL_OUTAGE


def test_an_incident_is_public_only_once_customers_were_told():
    incident = make_incident()
    make_published(incident, "staff")
    make_draft(incident, "customers")
    with pytest.raises(NotFound):
        public_view.incident_page(incident.id, now=NOW)
    make_published(incident, "customers", body="We are on it.")
    assert public_view.incident_page(incident.id, now=NOW).incident.updates[0].body == (
        "We are on it."
    )


def test_the_public_status_is_what_customers_were_last_told():
    incident = make_incident(severity=Severity.SEV3)
    make_published(incident, "customers", status=IncidentStatus.IDENTIFIED)
    make_published(incident, "staff", status=IncidentStatus.MONITORING, now=NOW + timedelta(1))
    public = public_view.incident_page(incident.id, now=NOW).incident
    assert public.status is IncidentStatus.IDENTIFIED
    assert public.monitoring_at is None and [u.status for u in public.updates] == [
        IncidentStatus.IDENTIFIED
    ]


def test_updates_are_newest_first_and_one_that_keeps_the_status_is_labelled_update():
    incident = make_incident(severity=Severity.SEV3)
    for minutes, status in ((0, IncidentStatus.INVESTIGATING), (10, None), (20, "monitoring")):
        make_published(incident, now=NOW + timedelta(minutes=minutes), status=status)
    public = public_view.incident_page(incident.id, now=NOW).incident
    assert [u.label for u in public.updates] == ["Monitoring", "Update", "Investigating"]
    assert public.updates[0].published_at == NOW + timedelta(minutes=20)
    assert public.monitoring_at == NOW + timedelta(minutes=20)


def test_the_public_name_is_the_title_customers_were_given():
    incident = make_incident(title="DB primary lost quorum", severity=Severity.SEV3)
    liaison = make_user(Role.LIAISON)
    draft = publishing.add_draft(
        incident,
        audience("customers"),
        body="Investigating.",
        title="Slow dashboard",
        by=liaison,
        now=NOW,
    )
    publishing.publish_update(draft, by=liaison, now=NOW)
    assert public_view.incident_page(incident.id, now=NOW).incident.name == "Slow dashboard"


def test_component_changes_and_affected_components_leave_internal_ones_out():
    api = make_component("API")
    ledger = make_component("Ledger", visibility=Visibility.INTERNAL)
    incident = make_incident(severity=Severity.SEV3, affected={api: S.PARTIAL_OUTAGE})
    liaison = make_user(Role.LIAISON)
    draft = make_draft(incident, by=liaison)
    publishing.publish_update(
        draft, by=liaison, now=NOW, component_changes={api: S.MAJOR_OUTAGE, ledger: S.MAJOR_OUTAGE}
    )
    public = public_view.incident_page(incident.id, now=NOW).incident
    assert [c.name for c in public.components] == ["API"]
    assert [c.name for c in public.updates[0].affected_components] == ["API"]


def test_next_update_by_is_the_customer_promise_of_an_open_incident():
    incident = make_incident(severity=Severity.SEV3)
    make_published(incident, "staff")
    make_published(incident, "customers", now=NOW + timedelta(minutes=5))
    public = public_view.incident_page(incident.id, now=NOW).incident
    # SEV3 customers are owed an update every two hours (the built-in cadence).
    assert public.next_update_at == NOW + timedelta(minutes=5, hours=2)
    make_published(incident, "customers", status=IncidentStatus.RESOLVED, now=NOW + timedelta(1))
    assert public_view.incident_page(incident.id, now=NOW).incident.next_update_at is None


@pytest.mark.parametrize(
    ("statuses", "impacts", "expected"),
    [
        ([], [], ("none", "All Systems Operational")),
        ([S.OPERATIONAL], [], ("none", "All Systems Operational")),
        ([S.UNDER_MAINTENANCE], [], ("maintenance", "Service Under Maintenance")),
        ([S.DEGRADED_PERFORMANCE], [], ("minor", "Partially Degraded Service")),
        ([], [Severity.SEV3], ("minor", "Minor Service Outage")),
        ([S.PARTIAL_OUTAGE], [], ("major", "Partial System Outage")),
        ([S.OPERATIONAL], [Severity.SEV2], ("major", "Partial System Outage")),
        ([S.MAJOR_OUTAGE, S.DEGRADED_PERFORMANCE], [], ("critical", "Major Service Outage")),
        ([S.DEGRADED_PERFORMANCE], [Severity.SEV1], ("critical", "Major Service Outage")),
    ],
)
def test_the_rollup_is_the_worse_of_components_and_open_incidents(statuses, impacts, expected):
    for status in statuses:
        component = make_component()
        components.set_component_status(component, status, now=NOW)
    for severity in impacts:
        make_published(make_incident(severity=severity))
    catalogue = public_view.component_catalogue()
    rolled = public_view.rollup(catalogue.components, public_view.open_incidents(catalogue))
    assert (rolled.indicator, rolled.description) == expected


def test_open_incidents_come_most_severe_first():
    minor = make_incident(severity=Severity.SEV3, title="Minor")
    critical = make_incident(severity=Severity.SEV1, title="Critical")
    for incident in (minor, critical):
        make_published(incident)
    names = [i.name for i in public_view.open_incidents(public_view.component_catalogue())]
    assert names == ["Critical", "Minor"]


def local_day(moment):
    return moment.astimezone(ZoneInfo(ZONE)).date()


def uptime_of(component_name, *, now):
    catalogue = public_view.component_catalogue()
    found = public_view.component_uptime(catalogue, today=local_day(now), now=now, zone=ZONE)
    return next(u for u in found if u.component.name == component_name)


def test_bars_show_each_days_worst_status_over_90_days():
    api = make_component("API")  # operational since NOW
    now = datetime.combine(TODAY + timedelta(days=100), time(12), tzinfo=ZoneInfo(ZONE))
    components.set_component_status(api, S.MAJOR_OUTAGE, now=now - timedelta(days=3, hours=2))
    components.set_component_status(api, S.DEGRADED_PERFORMANCE, now=now - timedelta(days=3))
    components.set_component_status(api, S.OPERATIONAL, now=now - timedelta(days=2, hours=23))
    uptime = uptime_of("API", now=now)
    assert len(uptime.days) == 90 and uptime.days[-1].day == now.date()
    by_day = {d.day: d.status for d in uptime.days}
    assert by_day[(now - timedelta(days=3)).date()] is S.MAJOR_OUTAGE
    assert by_day[(now - timedelta(days=2)).date()] is S.OPERATIONAL
    assert by_day[(now - timedelta(days=4)).date()] is S.OPERATIONAL
    assert 99.8 < uptime.percent < 99.95  # two hours of outage in 90 days


def test_days_before_a_component_existed_have_no_data():
    make_component("API")  # created at NOW
    uptime = uptime_of("API", now=NOW + timedelta(days=10))
    assert uptime.days[0].status is None and uptime.days[-12].status is None
    assert uptime.days[-11].status is S.OPERATIONAL  # the day it was created


def test_bars_name_the_public_incidents_of_each_day():
    api = make_component("API")
    now = NOW + timedelta(days=5)
    incident = make_incident(
        affected={api: S.PARTIAL_OUTAGE}, now=now - timedelta(days=1), severity=Severity.SEV3
    )
    make_published(incident, now=now - timedelta(days=1))
    hidden = make_incident(affected={api: S.PARTIAL_OUTAGE}, now=now - timedelta(days=2))
    make_published(hidden, "staff", now=now - timedelta(days=2))
    days = {d.day: d.incidents for d in uptime_of("API", now=now).days}
    assert days[local_day(now - timedelta(days=1))] == (DayIncident(incident.id, incident.title),)
    assert days[local_day(now - timedelta(days=2))] == ()


def months_before(months: int) -> datetime:
    """Noon on the 15th, `months` months before NOW's month (in the test's zone)."""
    local = NOW.astimezone(ZoneInfo(ZONE))
    index = local.year * 12 + local.month - 1 - months
    return datetime(index // 12, index % 12 + 1, 15, 12, tzinfo=ZoneInfo(ZONE))


def test_the_history_shows_three_months_a_page_newest_first_each_month_even_empty():
    for months, title in ((0, "This month"), (2, "Two months ago"), (3, "Three months ago")):
        incident = make_incident(title=title, now=min(NOW, months_before(months)))
        make_published(incident, now=incident.started_at)
    first = public_view.history_page(1, now=NOW, zone=ZONE)
    assert [m.month for m in first.months] == [
        months_before(n).date().replace(day=1) for n in range(3)
    ]
    assert [[i.name for i in m.incidents] for m in first.months] == [
        ["This month"],
        [],
        ["Two months ago"],
    ]
    assert first.page_count == 2 and first.older_page == 2 and first.newer_page is None
    second = public_view.history_page(2, now=NOW, zone=ZONE)
    assert [[i.name for i in m.incidents] for m in second.months] == [["Three months ago"], [], []]
    assert second.newer_page == 1 and second.older_page is None
    with pytest.raises(NotFound):
        public_view.history_page(3, now=NOW, zone=ZONE)


def test_on_the_first_minute_of_a_month_the_first_page_still_shows_last_months_incidents():
    first_of_month = NOW.astimezone(ZoneInfo(ZONE)).replace(day=1, hour=0, minute=0, second=30)
    incident = make_incident(title="Yesterday", now=first_of_month - timedelta(days=1))
    make_published(incident, now=incident.started_at)
    page = public_view.history_page(1, now=first_of_month, zone=ZONE)
    assert [i.name for m in page.months for i in m.incidents] == ["Yesterday"]


def test_the_page_lists_incidents_resolved_in_the_last_seven_days_by_day():
    old = make_incident(title="Old", now=NOW - timedelta(days=9), severity=Severity.SEV3)
    recent = make_incident(title="Recent", now=NOW - timedelta(days=2), severity=Severity.SEV3)
    for incident in (old, recent):
        make_published(incident, now=incident.started_at)
        make_published(
            incident, now=incident.started_at + timedelta(hours=1), status=IncidentStatus.RESOLVED
        )
    page = public_view.status_page(now=NOW, zone=ZONE)
    assert [d.day for d in page.recent_days] == [TODAY - timedelta(days=n) for n in range(7)]
    assert {d.day: [i.name for i in d.incidents] for d in page.recent_days if d.incidents} == {
        TODAY - timedelta(days=2): ["Recent"]
    }
    assert page.open_incidents == ()


def test_the_incident_page_says_how_long_each_component_was_affected():
    api = make_component("API")
    incident = make_incident(affected={api: S.MAJOR_OUTAGE}, severity=Severity.SEV3)
    make_published(incident)
    liaison = make_user(Role.LIAISON)
    draft = make_draft(incident, by=liaison, status=IncidentStatus.RESOLVED)
    later = NOW + timedelta(minutes=95)
    publishing.publish_update(draft, by=liaison, now=later, component_changes={api: S.OPERATIONAL})
    page = public_view.incident_page(incident.id, now=later)
    assert [(o.component.name, o.status, o.duration) for o in page.outages] == [
        ("API", S.MAJOR_OUTAGE, timedelta(minutes=95))
    ]
    assert page.incident.duration == timedelta(minutes=95)


def test_maintenance_is_listed_by_its_public_state():
    api = make_component("API")
    window = make_maintenance(affected=[api])
    assert (
        public_view.maintenance_in(
            public_view.UPCOMING_MAINTENANCE_STATUSES, public_view.component_catalogue()
        )
        == []
    )
    make_published(window, status=IncidentStatus.SCHEDULED)
    upcoming = public_view.maintenance_in(
        public_view.UPCOMING_MAINTENANCE_STATUSES, public_view.component_catalogue()
    )
    assert [m.id for m in upcoming] == [window.id]


def test_the_page_changes_by_itself_at_midnight_or_when_a_promise_falls_due():
    midnight = datetime.combine(TODAY + timedelta(days=1), time(0), tzinfo=ZoneInfo(ZONE))
    assert public_view.status_page(now=NOW, zone=ZONE).expires_at == midnight
    incident = make_incident(severity=Severity.SEV1)
    make_published(incident)
    # SEV1 customers are owed an update every 30 minutes.
    assert public_view.status_page(now=NOW, zone=ZONE).expires_at == NOW + timedelta(minutes=30)
