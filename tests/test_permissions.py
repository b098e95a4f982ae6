"""The permission table and the liaison duty check."""

import itertools

import pytest

from statuspage.models import Role, RosterRole
from statuspage.permissions import ROLE_PERMISSIONS, Permission, has_permission, may_write_to
from tests.factories import audience, make_incident, make_user


def test_every_role_has_an_entry_and_each_grants_more_than_the_one_below():
    order = [Role.VIEWER, Role.LIAISON, Role.COMMANDER, Role.ADMIN]
    assert set(ROLE_PERMISSIONS) == set(Role)
    for lower, higher in itertools.pairwise(order):
        assert ROLE_PERMISSIONS[lower] < ROLE_PERMISSIONS[higher]


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.VIEWER, Permission.VIEW_CONSOLE, True),
        (Role.VIEWER, Permission.WRITE_UPDATES, False),
        (Role.LIAISON, Permission.WRITE_UPDATES, True),
        (Role.LIAISON, Permission.MANAGE_INCIDENTS, False),
        (Role.COMMANDER, Permission.APPROVE_UPDATES, True),
        (Role.COMMANDER, Permission.MANAGE_USERS, False),
        (Role.ADMIN, Permission.MANAGE_USERS, True),
    ],
)
def test_the_permission_table(ctx, role, permission, allowed):
    assert has_permission(make_user(role), permission) is allowed


def test_an_inactive_user_has_no_permissions(ctx):
    user = make_user(Role.ADMIN)
    user.is_active = False
    assert not has_permission(user, Permission.VIEW_CONSOLE)


def test_a_liaison_writes_only_to_the_audiences_they_hold_duty_for(ctx):
    customer_liaison = make_user(Role.LIAISON)
    incident = make_incident(roster=[(RosterRole.CUSTOMER_LIAISON, customer_liaison)])
    assert may_write_to(customer_liaison, incident, audience("customers"))
    assert not may_write_to(customer_liaison, incident, audience("executives"))


def test_commanders_write_to_every_audience(ctx):
    commander = make_user(Role.COMMANDER)
    incident = make_incident()
    assert may_write_to(commander, incident, audience("executives"))


def test_viewers_write_to_nobody_even_on_the_roster(ctx):
    viewer = make_user(Role.VIEWER)
    incident = make_incident(roster=[(RosterRole.CUSTOMER_LIAISON, viewer)])
    assert not may_write_to(viewer, incident, audience("customers"))
