"""Who may do what: the one permission table, and the rules per incident and per update that build
on it (a liaison's duties, the second person who approves, who keeps the incident's record)."""

from __future__ import annotations

from enum import StrEnum

from statuspage.models import Audience, Incident, Role, RosterRole, Update, User


class Permission(StrEnum):
    VIEW_CONSOLE = "view_console"
    WRITE_UPDATES = "write_updates"  # draft and publish, to audiences the user may write to
    APPROVE_UPDATES = "approve_updates"
    MANAGE_INCIDENTS = "manage_incidents"  # declare, status, components, roster, resolve, reopen
    MANAGE_MAINTENANCE = "manage_maintenance"
    MANAGE_CONFIGURATION = "manage_configuration"  # audiences, components, templates, policies
    MANAGE_SUBSCRIBERS = "manage_subscribers"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    # Promise a later next update than the audience's cadence policy asks (sooner is anyone's).
    PROMISE_BEYOND_POLICY = "promise_beyond_policy"
    PUBLISH_POSTMORTEMS = "publish_postmortems"  # an admin's call: it speaks for the company


_VIEWER = {Permission.VIEW_CONSOLE}
_LIAISON = _VIEWER | {Permission.WRITE_UPDATES}
_COMMANDER = _LIAISON | {
    Permission.APPROVE_UPDATES,
    Permission.MANAGE_INCIDENTS,
    Permission.MANAGE_MAINTENANCE,
    Permission.VIEW_AUDIT,
    Permission.PROMISE_BEYOND_POLICY,
}
_ADMIN = set(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.LIAISON: frozenset(_LIAISON),
    Role.COMMANDER: frozenset(_COMMANDER),
    Role.ADMIN: frozenset(_ADMIN),
}


def has_permission(user: User, permission: Permission) -> bool:
    """Whether the user's role grants the permission (inactive users have none)."""
    return user.is_active and permission in ROLE_PERMISSIONS[user.role]


def may_declare(user: User, *, anyone_may: bool) -> bool:
    """Anyone signed in to the console may declare an incident (detect, then mobilize), unless the
    organisation keeps it to those who manage incidents (STATUSPAGE_ANYONE_MAY_DECLARE=false)."""
    wanted = Permission.VIEW_CONSOLE if anyone_may else Permission.MANAGE_INCIDENTS
    return has_permission(user, wanted)


def may_write_to(user: User, incident: Incident, audience: Audience) -> bool:
    """Commanders and admins write to every audience; a liaison only to the ones they hold duty for."""
    if has_permission(user, Permission.MANAGE_INCIDENTS):
        return True
    if not has_permission(user, Permission.WRITE_UPDATES):
        return False
    return user in incident.holders(audience.liaison_role)


def may_approve(user: User | None, update: Update) -> bool:
    """A second person with the approval right, who may also write to the update's audience.

    The rule for updates whose audience's policy wants review (publishing.requires_review): only
    someone it allows publishes them, and publishing is the approval. The system (None) never
    approves, and nobody approves what they wrote.
    """
    return (
        user is not None
        and has_permission(user, Permission.APPROVE_UPDATES)
        and user.id != update.author_id
        and may_write_to(user, update.incident, update.audience)
    )


# Duties whose holders keep the incident's record, and the experts who report into it (their
# check-ins): they may add notes to its timeline.
_NOTE_TAKERS = {RosterRole.COMMANDER, RosterRole.DEPUTY, RosterRole.SCRIBE, RosterRole.EXPERT}


def may_add_note(user: User, incident: Incident) -> bool:
    """Commanders and admins, and whoever is commander, deputy, scribe or expert on this incident."""
    if has_permission(user, Permission.MANAGE_INCIDENTS):
        return True
    return has_permission(user, Permission.VIEW_CONSOLE) and any(
        user in incident.holders(role) for role in _NOTE_TAKERS
    )
