"""Acceptance 3: maintenance windows move on time with their templated messages, exactly once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.site import Site
from statuspage.extensions import db
from statuspage.jobs import find_job
from statuspage.models import (
    ComponentStatus,
    IncidentStatus,
    MessageTemplate,
    TimelineEvent,
    Update,
    UpdateState,
    Visibility,
)
from statuspage.scheduler import run_job
from statuspage.services.incidents import lifecycle as incidents
from statuspage.services.incidents import publishing
from statuspage.services.incidents.impacts import effective_statuses
from statuspage.services.incidents.maintenance import WindowMove, move_maintenance_windows
from statuspage.services.public.version import current_version
from tests.factories import NOW, audience, make_component, make_incident, make_published

pytestmark = pytest.mark.usefixtures("ctx")
SITE = Site(name="Acme Status", url="http://status.test", zone="Etc/UTC")
START = NOW + timedelta(hours=1)
END = NOW + timedelta(hours=3)
TICK = timedelta(seconds=15)


@pytest.fixture
def search():
    return make_component("Search")


@pytest.fixture
def window(search):
    audience("customers")  # the built-in audiences and their templates
    return incidents.schedule_maintenance(
        title="Search cluster upgrade",
        scheduled_for=START,
        scheduled_until=END,
        by=None,
        now=NOW,
        components=[search],
    )


def status_of(component, *, public=True):
    """The component's status as the public (or staff) see it."""
    return effective_statuses([component.id], public=public)[component.id]


def move(at):
    return move_maintenance_windows(now=at, site=SITE)


def published(window):
    return db.session.scalars(
        sa.select(Update)
        .where(Update.incident_id == window.id, Update.state == UpdateState.PUBLISHED)
        .order_by(Update.id)
    ).all()


def snapshot(window):
    """Everything a move could change: status, updates, timeline, components, public version."""
    return (
        window.status,
        len(published(window)),
        db.session.scalar(sa.select(sa.func.count()).select_from(TimelineEvent)),
        [status_of(c.component) for c in window.components],
        current_version(),
    )


def test_a_window_does_not_start_before_its_time(window, search):
    assert move(START - timedelta(seconds=1)) == []
    assert (
        window.status is IncidentStatus.SCHEDULED
        and status_of(search) is ComponentStatus.OPERATIONAL
    )


def test_a_window_starts_within_one_tick_with_the_customers_template(window, search):
    assert move(START + TICK) == [WindowMove(window.id, IncidentStatus.IN_PROGRESS)]
    assert window.status is IncidentStatus.IN_PROGRESS
    assert status_of(search) is ComponentStatus.UNDER_MAINTENANCE
    [update] = published(window)
    assert update.audience.slug == "customers"
    assert update.status is IncidentStatus.IN_PROGRESS and update.published_at == START + TICK
    assert update.title == "Search cluster upgrade"
    assert update.body == (
        "Scheduled maintenance is currently in progress. We will provide updates as necessary."
    )
    assert update.template.status is IncidentStatus.IN_PROGRESS
    assert update.affected_components == [
        {
            "code": str(search.id),
            "name": "Search",
            "old_status": "operational",
            "new_status": "under_maintenance",
        }
    ]


def test_a_second_run_changes_nothing(window):
    move(START)
    before = snapshot(window)
    assert move(START + TICK) == []
    assert snapshot(window) == before


def test_a_window_completes_at_its_end_and_gives_the_components_back(window, search):
    move(START)
    assert move(END) == [WindowMove(window.id, IncidentStatus.COMPLETED)]
    assert window.status is IncidentStatus.COMPLETED and window.resolved_at == END
    assert status_of(search) is ComponentStatus.OPERATIONAL
    last = published(window)[-1]
    assert last.body == "The scheduled maintenance has been completed."
    assert last.affected_components[0]["new_status"] == "operational"
    before = snapshot(window)
    assert move(END + TICK) == []
    assert snapshot(window) == before


def announce(window, slug):
    draft = publishing.add_draft(window, audience(slug), body="Heads up.", by=None, now=NOW)
    publishing.publish_update(draft, by=None, now=NOW)


def test_every_audience_told_about_the_window_gets_its_own_template(window, search):
    announce(window, "staff")
    announce(window, "customers")
    move(START)
    moved = [u for u in published(window) if u.status is IncidentStatus.IN_PROGRESS]
    assert [u.audience.slug for u in moved] == ["customers", "staff"]
    staff_update = moved[1]
    assert staff_update.title == "[Maintenance · In progress] Search cluster upgrade"
    # The message announces the components as they are once the window has started.
    assert "Affected: Search (under maintenance)." in staff_update.body


def test_a_window_told_only_to_staff_gets_no_public_message(window, search):
    announce(window, "staff")
    version = current_version()
    move(START)
    assert [u.audience.slug for u in published(window)] == ["staff", "staff"]
    # Staff see the component under maintenance; the public, never told, sees nothing move.
    assert status_of(search, public=False) is ComponentStatus.UNDER_MAINTENANCE
    assert status_of(search) is ComponentStatus.OPERATIONAL
    assert current_version() == version


def test_an_internal_window_nobody_was_told_about_moves_without_a_message():
    audience("customers")
    database = make_component("Primary database", visibility=Visibility.INTERNAL)
    window = incidents.schedule_maintenance(
        title="Failover drill",
        scheduled_for=START,
        scheduled_until=END,
        by=None,
        now=NOW,
        components=[database],
    )
    move(START)
    assert window.status is IncidentStatus.IN_PROGRESS and published(window) == []
    assert status_of(database, public=False) is ComponentStatus.UNDER_MAINTENANCE


def test_a_component_already_in_trouble_keeps_its_worse_status(window, search):
    make_published(make_incident(affected={search: ComponentStatus.MAJOR_OUTAGE}))
    move(START)
    assert status_of(search) is ComponentStatus.MAJOR_OUTAGE
    move(END)
    assert status_of(search) is ComponentStatus.MAJOR_OUTAGE


def test_a_component_stays_under_maintenance_while_another_window_holds_it(window, search):
    longer = incidents.schedule_maintenance(
        title="Index rebuild",
        scheduled_for=START,
        scheduled_until=END + timedelta(hours=1),
        by=None,
        now=NOW,
        components=[search],
    )
    move(START)
    move(END)
    assert window.status is IncidentStatus.COMPLETED
    assert status_of(search) is ComponentStatus.UNDER_MAINTENANCE
    move(END + timedelta(hours=1))
    assert longer.status is IncidentStatus.COMPLETED
    assert status_of(search) is ComponentStatus.OPERATIONAL


def test_a_window_that_passed_while_no_scheduler_ran_goes_straight_to_completed(window, search):
    assert move(END + timedelta(minutes=5)) == [WindowMove(window.id, IncidentStatus.COMPLETED)]
    assert [u.status for u in published(window)] == [IncidentStatus.COMPLETED]
    assert status_of(search) is ComponentStatus.OPERATIONAL


def test_a_broken_template_does_not_hold_the_window_back(window):
    template = db.session.scalar(
        sa.select(MessageTemplate).where(
            MessageTemplate.audience_id == audience("customers").id,
            MessageTemplate.status == IncidentStatus.IN_PROGRESS,
        )
    )
    template.body = "{% if %}"
    move(START)
    assert window.status is IncidentStatus.IN_PROGRESS
    assert published(window)[0].body.startswith("Scheduled maintenance is currently in progress.")


def test_the_scheduler_job_moves_windows_in_its_own_transaction(app, window):
    db.session.commit()
    window_id = window.id
    job = find_job("maintenance-windows")
    # The job takes the real clock: a window whose start has passed moves on the first run.
    window.scheduled_for = NOW - timedelta(days=400)
    window.scheduled_until = NOW + timedelta(days=4000)
    db.session.commit()
    assert run_job(app, job) == [WindowMove(window_id, IncidentStatus.IN_PROGRESS)]
    assert run_job(app, job) == []
