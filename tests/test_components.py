"""Components and groups: creation, order, visibility and status history."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.errors import ValidationError
from statuspage.extensions import db
from statuspage.models import ComponentStatus, ComponentStatusChange, Visibility
from statuspage.services.components import list_components, set_component_status
from statuspage.services.incidents.impacts import effective_statuses
from statuspage.services.public.version import current_version
from tests.factories import NOW, make_component, make_group

pytestmark = pytest.mark.usefixtures("ctx")


def test_components_list_by_group_in_position_order():
    later_group = make_group("Data")
    first_group = make_group("Core")
    first_group.position, later_group.position = 1, 2
    api = make_component("API", group=first_group)
    web = make_component("Web", group=first_group)
    search = make_component("Search", group=later_group)
    api.position, web.position = 2, 1
    listings = list_components(include_internal=False)
    assert [(l.group.name, [c.name for c in l.components]) for l in listings] == [
        ("Core", ["Web", "API"]),
        ("Data", ["Search"]),
    ]
    assert search.position == 1


def test_new_components_go_last_in_their_group():
    group = make_group()
    first, second = make_component(group=group), make_component(group=group)
    assert (first.position, second.position) == (1, 2)


def test_internal_components_and_groups_are_left_out_of_the_public_listing():
    public_group = make_group("Public")
    internal_group = make_group("Internal", visibility=Visibility.INTERNAL)
    make_component("API", group=public_group)
    make_component("Deploys", group=public_group, visibility=Visibility.INTERNAL)
    make_component("Database", group=internal_group)
    public = list_components(include_internal=False)
    assert [c.name for l in public for c in l.components] == ["API"]
    everything = list_components(include_internal=True)
    assert {c.name for l in everything for c in l.components} == {"API", "Deploys", "Database"}


def test_a_duplicate_component_name_is_refused():
    make_component("API")
    with pytest.raises(ValidationError, match="already exists"):
        make_component("API")


def test_a_blank_name_is_refused():
    with pytest.raises(ValidationError, match="Name is required"):
        make_component("   ")


def test_status_changes_are_recorded_in_the_history():
    component = make_component("API")
    later = NOW + timedelta(minutes=5)
    set_component_status(component, ComponentStatus.MAJOR_OUTAGE, now=later)
    history = db.session.scalars(
        sa.select(ComponentStatusChange).order_by(ComponentStatusChange.changed_at)
    ).all()
    assert [(h.old_status, h.status, h.changed_at) for h in history] == [
        (None, ComponentStatus.OPERATIONAL, NOW),
        (ComponentStatus.OPERATIONAL, ComponentStatus.MAJOR_OUTAGE, later),
    ]
    assert component.manual_status is ComponentStatus.MAJOR_OUTAGE  # set by hand
    assert (
        effective_statuses([component.id], public=True)[component.id]
        is ComponentStatus.MAJOR_OUTAGE
    )


def test_setting_the_same_status_records_nothing():
    component = make_component()
    assert set_component_status(component, ComponentStatus.OPERATIONAL, now=NOW) is None


def test_a_public_status_change_bumps_the_publication_version():
    component = make_component()
    before = current_version()
    set_component_status(component, ComponentStatus.PARTIAL_OUTAGE, now=NOW)
    assert current_version() == before + 1


def test_an_internal_status_change_leaves_the_publication_version_alone():
    component = make_component(visibility=Visibility.INTERNAL)
    before = current_version()
    set_component_status(component, ComponentStatus.PARTIAL_OUTAGE, now=NOW)
    assert current_version() == before
