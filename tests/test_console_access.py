"""Acceptance 1: every console route and the internal page, for every role, and CSRF on every POST;
the console's pages for people of each role signed in by the OpenID provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask

from statuspage.extensions import db
from statuspage.models import Incident, Role, Update, User
from tests.console import World, act_as, csrf_token, make_world
from tests.factories import NOW, audience
from tests.helpers import form_time
from tests.oidc import begin, callback_path, forging_provider, provider_settings
from tests.worlds import ModuleWorld, shared_world

ROLES = ("anonymous", "viewer", "liaison", "commander", "admin")
EVERYONE = {"viewer", "liaison", "commander", "admin"}
WRITERS = {"liaison", "commander", "admin"}
COMMANDERS = {"commander", "admin"}
ADMINS = {"admin"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str  # formatted with the World's ids
    allowed: set[str]
    ok: int  # the status an allowed role gets for this request
    data: dict[str, str] | None = None

    def url(self, world: World) -> str:
        return self.path.format(w=world)

    def form(self, world: World) -> dict[str, str]:
        return {
            key.format(w=world): value.format(w=world) for key, value in (self.data or {}).items()
        }


def _future(hours: int) -> str:
    return form_time(NOW + timedelta(hours=hours))


VERSIONED = {"version": "{w.incident_version}", "loaded_at": "2000-01-01T00:00:00+00:00"}
ROUTES = [
    Route("admin.dashboard", "GET", "/admin/", EVERYONE, 200),
    Route("admin.incidents", "GET", "/admin/incidents", EVERYONE, 200),
    # Whoever notices first declares (STATUSPAGE_ANYONE_MAY_DECLARE, on by default).
    Route("admin.declare", "GET", "/admin/incidents/new", EVERYONE, 200),
    Route("admin.declare", "POST", "/admin/incidents/new", EVERYONE, 302,
          {"title": "Login fails", "severity": "SEV3"}),
    Route("admin.incident", "GET", "/admin/incidents/{w.incident_id}", EVERYONE, 200),
    Route("admin.edit_details", "POST", "/admin/incidents/{w.incident_id}/details", COMMANDERS,
          302, {"title": "Renamed", "severity": "SEV1", **VERSIONED}),
    Route("admin.set_status", "POST", "/admin/incidents/{w.incident_id}/status", COMMANDERS, 302,
          {"status": "identified", **VERSIONED}),
    Route("admin.set_components", "POST", "/admin/incidents/{w.incident_id}/components",
          COMMANDERS, 302, {"component-{w.component_id}": "major_outage", **VERSIONED}),
    Route("admin.assign", "POST", "/admin/incidents/{w.incident_id}/roster", COMMANDERS, 302,
          {"role": "scribe", "user_id": "{w.viewer_id}", **VERSIONED}),
    Route("admin.unassign", "POST",
          "/admin/incidents/{w.incident_id}/roster/{w.assignment_id}/remove", COMMANDERS, 302,
          {"confirmed": "yes", **VERSIONED}),
    Route("admin.compose", "GET", "/admin/incidents/{w.incident_id}/compose", WRITERS, 200),
    Route("admin.compose", "POST", "/admin/incidents/{w.incident_id}/compose", WRITERS, 302,
          {"status": "identified", "action": "save", "audience-{w.customers_id}-send": "on",
           "audience-{w.customers_id}-title": "Slow API", "audience-{w.customers_id}-body": "Looking",
           **VERSIONED}),
    Route("admin.follow_facts", "POST", "/admin/incidents/{w.incident_id}/compose/drafts",
          WRITERS, 200, {"status": "identified", "facts": "A deploy broke search."}),
    Route("admin.draft", "GET", "/admin/updates/{w.update_id}", EVERYONE, 200),
    Route("admin.draft", "POST", "/admin/updates/{w.update_id}", WRITERS, 302,
          {"title": "Slow API", "body": "Still looking", "action": "save",
           "version": "{w.update_version}"}),
    Route("admin.preview", "POST", "/admin/preview", EVERYONE, 200, {"text": "*hi*"}),
    # The world's draft is not in review: those let through are told so (409), the rest 403.
    Route("admin.request_changes", "POST", "/admin/updates/{w.update_id}/changes", COMMANDERS,
          409, {"comment": "Say which regions."}),
    Route("admin.set_milestone", "POST", "/admin/incidents/{w.incident_id}/milestones",
          COMMANDERS, 302, {"kind": "started", "at": _future(-24 * 365), **VERSIONED}),
    Route("admin.set_chat_hook", "POST", "/admin/incidents/{w.incident_id}/chat-hook",
          COMMANDERS, 302, {"chat_hook_kind": "slack",
                            "chat_hook_url": "https://hooks.slack.com/services/T/B/x"}),
    Route("admin.timeline", "GET", "/admin/incidents/{w.incident_id}/timeline", EVERYONE, 200),
    # Notes: commanders and admins, and the roster's commander, deputy, scribe and experts (the
    # world's viewer is an expert on its incident).
    Route("admin.add_note", "POST", "/admin/incidents/{w.incident_id}/notes",
          COMMANDERS | {"viewer"}, 302, {"text": "Rolled back"}),
    Route("admin.screenshot", "GET",
          "/admin/incidents/{w.incident_id}/screenshots/{w.screenshot_id}", EVERYONE, 200),
    Route("admin.postmortem", "GET", "/admin/incidents/{w.incident_id}/postmortem.md", EVERYONE,
          200),
    Route("admin.edit_postmortem", "GET", "/admin/incidents/{w.incident_id}/postmortem",
          COMMANDERS, 200),
    Route("admin.edit_postmortem", "POST", "/admin/incidents/{w.incident_id}/postmortem",
          COMMANDERS, 302, {"body": "## Summary\n\nA deploy broke search."}),
    # The world's incident is open: admins are told it must be resolved first (422), others 403.
    Route("admin.publish_postmortem", "POST",
          "/admin/incidents/{w.incident_id}/postmortem/publish", ADMINS, 422),
    Route("admin.unpublish_postmortem", "POST",
          "/admin/incidents/{w.incident_id}/postmortem/unpublish", ADMINS, 422),
    Route("admin.maintenance_list", "GET", "/admin/maintenance", EVERYONE, 200),
    Route("admin.schedule_maintenance", "GET", "/admin/maintenance/new", COMMANDERS, 200),
    Route("admin.schedule_maintenance", "POST", "/admin/maintenance/new", COMMANDERS, 302,
          {"title": "Database upgrade", "scheduled_for": _future(24),
           "scheduled_until": _future(26), "components": "{w.component_id}",
           "audience-{w.customers_id}-send": "on"}),
    Route("admin.edit_maintenance", "GET", "/admin/maintenance/{w.window_id}/edit", COMMANDERS,
          200),
    Route("admin.edit_maintenance", "POST", "/admin/maintenance/{w.window_id}/edit", COMMANDERS,
          302, {"title": "Database upgrade", "scheduled_for": _future(48),
                "scheduled_until": _future(50), "note": "Moved for the vendor."}),
    Route("admin.cancel_maintenance", "POST", "/admin/maintenance/{w.window_id}/cancel",
          COMMANDERS, 302, {"confirmed": "yes", "note": "Not needed."}),
    # The world's window has not started: those let through are told it cannot complete (409).
    Route("admin.complete_maintenance", "POST", "/admin/maintenance/{w.window_id}/complete",
          COMMANDERS, 409, {"confirmed": "yes"}),
    Route("admin.templates", "GET", "/admin/templates", ADMINS, 200),
    Route("admin.edit_template", "GET", "/admin/templates/{w.template_id}", ADMINS, 200),
    Route("admin.edit_template", "POST", "/admin/templates/{w.template_id}", ADMINS, 302,
          {"title": "{{{{ incident.title }}}}", "body": "We are on it."}),
    Route("admin.preview_template", "POST", "/admin/templates/preview", ADMINS, 200,
          {"title": "T", "body": "B", "status": "identified"}),
    Route("admin.audiences", "GET", "/admin/audiences", ADMINS, 200),
    Route("admin.edit_audience", "GET", "/admin/audiences/new", ADMINS, 200),
    Route("admin.edit_audience", "POST", "/admin/audiences/new", ADMINS, 302,
          {"slug": "partners", "name": "Partners", "liaison_role": "internal_liaison",
           "position": "9"}),
    Route("admin.edit_audience", "GET", "/admin/audiences/{w.audience_id}", ADMINS, 200),
    Route("admin.edit_audience", "POST", "/admin/audiences/{w.audience_id}", ADMINS, 302,
          {"name": "Everyone", "liaison_role": "internal_liaison", "position": "2"}),
    Route("admin.cadence_policies", "GET", "/admin/cadence", ADMINS, 200),
    Route("admin.edit_cadence", "GET", "/admin/cadence/{w.audience_id}", ADMINS, 200),
    Route("admin.edit_cadence", "POST", "/admin/cadence/{w.audience_id}", ADMINS, 302,
          {"policies-0-is_owed": "y", "policies-0-update_interval": "20",
           "policies-0-first_update_within": "10", "policies-0-remind_before": "5",
           "policies-0-escalate_after": "5", "late_notice": "Running late."}),
    Route("admin.cadence_report", "GET", "/admin/reports/cadence", EVERYONE, 200),
    Route("admin.cadence_report_csv", "GET", "/admin/reports/cadence.csv", EVERYONE, 200),
    Route("admin.components", "GET", "/admin/components", ADMINS, 200),
    Route("admin.edit_component", "GET", "/admin/components/new", ADMINS, 200),
    Route("admin.edit_component", "POST", "/admin/components/new", ADMINS, 302,
          {"name": "Billing", "group_id": "0", "visibility": "internal"}),
    Route("admin.edit_component", "GET", "/admin/components/{w.component_id}", ADMINS, 200),
    Route("admin.edit_component", "POST", "/admin/components/{w.component_id}", ADMINS, 302,
          {"name": "Public API", "group_id": "{w.group_id}", "visibility": "public"}),
    Route("admin.move_component", "POST", "/admin/components/{w.component_id}/move", ADMINS,
          302, {"direction": "down"}),
    Route("admin.branding_settings", "GET", "/admin/branding", ADMINS, 200),
    Route("admin.branding_settings", "POST", "/admin/branding", ADMINS, 302,
          {"page_name": "Acme Status", "accent_light": "#0b57d0", "powered_by": "y"}),
    Route("admin.edit_group", "GET", "/admin/groups/new", ADMINS, 200),
    Route("admin.edit_group", "POST", "/admin/groups/new", ADMINS, 302,
          {"name": "Edge", "visibility": "public"}),
    Route("admin.edit_group", "GET", "/admin/groups/{w.group_id}", ADMINS, 200),
    Route("admin.edit_group", "POST", "/admin/groups/{w.group_id}", ADMINS, 302,
          {"name": "Core services", "visibility": "public"}),
    Route("admin.move_group", "POST", "/admin/groups/{w.group_id}/move", ADMINS, 302,
          {"direction": "down"}),
    Route("admin.integrations_list", "GET", "/admin/integrations", ADMINS, 200),
    Route("admin.new_integration", "GET", "/admin/integrations/new", ADMINS, 200),
    # Created: the page that answers shows the receiver URL once (200, no redirect).
    Route("admin.new_integration", "POST", "/admin/integrations/new", ADMINS, 200,
          {"kind": "grafana", "name": "Grafana", "mode": "draft", "holddown_seconds": "120",
           "commander_id": "0", "active": "y"}),
    Route("admin.edit_integration", "GET", "/admin/integrations/{w.integration_id}", ADMINS, 200),
    Route("admin.edit_integration", "POST", "/admin/integrations/{w.integration_id}", ADMINS,
          302, {"name": "Prometheus", "mode": "automate", "component_label": "service",
                "rules": "team=core -> API", "impacts": "critical = major_outage",
                "holddown_seconds": "60", "commander_id": "{w.commander_id}"}),
    Route("admin.users", "GET", "/admin/users", ADMINS, 200),
    Route("admin.new_user", "GET", "/admin/users/new", ADMINS, 200),
    Route("admin.new_user", "POST", "/admin/users/new", ADMINS, 302,
          {"email": "new@example.com", "name": "New", "role": "viewer"}),
    Route("admin.edit_user", "GET", "/admin/users/{w.viewer_id}", ADMINS, 200),
    Route("admin.edit_user", "POST", "/admin/users/{w.viewer_id}", ADMINS, 302,
          {"name": "Viewer", "role": "liaison", "is_active": "y"}),
    Route("admin.reset_password", "POST", "/admin/users/{w.viewer_id}/password", ADMINS, 302),
    Route("admin.audit", "GET", "/admin/audit", COMMANDERS, 200),
    Route("admin.profile", "GET", "/admin/profile", EVERYONE, 200),
    Route("admin.enrol_second_factor", "GET", "/admin/profile/second-factor", EVERYONE, 200),
    Route("admin.enrol_second_factor", "POST", "/admin/profile/second-factor", EVERYONE, 422,
          {"code": "000000"}),
    Route("admin.second_factor_qr", "GET", "/admin/profile/second-factor/qr.svg", EVERYONE, 200),
    # The viewer has no second factor: admins are told so (409), others 403.
    Route("admin.reset_second_factor", "POST", "/admin/users/{w.viewer_id}/second-factor/reset",
          ADMINS, 409),
    Route("admin.rotate_feed_token", "POST", "/admin/profile/feed-token", EVERYONE, 302),
    # No session of theirs has this id (ending their own: test_session_list.py).
    Route("admin.end_session", "POST", "/admin/profile/sessions/999999/end", EVERYONE, 404),
    # The new key is shown once, on the answer (200). Key 0 is nobody's: rotating or revoking it
    # is a 404 for whoever may reach the form (the keys themselves: tests/test_api_keys.py).
    Route("admin.create_api_key", "POST", "/admin/profile/api-keys", EVERYONE, 200,
          {"name": "Deploy bot"}),
    Route("admin.rotate_api_key", "POST", "/admin/profile/api-keys/rotate", EVERYONE, 404,
          {"key_id": "0"}),
    Route("admin.revoke_api_key", "POST", "/admin/profile/api-keys/revoke", EVERYONE, 404,
          {"key_id": "0"}),
    Route("admin.api_keys", "GET", "/admin/api-keys", ADMINS, 200),
    Route("admin.revoke_any_api_key", "POST", "/admin/api-keys/revoke", ADMINS, 404,
          {"key_id": "0"}),
    Route("admin.own_subscriptions", "POST", "/admin/profile/subscriptions", EVERYONE, 302,
          {"audience": "{w.audience_id}"}),
    Route("admin.own_chat_hook", "POST", "/admin/profile/chat-hook", EVERYONE, 302,
          {"chat_hook_kind": "teams", "chat_hook_url": "https://acme.webhook.office.com/x"}),
    Route("admin.subscribers", "GET", "/admin/subscribers", ADMINS, 200),
    Route("admin.export_subscribers", "GET", "/admin/subscribers.csv", ADMINS, 200),
    Route("admin.new_subscriber", "GET", "/admin/subscribers/new", ADMINS, 200),
    Route("admin.new_subscriber", "POST", "/admin/subscribers/new", ADMINS, 302,
          {"kind": "email", "audience": "{w.audience_id}", "address": "ops@example.com"}),
    Route("admin.subscriber", "GET", "/admin/subscribers/{w.subscriber_id}", ADMINS, 200),
    Route("admin.set_subscriber_active", "POST", "/admin/subscribers/{w.subscriber_id}/active",
          ADMINS, 302, {"active": "0"}),
    Route("admin.delete_subscriber", "POST", "/admin/subscribers/{w.subscriber_id}/delete",
          ADMINS, 302),
    Route("admin.deliveries", "GET", "/admin/deliveries", ADMINS, 200),
    Route("admin.update_deliveries", "GET", "/admin/deliveries/updates/{w.published_update_id}",
          ADMINS, 200),
    Route("admin.retry_update_deliveries", "POST",
          "/admin/deliveries/updates/{w.published_update_id}/retry", ADMINS, 302),
    Route("admin.retry_delivery", "POST", "/admin/deliveries/{w.delivery_id}/retry", ADMINS, 302),
    Route("internal.index", "GET", "/internal", EVERYONE, 200),
]  # fmt: skip
POSTS = [route for route in ROUTES if route.method == "POST"]
# Reached with a secret in the URL instead of a session: tested in test_internal.py.
TOKEN_ROUTES = {"internal.updates_feed", "internal.incident_feed"}


class Ids:
    """The World's ids plus the versions and ids the forms need, for str.format."""

    def __init__(self, world: World) -> None:
        self.__dict__.update(world.__dict__)
        self.incident_version = db.session.get(Incident, world.incident_id).version
        self.update_version = db.session.get(Update, world.update_id).version
        self.customers_id = audience("customers").id
        self.viewer_id = world.users["viewer"]
        self.commander_id = world.users["commander"]


module_world, app = shared_world(lambda: Ids(make_world()))


@pytest.fixture
def world(app: Flask, module_world: ModuleWorld[Ids]) -> Ids:
    return module_world.made


def request(client, route: Route, world: Ids, *, with_token: bool = True):
    data = route.form(world)
    if route.method == "GET":
        return client.get(route.url(world))
    if with_token:
        data["csrf_token"] = csrf_token(client)
    return client.post(route.url(world), data=data)


def test_every_console_route_is_in_the_matrix(app):
    covered = {(route.endpoint, route.method) for route in ROUTES}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("admin.", "internal.")) and rule.endpoint not in TOKEN_ROUTES
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == covered


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "route", ROUTES, ids=[f"{r.method} {r.endpoint} {r.path.split('/')[-1]}" for r in ROUTES]
)
def test_the_access_matrix(client, world, route, role):
    act_as(client, world.users.get(role))
    response = request(client, route, world)
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif role in route.allowed:
        assert response.status_code == route.ok, response.get_data(as_text=True)[:2000]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("route", POSTS, ids=[f"{r.endpoint} {r.path}" for r in POSTS])
def test_every_post_without_a_csrf_token_is_refused(client, world, route):
    act_as(client, world.users["admin"])
    response = request(client, route, world, with_token=False)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


GETS = [route for route in ROUTES if route.method == "GET"]


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_people_signed_in_by_the_provider_reach_what_their_role_may(app, client, world, role):
    """The console's people, signed in through the OpenID provider where every role would
    otherwise need our second factor: the provider's groups give the role, and the role decides."""
    app.config["SECOND_FACTOR_ROLES"] = frozenset(Role)
    with app.app_context():
        email = db.session.get(User, world.users[role]).email
    with forging_provider() as provider:
        provider.accounts[role] = {**provider.accounts[role], "email": email}
        app.config["SSO_PROVIDER"] = provider_settings(provider.issuer, OIDC_CREATE_ACCOUNTS=False)
        location = provider.authorize(begin(client), role)
        assert client.get(callback_path(location)).status_code == 302
    answers = {route.url(world): request(client, route, world).status_code for route in GETS}
    expected = {route.url(world): route.ok if role in route.allowed else 403 for route in GETS}
    assert answers == expected
