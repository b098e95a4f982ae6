"""Cadence figures: what counts as kept, missed, open, overdue and late, per incident and period."""

from datetime import timedelta

import pytest

from statuspage.models import IncidentStatus, Role, RosterRole, Severity
from statuspage.services.cadence.figures import incident_figures, period_figures
from statuspage.services.incidents import lifecycle as incidents
from tests.factories import NOW, make_incident, make_published, make_user

pytestmark = pytest.mark.usefixtures("ctx")


def figures_of(incident, slug, *, now):
    [row] = [row for row in incident_figures(incident, now=now) if row.audience.slug == slug]
    return row


def test_a_promise_not_yet_due_is_open_and_nothing_is_late():
    incident = make_incident(severity=Severity.SEV2)  # customers' first update due in 30 minutes
    row = figures_of(incident, "customers", now=NOW + timedelta(minutes=10))
    assert (row.figures.made, row.figures.open, row.figures.overdue) == (1, 1, 0)
    assert row.figures.worst_lateness is None and row.figures.median_lateness is None
    assert row.time_to_first_update is None


def test_a_waiting_promise_past_due_is_overdue_and_late_until_now():
    incident = make_incident(severity=Severity.SEV2)
    row = figures_of(incident, "customers", now=NOW + timedelta(minutes=42))
    assert (row.figures.open, row.figures.overdue) == (0, 1)
    assert row.figures.worst_lateness == timedelta(minutes=12)


def test_a_promise_left_unmet_by_the_resolution_is_late_until_the_resolution():
    incident = make_incident(severity=Severity.SEV2)
    incidents.change_status(
        incident, IncidentStatus.RESOLVED, by=None, now=NOW + timedelta(minutes=50)
    )
    row = figures_of(incident, "customers", now=NOW + timedelta(hours=5))
    assert (row.figures.missed, row.figures.worst_lateness) == (1, timedelta(minutes=20))


def test_the_median_lateness_is_over_the_late_promises_only():
    incident = make_incident(severity=Severity.SEV2)  # customers: first in 30, then hourly
    make_published(incident, "customers", now=NOW + timedelta(minutes=40))  # 10 late
    make_published(incident, "customers", now=NOW + timedelta(minutes=90))  # kept
    make_published(incident, "customers", now=NOW + timedelta(minutes=180))  # 30 late
    row = figures_of(incident, "customers", now=NOW + timedelta(minutes=181))
    assert (row.figures.made, row.figures.kept, row.figures.missed) == (4, 1, 2)
    assert row.figures.median_lateness == timedelta(minutes=20)
    assert row.figures.worst_lateness == timedelta(minutes=30)
    assert row.time_to_first_update == timedelta(minutes=40)


def test_promises_nobody_held_the_duty_for_are_reported_under_nobody():
    liaison = make_user(Role.LIAISON, name="Priya")
    make_incident(severity=Severity.SEV2, roster=[(RosterRole.CUSTOMER_LIAISON, liaison)])
    report = period_figures(start=NOW, end=NOW + timedelta(hours=1), now=NOW)
    by_liaison = {(u.name if u else None): f.made for u, f in report.by_liaison}
    # Priya holds the customers' duty; nobody holds the internal liaison's (staff, executives ...).
    assert by_liaison["Priya"] == 1
    assert by_liaison[None] >= 1
    assert list(by_liaison)[-1] is None


def test_a_miss_stays_with_the_liaison_who_held_the_duty_when_it_fell_due():
    priya = make_user(Role.LIAISON, name="Priya")
    tom = make_user(Role.LIAISON, name="Tom")
    incident = make_incident(  # customers' first update due at NOW + 30 min
        severity=Severity.SEV2, roster=[(RosterRole.CUSTOMER_LIAISON, priya)]
    )
    handover = NOW + timedelta(minutes=45)  # after Priya's first update was already late
    incidents.assign_role(incident, tom, RosterRole.CUSTOMER_LIAISON, by=None, now=handover)
    make_published(incident, "customers", by=tom, now=NOW + timedelta(minutes=50))
    make_published(incident, "customers", by=tom, now=NOW + timedelta(minutes=100))  # kept
    report = period_figures(start=NOW, end=NOW + timedelta(hours=3), now=NOW + timedelta(hours=3))
    by_liaison = {(u.name if u else None): (f.made, f.kept, f.missed) for u, f in report.by_liaison}
    assert by_liaison["Priya"] == (1, 0, 1)
    assert by_liaison["Tom"][1] == 1 and by_liaison["Tom"][2] == 0


def test_a_promise_overdue_and_still_waiting_counts_against_the_kept_share():
    incident = make_incident(severity=Severity.SEV2)
    make_published(incident, "customers", now=NOW + timedelta(minutes=20))  # kept; next in 60
    row = figures_of(incident, "customers", now=NOW + timedelta(minutes=20 + 60 + 56))
    assert (row.figures.kept, row.figures.overdue) == (1, 1)
    assert row.figures.kept_share == 0.5
