"""The demo organisation: what it contains, and that a second run changes nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.site import Site
from statuspage.demo import OPEN_INCIDENT, seed_demo
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    IncidentKind,
    IncidentStatus,
    MessageTemplate,
    Severity,
    Update,
    UpdateState,
)
from tests.factories import NOW
from tests.worlds import ModuleWorld

pytestmark = pytest.mark.usefixtures("ctx")
SITE = Site("Acme Status", "http://status.test", "Etc/UTC")


@pytest.fixture(scope="module")
def demo_once(database_url):
    """The demo seeded once for the module (seeding takes seconds), put back before each test."""
    built = ModuleWorld(database_url, lambda: seed_demo(now=NOW, site=SITE))
    yield built
    built.close()


@pytest.fixture
def demo(app, demo_once):
    demo_once.put_back(app)


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def snapshot():
    """Every row of every table, in primary-key order."""
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        tables[table.name] = [tuple(row) for row in rows]
    return tables


def test_seeding_twice_leaves_the_same_data_as_seeding_once(demo):
    once = snapshot()
    seed_demo(now=NOW + timedelta(hours=3), site=SITE)
    db.session.commit()
    assert snapshot() == once


def test_the_demo_is_a_realistic_organisation(demo):
    assert count(ComponentGroup) == 4
    assert 18 <= count(Component) <= 22
    slugs = set(db.session.scalars(sa.select(Audience.slug)))
    assert {"customers", "staff", "executives", "support"} <= slugs
    statuses_per_audience = db.session.execute(
        sa.select(MessageTemplate.audience_id, sa.func.count()).group_by(
            MessageTemplate.audience_id
        )
    ).all()
    assert all(n == len(IncidentStatus) for _, n in statuses_per_audience)


def test_the_demo_has_one_open_sev2_with_three_audiences_published_and_a_draft(demo):
    open_incidents = db.session.scalars(
        sa.select(Incident).where(
            Incident.kind == IncidentKind.INCIDENT, Incident.status != IncidentStatus.RESOLVED
        )
    ).all()
    assert [(i.title, i.severity) for i in open_incidents] == [(OPEN_INCIDENT, Severity.SEV2)]
    updates = db.session.scalars(
        sa.select(Update).where(Update.incident_id == open_incidents[0].id)
    ).all()
    published = {u.audience.slug for u in updates if u.state is UpdateState.PUBLISHED}
    assert published == {"customers", "staff", "executives"}
    assert [u.audience.slug for u in updates if u.state is UpdateState.DRAFT] == ["support"]


def test_the_demo_has_sixty_days_of_history_and_two_maintenance_windows(demo):
    resolved = db.session.scalars(
        sa.select(Incident.started_at).where(Incident.status == IncidentStatus.RESOLVED)
    ).all()
    assert len(resolved) >= 10
    assert min(resolved) >= NOW - timedelta(days=60)
    maintenance = db.session.scalars(
        sa.select(Incident).where(Incident.kind == IncidentKind.MAINTENANCE)
    ).all()
    assert sorted(m.status for m in maintenance) == [
        IncidentStatus.COMPLETED,
        IncidentStatus.SCHEDULED,
    ]
    upcoming = next(m for m in maintenance if m.status is IncidentStatus.SCHEDULED)
    assert upcoming.scheduled_for > NOW
    # Uptime bars have something to show: outages went in and out of the component history.
    assert count(ComponentStatusChange) > 40
