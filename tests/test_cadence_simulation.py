"""Acceptance 1: a simulated 3-hour SEV1, customers every 30 minutes and executives every 60.

The clock is the test's: the scheduler's tick runs every 15 simulated seconds, the liaisons publish
at scripted minutes, and nothing sleeps. Checked: the liaison is reminded before each due time, a
missed promise is escalated to the commander and deputy after the grace, what the public surfaces
get (the promise, then "late"), and the figures (made, kept, missed, lateness) come out exact.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.site import Site
from statuspage.core.times import format_time
from statuspage.extensions import db
from statuspage.models import (
    CadenceAlert,
    CadenceAlertKind,
    CadencePolicy,
    IncidentStatus,
    Promise,
    PromiseState,
    Role,
    RosterRole,
    Severity,
)
from statuspage.publicsite import render
from statuspage.publicsite.urls import Links
from statuspage.services.cadence import promises as cadence
from statuspage.services.cadence.alerts import send_cadence_alerts
from statuspage.services.cadence.figures import Figures, incident_figures, period_figures
from statuspage.services.defaults import ensure_defaults
from statuspage.services.incidents import lifecycle as incidents
from statuspage.services.incidents import publishing
from statuspage.services.public.version import current_version
from statuspage.services.templating import render_late_notice
from tests.factories import NOW, audience, make_user
from tests.helpers import page_zone

pytestmark = pytest.mark.usefixtures("ctx")
REMINDER, OVERDUE, ESCALATION = (
    CadenceAlertKind.REMINDER,
    CadenceAlertKind.OVERDUE,
    CadenceAlertKind.ESCALATION,
)
TICK = timedelta(seconds=15)
SITE = Site(name="Acme Status", url="http://status.test", zone=page_zone())


def minutes(count):
    return NOW + timedelta(minutes=count)


# Minute of publication per audience. Customers (30-minute cadence, first update within 15,
# reminded 10 before, escalated 5 after): due 15, 40, 68 (missed: published at 80), 110 (published
# at 95, before its reminder), 125, 154 (missed: published at 170), 200 (met by the resolution at
# 180). Executives (60-minute cadence, otherwise the same): due 15, 74 (missed: published at 90),
# 150, 205 (cancelled by the resolution at 180).
PUBLISHED = {
    "customers": [10, 38, 80, 95, 124, 170],
    "executives": [14, 90, 145],
}
RESOLVED_AT = 180
EXPECTED_ALERTS = {
    ("customers", REMINDER): [5, 30, 58, 115, 144],
    ("customers", OVERDUE): [68, 154],
    ("customers", ESCALATION): [73, 159],
    ("executives", REMINDER): [5, 64, 140],
    ("executives", OVERDUE): [74],
    ("executives", ESCALATION): [79],
}


@pytest.fixture
def team():
    ensure_defaults(now=NOW)
    # Only customers and executives are owed updates at SEV1 here, executives hourly.
    for policy in db.session.scalars(
        sa.select(CadencePolicy).where(CadencePolicy.severity == Severity.SEV1)
    ):
        if policy.audience.slug == "executives":
            policy.update_interval = timedelta(minutes=60)
        elif policy.audience.slug != "customers":
            db.session.delete(policy)
    return {
        RosterRole.COMMANDER: make_user(Role.COMMANDER, name="Dana"),
        RosterRole.DEPUTY: make_user(Role.COMMANDER, name="Sam"),
        RosterRole.CUSTOMER_LIAISON: make_user(Role.LIAISON, name="Priya"),
        RosterRole.INTERNAL_LIAISON: make_user(Role.LIAISON, name="Tom"),
    }


def publish(incident, slug, team, *, at, status=None):
    liaison = team[audience(slug).liaison_role]
    draft = publishing.add_draft(
        incident, audience(slug), body="Where we are.", by=liaison, now=at, status=status
    )
    # Customer updates at SEV1 need a second person: the commander publishing is the approval.
    publisher = team[RosterRole.COMMANDER] if publishing.requires_review(draft) else liaison
    return publishing.publish_update(draft, by=publisher, now=at)


def run_incident(team, *, until, on_tick=None):
    """Declare at NOW, then tick every 15 s up to `until`, publishing first when one is due."""
    incident = incidents.declare_incident(
        title="Checkout failing",
        severity=Severity.SEV1,
        by=team[RosterRole.COMMANDER],
        now=NOW,
        roster=list(team.items()),
    )
    at = NOW
    while at <= until:
        for slug, published in PUBLISHED.items():
            if at in [minutes(m) for m in published]:
                publish(incident, slug, team, at=at)
        if at == minutes(RESOLVED_AT):
            publish(incident, "customers", team, at=at, status=IncidentStatus.RESOLVED)
        send_cadence_alerts(now=at, site=SITE)
        if on_tick:
            on_tick(incident, at)
        at += TICK
    return incident


def test_the_liaisons_are_reminded_and_the_leads_escalated_exactly_when_due(team):
    run_incident(team, until=minutes(3 * 60))
    alerts = db.session.scalars(sa.select(CadenceAlert).order_by(CadenceAlert.id)).all()
    found = {}
    for alert in alerts:
        found.setdefault((alert.audience.slug, alert.kind), []).append(alert.created_at)
    assert found == {
        key: [minutes(m) for m in expected] for key, expected in EXPECTED_ALERTS.items()
    }
    names = {
        (alert.audience.slug, alert.kind): sorted({r.user.name for r in alert.recipients})
        for alert in alerts
    }
    assert names == {
        ("customers", REMINDER): ["Priya"],
        ("customers", OVERDUE): ["Priya"],
        ("customers", ESCALATION): ["Dana", "Sam"],
        ("executives", REMINDER): ["Tom"],
        ("executives", OVERDUE): ["Tom"],
        ("executives", ESCALATION): ["Dana", "Sam"],
    }


def test_every_reminder_comes_before_its_due_time(team):
    run_incident(team, until=minutes(3 * 60))
    for alert in db.session.scalars(sa.select(CadenceAlert).where(CadenceAlert.kind == REMINDER)):
        assert alert.created_at == alert.promise.remind_at < alert.promise.due_at


def test_the_promises_end_in_the_right_states(team):
    incident = run_incident(team, until=minutes(3 * 60))
    states = {}
    for promise in db.session.scalars(
        sa.select(Promise).where(Promise.incident_id == incident.id).order_by(Promise.id)
    ):
        states.setdefault(promise.audience.slug, []).append(
            ((promise.due_at - NOW) // timedelta(minutes=1), promise.state)
        )
    kept, missed, cancelled = PromiseState.KEPT, PromiseState.MISSED, PromiseState.CANCELLED
    assert states == {
        "customers": [
            (15, kept),
            (40, kept),
            (68, missed),
            (110, kept),
            (125, kept),
            (154, missed),
            (200, kept),
        ],
        "executives": [(15, kept), (74, missed), (150, kept), (205, cancelled)],
    }


def test_the_public_surfaces_get_the_promise_and_then_an_honest_late_notice(team):
    customers = audience("customers")
    seen = {}

    def look(incident, at):
        if at in (minutes(67), minutes(68), minutes(80)):
            promise = cadence.next_updates([incident.id], audience_ids=[customers.id], now=at)[
                (incident.id, customers.id)
            ]
            page = render.index(Links(), now=at).content.decode()
            summary = json.loads(render.api("summary", now=at).content)["incidents"][0]
            feed = render.history_feed("atom", None, now=at).content.decode()
            seen[at] = Seen(promise, current_version(), page, summary, feed)

    incident = run_incident(team, until=minutes(80), on_tick=look)
    late = "Our next update is running late; we will post one as soon as we can."
    assert render_late_notice(customers, incident, site=SITE, due_at=minutes(68)) == late

    before = seen[minutes(67)]
    assert (before.promise.next_update_at, before.promise.is_overdue) == (minutes(68), False)
    assert promises(text_of(before.page), minutes(68))
    assert datetime.fromisoformat(before.summary["next_update_at"]) == minutes(68)
    assert before.summary["update_overdue"] is False
    assert promises(before.feed, minutes(68))

    # Past the due time: no time shown as if still ahead, the public cache moved on, and the
    # audience's own late wording is what the page, the feed and the JSON flag say.
    due = seen[minutes(68)]
    assert (due.promise.next_update_at, due.promise.is_overdue) == (None, True)
    assert due.version == before.version + 1
    assert late in text_of(due.page) and "Next update by" not in text_of(due.page)
    assert due.summary["update_overdue"] is True
    assert late in due.feed and "Next update by" not in due.feed

    # The late update makes the next promise, 30 minutes on.
    after = seen[minutes(80)]
    assert (after.promise.next_update_at, after.promise.is_overdue) == (minutes(110), False)
    assert promises(text_of(after.page), minutes(110))
    assert after.summary["update_overdue"] is False


@dataclass(frozen=True)
class Seen:
    promise: cadence.NextUpdate
    version: int
    page: str
    summary: dict
    feed: str


def promises(text, moment):
    """Whether the text says "Next update by" that time (with or without the date)."""
    return re.search(rf"Next update by [A-Za-z0-9, ]*{format_time(moment, SITE.zone)}", text)


def text_of(html):
    """The page's text as a reader sees it (tags gone, spaces folded)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_figures_come_out_exact(team):
    incident = run_incident(team, until=minutes(3 * 60))
    figures = {row.audience.slug: row for row in incident_figures(incident, now=minutes(181))}
    assert figures["customers"].figures == Figures(
        made=7,
        kept=5,
        missed=2,
        open=0,
        overdue=0,
        cancelled=0,
        worst_lateness=timedelta(minutes=16),
        median_lateness=timedelta(minutes=14),
    )
    assert figures["customers"].time_to_first_update == timedelta(minutes=10)
    assert figures["executives"].figures == Figures(
        made=4,
        kept=2,
        missed=1,
        open=0,
        overdue=0,
        cancelled=1,
        worst_lateness=timedelta(minutes=16),
        median_lateness=timedelta(minutes=16),
    )
    assert figures["executives"].time_to_first_update == timedelta(minutes=14)


def test_the_report_over_a_period_counts_per_audience_and_per_liaison(team):
    run_incident(team, until=minutes(3 * 60))
    report = period_figures(start=NOW, end=minutes(4 * 60), now=minutes(181))
    by_audience = {a.slug: (f.made, f.kept, f.missed) for a, f in report.by_audience}
    by_liaison = {u.name: (f.made, f.kept, f.missed) for u, f in report.by_liaison}
    assert by_audience == {"customers": (7, 5, 2), "executives": (4, 2, 1)}
    assert by_liaison == {"Priya": (7, 5, 2), "Tom": (4, 2, 1)}
    # A shorter period holds only the promises due in it: customers' 15 and 40, executives' 15.
    early = period_figures(start=NOW, end=minutes(60), now=minutes(181))
    assert {a.slug: f.made for a, f in early.by_audience} == {"customers": 2, "executives": 1}
