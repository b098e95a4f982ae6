"""Issue 10: every page passes the Nu HTML Checker (no error) and axe-core (no violation).

The demo organisation is loaded once, on a fixed instant, into a database of this module's own,
and served by the app on 127.0.0.1 (werkzeug in a thread, so the app's clock can be held still).
Every public page (an open and a resolved incident, maintenance, two months of history, the
subscription pages with good and bad links, the error pages, the sign-in page) and every console
page an admin can open (every GET route of `admin.` and `internal.`, and the pages a form shows
again with its errors or a conflict) is fetched once. The Nu HTML Checker reads them all in one
JVM run; axe-core then looks at each in chromium, given the same bytes with the real stylesheet,
in the light and the dark colour scheme and at a phone's width.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from statuspage import create_app
from statuspage.core.addresses import CONFIRM_PATH, MANAGE_PATH, UNSUBSCRIBE_PATH
from statuspage.core.clock import pinned
from statuspage.core.site import Site
from statuspage.core.tokens import InvitationTokens, SubscriptionTokens
from statuspage.demo import OPEN_INCIDENT, seed_demo
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    CadenceAlert,
    CadenceAlertRecipient,
    Component,
    ComponentGroup,
    Delivery,
    Incident,
    IncidentStatus,
    IntegrationKind,
    IntegrationMode,
    MessageTemplate,
    Role,
    Subscriber,
    SubscriberKind,
    Update,
    UpdateState,
    User,
)
from statuspage.services import accounts, subscriptions
from statuspage.services.alerts import handling, integrations, payloads
from statuspage.services.branding import settings as branding
from statuspage.services.cadence.alerts import send_cadence_alerts
from statuspage.services.defaults import ensure_defaults
from statuspage.services.identity import invitations
from statuspage.services.incidents import attachments, edits, windows, writeup
from statuspage.services.incidents.maintenance import plan_maintenance
from statuspage.services.outbox.webhooks import parse_networks
from tests.brand_files import BRAND
from tests.browser import skip_or_fail
from tests.databases import fresh_database_url
from tests.factories import NOW as FACTORIES_NOW
from tests.factories import make_incident, make_png, make_published
from tests.helpers import TEST_SECRET_KEY, csrf_token_from, settings_for
from tests.public_world import POSTMORTEM
from tests.validators import (
    MODES,
    axe_violations,
    install_axe,
    look_as,
    missing_validators,
    nu_errors,
)

# make test (--dist loadscope) runs the whole module on one worker, so the demo and the JVM start
# once; the browser is the session's.
pytestmark = pytest.mark.slow

# The instant the demo is built on and the server's clock stays at. Times written by the app carry
# microseconds, so this one does too.
NOW = FACTORIES_NOW + timedelta(seconds=7, microseconds=654321)
ADMIN_EMAIL = "admin@example.com"
# The demo's customer liaison: the console sets apart the audiences she may not write to.
LIAISON_EMAIL = "priya.shah@example.com"
PASSWORD = "correct horse battery staple"
SIGN_IN = {"admin": ADMIN_EMAIL, "liaison": LIAISON_EMAIL}
# The sign-in page offers single sign-on too (the provider is never asked: no page goes there).
SINGLE_SIGN_ON = {
    "OIDC_ISSUER": "https://id.example.com",
    "OIDC_CLIENT_ID": "statuspage",
    "OIDC_CLIENT_SECRET": "not-used-here",
    "OIDC_NAME": "Example ID",
}
# What the tests break on purpose, to show each validator would catch a single new error.
DELIBERATE = "login page with an image missing its text alternative"


@dataclass(frozen=True)
class Page:
    """A page to check: where it is, who asks (anonymous, admin or liaison), what it must answer.

    `path` and the form's values are formatted with the world's ids (`{w.incident}`). A page with a
    `form` is the answer to POSTing it, with the CSRF token of the page at `form_page`; with
    `follow`, the page its answer redirects to. A `language` other than English is fetched after
    the others, with the app switched to it (STATUSPAGE_LANGUAGE).
    """

    name: str
    path: str
    status: int = 200
    who: str = "anonymous"
    form: dict[str, str] | None = None
    form_page: str | None = None
    follow: bool = False
    language: str = "en"


PUBLIC = [
    Page("status page", "/"),
    Page("open incident", "/incidents/{w.open_incident}"),
    Page("resolved incident", "/incidents/{w.resolved_incident}"),
    Page("upcoming maintenance", "/incidents/{w.upcoming_maintenance}"),
    Page("completed maintenance", "/incidents/{w.completed_maintenance}"),
    Page("cancelled maintenance", "/incidents/{w.cancelled_maintenance}"),
    Page("history page 1", "/history"),
    Page("history page 2", "/history?page=2"),
    Page("webhook documentation", "/docs/webhooks"),
    Page("management API reference", "/api/v1/docs"),
    Page("subscribe", "/subscribe"),
    Page("subscribe with a bad address", "/subscribe", 422, form={"email": "not an address"},
         form_page="/subscribe"),
    Page("subscription requested", "/subscribe", form={"email": "reader@example.com"},
         form_page="/subscribe"),
    Page("subscribe a chat channel with a bad URL", "/subscribe/chat", 422,
         form={"channel": "slack", "hook_url": "https://evil.example/hook"},
         form_page="/subscribe"),
    Page("chat subscription requested", "/subscribe/chat",
         form={"channel": "teams", "hook_url": "https://acme.webhook.office.com/webhookb2/x"},
         form_page="/subscribe"),
    Page("subscribe to one incident", "/subscribe?incident={w.open_incident}"),
    Page("subscribe to a resolved incident", "/subscribe?incident={w.resolved_incident}"),
    Page("subscribe to an unknown incident", "/subscribe?incident=999999", 404),
    Page("incident subscription requested", "/subscribe",
         form={"email": "follower@example.com", "incident": "{w.open_incident}"},
         form_page="/subscribe?incident={w.open_incident}"),
    Page("confirm subscription", CONFIRM_PATH + "{w.confirm_token}"),
    Page("subscription confirmed", CONFIRM_PATH + "{w.confirm_token}", form={},
         form_page=CONFIRM_PATH + "{w.confirm_token}"),
    Page("confirm with a used link", CONFIRM_PATH + "{w.confirm_token}"),
    Page("confirm with a forged link", CONFIRM_PATH + "forged", 400),
    Page("manage subscription", MANAGE_PATH + "{w.manage_token}"),
    Page("manage subscription saved", MANAGE_PATH + "{w.manage_token}",
         form={"components": "{w.component}"}, form_page=MANAGE_PATH + "{w.manage_token}"),
    Page("manage with a forged link", MANAGE_PATH + "forged", 400),
    Page("manage following one incident", MANAGE_PATH + "{w.follower_token}"),
    Page("unsubscribe", UNSUBSCRIBE_PATH + "{w.leaving_token}"),
    Page("unsubscribed", UNSUBSCRIBE_PATH + "{w.leaving_token}", form={}),
    Page("manage after unsubscribing", MANAGE_PATH + "{w.leaving_token}"),
    Page("unsubscribe with a forged link", UNSUBSCRIBE_PATH + "forged", 400),
    Page("not found", "/no-such-page", 404),
    Page("incident not found", "/incidents/999999", 404),
    Page("invitation", "/invitations/{w.invitation}"),
    Page("invitation link not valid", "/invitations/not-a-token", 400),
    Page("history of one component", "/history?component={w.component}"),
    Page("history of no such component", "/history?component=999999", 404),
    Page("bad history page", "/history?page=x", 422),
    Page("method not allowed", "/", 405, form={}),
    Page("console page not found", "/admin/incidents/999999", 404, who="admin"),
    Page("form without its security token", "/subscribe", 400, form={"email": "a@example.com"}),
    Page("sign in", "/login"),
    Page("sign in with a wrong password", "/login", 401,
         form={"email": ADMIN_EMAIL, "password": "wrong"}, form_page="/login"),
    Page("single sign-on answer to no sign-in", "/login/sso/callback?code=c&state=s", 401),
]  # fmt: skip


def console(name: str, path: str, status: int = 200, *, who: str = "admin") -> Page:
    """A console page as the admin (or `who`) sees it."""
    return Page(name, path, status, who=who)


def posted(
    name: str,
    form_page: str,
    form: dict[str, str],
    status: int,
    to: str | None = None,
    *,
    follow: bool = False,
) -> Page:
    """What the console answers to this form, posted from `form_page` (to `to`, or back to it)."""
    return Page(name, to or form_page, status, "admin", form, form_page, follow)


INCIDENT = "/admin/incidents/{w.open_incident}"
EDIT_WINDOW = "/admin/maintenance/{w.upcoming_maintenance}/edit"
CONSOLE = [
    console("dashboard", "/admin/"),
    console("incidents", "/admin/incidents"),
    console("declare", "/admin/incidents/new"),
    posted("declare without a title", "/admin/incidents/new", {"title": "", "severity": "SEV2"},
           422),
    console("incident", INCIDENT),
    console("resolved incident in the console", "/admin/incidents/{w.resolved_incident}"),
    console("maintenance in the console", "/admin/incidents/{w.upcoming_maintenance}"),
    posted("incident details saved by someone else", INCIDENT,
           {"title": "Renamed", "version": "0", "loaded_at": "2000-01-01T00:00:00+00:00"}, 409,
           to=INCIDENT + "/details"),
    console("compose", INCIDENT + "/compose"),
    console("compose as a liaison", INCIDENT + "/compose", who="liaison"),
    console("dashboard as a liaison", "/admin/", who="liaison"),
    posted("compose with a bad promise", INCIDENT + "/compose",
           {"status": "identified", "action": "save", "audience-{w.customers}-send": "on",
            "audience-{w.customers}-promise": "tomorrow"}, 422),
    posted("compose saved by someone else", INCIDENT + "/compose",
           {"status": "identified", "action": "save", "audience-{w.customers}-send": "on",
            "version": "0"}, 409),
    console("draft", "/admin/updates/{w.draft}"),
    posted("draft without a title", "/admin/updates/{w.draft}",
           {"title": "", "body": "", "action": "save", "version": "{w.draft_version}"}, 422),
    posted("draft saved by someone else", "/admin/updates/{w.draft}",
           {"title": "Mine", "body": "My text", "action": "save", "version": "0"}, 409),
    console("timeline", INCIDENT + "/timeline"),
    console("timeline, every row", INCIDENT + "/timeline?all=1"),
    posted("timeline with a note just added", INCIDENT + "/timeline", {"text": "Rolled back"},
           200, to=INCIDENT + "/notes", follow=True),
    posted("timeline with a note dated in the future", INCIDENT + "/timeline",
           {"text": "Later", "note_type": "decision", "at": "2099-01-01T00:00"}, 422,
           to=INCIDENT + "/notes"),
    console("postmortem", INCIDENT + "/postmortem"),
    posted("postmortem without a text", INCIDENT + "/postmortem", {"body": ""}, 422),
    posted("postmortem of an open incident", INCIDENT + "/postmortem",
           {}, 422, to=INCIDENT + "/postmortem/publish"),
    console("maintenance", "/admin/maintenance"),
    console("schedule maintenance", "/admin/maintenance/new"),
    posted("schedule maintenance without a time", "/admin/maintenance/new", {"title": "Upgrade"},
           422),
    console("edit maintenance", EDIT_WINDOW),
    posted("reschedule maintenance to end before it starts", EDIT_WINDOW,
           {"title": "Search cluster upgrade", "scheduled_for": "2099-01-01 10:00",
            "scheduled_until": "2099-01-01 09:00"}, 422),
    posted("cancel maintenance, asked first", EDIT_WINDOW, {"note": "Not needed."}, 200,
           to="/admin/maintenance/{w.upcoming_maintenance}/cancel"),
    console("templates", "/admin/templates"),
    console("template", "/admin/templates/{w.template}"),
    posted("template that does not render", "/admin/templates/{w.template}",
           {"title": "{{{{ incident.title", "body": "We are on it."}, 422),
    console("audiences", "/admin/audiences"),
    console("new audience", "/admin/audiences/new"),
    console("audience", "/admin/audiences/{w.audience}"),
    posted("audience without a name", "/admin/audiences/{w.audience}",
           {"name": "", "liaison_role": "internal_liaison", "position": "2"}, 422),
    console("cadence policies", "/admin/cadence"),
    console("cadence policy", "/admin/cadence/{w.audience}"),
    posted("cadence policy with bad numbers", "/admin/cadence/{w.audience}",
           {"policies-0-is_owed": "y", "policies-0-update_interval": "-5",
            "late_notice": "{{{{ oops"}, 422),
    console("cadence report", "/admin/reports/cadence"),
    console("branding", "/admin/branding"),
    posted("branding with a faint accent and a script link", "/admin/branding",
           {"accent_light": "#dddddd", "privacy_url": "javascript:alert(1)"}, 422),
    console("components", "/admin/components"),
    console("new component", "/admin/components/new"),
    console("component", "/admin/components/{w.component}"),
    posted("component without a name", "/admin/components/{w.component}",
           {"name": "", "group_id": "0", "visibility": "public"}, 422),
    console("new group", "/admin/groups/new"),
    console("group", "/admin/groups/{w.group}"),
    posted("group without a name", "/admin/groups/{w.group}",
           {"name": "", "visibility": "public"}, 422),
    console("integrations", "/admin/integrations"),
    console("new integration", "/admin/integrations/new"),
    posted("new integration created", "/admin/integrations/new",
           {"kind": "alertmanager", "name": "Alertmanager", "mode": "automate",
            "holddown_seconds": "120", "commander_id": "0", "active": "y"}, 200),
    console("integration", "/admin/integrations/{w.integration}"),
    posted("integration with a rule naming no component", "/admin/integrations/{w.integration}",
           {"name": "Prometheus", "mode": "draft", "rules": "service=x -> Nowhere",
            "holddown_seconds": "120", "commander_id": "0"}, 422),
    console("users", "/admin/users"),
    console("new user", "/admin/users/new"),
    posted("new user with a bad address", "/admin/users/new",
           {"email": "nobody", "role": "viewer"}, 422),
    posted("new user invited", "/admin/users/new",
           {"email": "new@example.com", "name": "New", "role": "viewer"}, 200, follow=True),
    console("user", "/admin/users/{w.user}"),
    posted("password reset", "/admin/users/{w.user}", {}, 200,
           to="/admin/users/{w.user}/password", follow=True),
    console("audit", "/admin/audit"),
    console("profile", "/admin/profile"),
    posted("API key made", "/admin/profile", {"name": "Deploy bot"}, 200,
           to="/admin/profile/api-keys"),
    console("API keys", "/admin/api-keys"),
    console("second factor set-up", "/admin/profile/second-factor"),
    posted("second factor with a wrong code", "/admin/profile/second-factor", {"code": "000000"},
           422),
    console("subscribers", "/admin/subscribers"),
    console("new subscriber", "/admin/subscribers/new"),
    posted("new subscriber with a bad address", "/admin/subscribers/new",
           {"kind": "email", "audience": "{w.audience}", "address": "nobody"}, 422),
    console("email subscriber", "/admin/subscribers/{w.email_subscriber}"),
    console("webhook subscriber", "/admin/subscribers/{w.webhook_subscriber}"),
    console("deliveries", "/admin/deliveries"),
    console("deliveries of an update", "/admin/deliveries/updates/{w.published_update}"),
    console("internal status", "/internal"),
]  # fmt: skip
# The public pages in German (lang="de"): one of each kind.
GERMAN = [
    Page("status page in German", "/", language="de"),
    Page("resolved incident in German", "/incidents/{w.resolved_incident}", language="de"),
    Page("history in German", "/history", language="de"),
    Page("subscribe page in German", "/subscribe", language="de"),
    Page("not found in German", "/no-such-page", 404, language="de"),
]
PAGES = PUBLIC + CONSOLE + GERMAN
# Console GET routes that answer something other than HTML (checked to be so below).
NOT_HTML = {
    "admin.postmortem": "/admin/incidents/{w.open_incident}/postmortem.md",
    "admin.cadence_report_csv": "/admin/reports/cadence.csv",
    "admin.export_subscribers": "/admin/subscribers.csv",
    "admin.second_factor_qr": "/admin/profile/second-factor/qr.svg",
    "admin.screenshot": "/admin/incidents/{w.open_incident}/screenshots/{w.screenshot}",
}
# Reached with a secret in the URL, and feeds rather than pages.
TOKEN_ROUTES = {"internal.updates_feed", "internal.incident_feed"}


@dataclass(frozen=True)
class World:
    """Ids and links of the demo, for the pages' paths and forms."""

    open_incident: int
    resolved_incident: int
    upcoming_maintenance: int
    completed_maintenance: int
    cancelled_maintenance: int
    draft: int
    draft_version: int
    published_update: int
    customers: int
    audience: int
    template: int
    component: int
    group: int
    user: int
    email_subscriber: int
    webhook_subscriber: int
    confirm_token: str
    manage_token: str
    leaving_token: str
    screenshot: int
    invitation: str
    follower_token: str
    integration: int

    def fill(self, text: str) -> str:
        return text.format(w=self)


def build_world(app: Flask) -> World:
    """The demo organisation on the fixed instant, plus an admin, subscribers and a cadence alert."""
    site = Site.from_config(app.config)
    with app.app_context():
        db.create_all()
        ensure_defaults(now=NOW - timedelta(days=120))
        admin = accounts.create_user(
            ADMIN_EMAIL, name="Admin", role=Role.ADMIN, password=PASSWORD, now=NOW
        )
        customers = _one(Audience, Audience.slug == "customers")
        staff = _one(Audience, Audience.slug == "staff")

        def subscriber(kind: SubscriberKind, address: str, audience: Audience) -> Any:
            return subscriptions.add_subscriber(
                kind=kind,
                audience=audience,
                address=address,
                name=None,
                component_ids=[],
                by=admin,
                now=NOW - timedelta(days=100),
                allowed_networks=parse_networks("127.0.0.0/8"),
            )

        # Subscribed before the demo's incidents, so publishing them queues deliveries.
        email = subscriber(SubscriberKind.EMAIL, "exec-list@example.com", staff)
        webhook = subscriber(SubscriberKind.WEBHOOK, "http://127.0.0.1:9/hook", customers)
        waiting = subscriber(SubscriberKind.EMAIL, "waiting@example.com", customers)
        staying = subscriber(SubscriberKind.EMAIL, "staying@example.com", customers)
        leaving = subscriber(SubscriberKind.EMAIL, "leaving@example.com", customers)
        for confirmed in (staying, leaving):
            subscriptions.confirm_subscription(
                confirmed.id, confirmed.confirm_nonce, now=NOW - timedelta(days=100)
            )
        seed_demo(now=NOW, site=site)
        # The demo's history is 60 days; one incident five months back gives it a second page.
        old = make_incident(title="Login slow", now=NOW - timedelta(days=150))
        make_published(old, body="Sign-in took up to a minute.", now=old.started_at)
        make_published(old, status=IncidentStatus.RESOLVED, now=old.started_at + timedelta(hours=1))
        accounts.set_password(_one(User, User.email == LIAISON_EMAIL), PASSWORD)
        resolved = _one(Incident, Incident.title == "Delayed webhook deliveries")
        writeup.save_postmortem(resolved, POSTMORTEM, by=admin, now=NOW)
        writeup.publish_postmortem(resolved, by=admin, now=NOW)
        _alert(admin, site)
        tokens = SubscriptionTokens(TEST_SECRET_KEY)
        open_incident = _one(Incident, Incident.title == OPEN_INCIDENT)
        invited = invitations.invite(
            "invited@example.com",
            name="Ivy",
            role=Role.LIAISON,
            by=admin,
            site=site,
            tokens=InvitationTokens(TEST_SECRET_KEY),
            valid_hours=10_000,
            now=NOW,
        )
        # A note with a screenshot, so the timeline shows one and the image route is checked.
        note = edits.add_note(open_incident, "Latency graph at the peak.", by=admin, now=NOW)
        [screenshot] = attachments.attach_screenshots(
            note, [attachments.Upload("latency.png", make_png())], now=NOW
        )
        draft = _one(
            Update, Update.incident_id == open_incident.id, Update.state != UpdateState.PUBLISHED
        )
        cancelled = _cancelled_window(admin, customers, site)
        # Branded, so every public page is checked with a logo, accents and footer links.
        branding.save_branding(BRAND, by=admin, now=NOW)
        world = World(
            open_incident=open_incident.id,
            cancelled_maintenance=cancelled.id,
            resolved_incident=_one(Incident, Incident.title == "Delayed webhook deliveries").id,
            upcoming_maintenance=_one(Incident, Incident.title == "Search cluster upgrade").id,
            completed_maintenance=_one(Incident, Incident.title == "Network provider migration").id,
            draft=draft.id,
            draft_version=draft.version,
            published_update=db.session.scalar(
                sa.select(Delivery.update_id).where(Delivery.update_id.is_not(None)).limit(1)
            ),
            customers=customers.id,
            audience=staff.id,
            template=db.session.scalars(sa.select(MessageTemplate.id)).first(),
            component=_one(Component, Component.name == "API").id,
            group=_one(ComponentGroup, ComponentGroup.name == "Core platform").id,
            user=_one(User, User.email == "ana.costa@example.com").id,
            email_subscriber=email.id,
            webhook_subscriber=webhook.id,
            confirm_token=tokens.confirmation(waiting.id, waiting.confirm_nonce),
            manage_token=tokens.manage(staying.id, staying.token_key),
            leaving_token=tokens.manage(leaving.id, leaving.token_key),
            screenshot=screenshot.id,
            invitation=InvitationTokens(TEST_SECRET_KEY).invitation(
                invited.id, invited.session_generation
            ),
            follower_token=_follower_token(open_incident, tokens),
            integration=_integration_with_an_alert(admin, site),
        )
        db.session.commit()
        db.engine.dispose()
    return world


def _cancelled_window(admin: User, customers: Audience, site: Site) -> Incident:
    """A window announced to customers, then called off."""
    starts = NOW + timedelta(days=5)
    window = plan_maintenance(
        title="Storage firmware update",
        scheduled_for=starts,
        scheduled_until=starts + timedelta(hours=2),
        components=[_one(Component, Component.name == "API")],
        messages={customers: ""},
        site=site,
        by=admin,
        now=NOW - timedelta(days=1),
    )
    return windows.cancel_window(
        window, note="The vendor withdrew the firmware.", site=site, by=admin,
        now=NOW - timedelta(hours=2),
    )  # fmt: skip


def _follower_token(incident: Incident, tokens: SubscriptionTokens) -> str:
    """The manage token of a confirmed address that follows the one incident."""
    subscriptions.request_subscription(
        "follower@example.org", [], now=NOW, emails_per_day=5, incident_id=incident.id
    )
    follower = _one(Subscriber, Subscriber.address == "follower@example.org")
    subscriptions.confirm_subscription(follower.id, follower.confirm_nonce, now=NOW)
    return tokens.manage(follower.id, follower.token_key)


def _integration_with_an_alert(admin: User, site: Site) -> int:
    """A draft-mode integration whose one alert opened an incident, for the alert tables."""
    settings = integrations.Settings(name="Prometheus", mode=IntegrationMode.DRAFT, commander=admin)
    integration, _ = integrations.create_integration(
        IntegrationKind.ALERTMANAGER, settings, key=TEST_SECRET_KEY, by=admin, now=NOW
    )
    alert = payloads.Alert("a1b2c3", True, {"component": "API"}, "API error rate above 5%")
    handling.receive(integration, [alert], site=site, now=NOW)
    return integration.id


def _one(model: type, *where: Any) -> Any:
    return db.session.scalars(sa.select(model).where(*where).limit(1)).one()


def _alert(admin: User, site: Site) -> None:
    """Put the cadence alerts due at the fixed instant in the admin's console banner too."""
    send_cadence_alerts(now=NOW, site=site)
    for alert_id in db.session.scalars(sa.select(CadenceAlert.id)):
        db.session.add(
            CadenceAlertRecipient(alert_id=alert_id, user_id=admin.id, duty=None, created_at=NOW)
        )


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class LocalServer:
    """The app served on 127.0.0.1 by werkzeug in a thread of this process."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@dataclass
class Capture:
    """A page as the server answered it."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def is_html(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/html")


@dataclass
class Checked:
    """Everything fetched, what the Nu HTML Checker said, and the browser tab axe-core runs in."""

    world: World
    captures: dict[str, Capture]
    nu: dict[str, list[str]]
    tab: Any
    not_html: dict[str, Capture] = field(default_factory=dict)


def fetch(requests: Any, page: Page, world: World) -> Capture:
    """GET the page, or POST its form with the CSRF token of the form's page."""
    path = world.fill(page.path)
    if page.form is None:
        answer = requests.get(path, max_redirects=0)
    else:
        data = {world.fill(key): world.fill(value) for key, value in page.form.items()}
        if page.form_page is not None:
            form_page = requests.get(world.fill(page.form_page)).text()
            data["csrf_token"] = csrf_token_from(form_page)
        answer = requests.post(path, form=data, max_redirects=1 if page.follow else 0)
    headers = {
        name: value
        for name, value in answer.headers.items()
        if name not in {"content-encoding", "content-length", "transfer-encoding"}
    }
    return Capture(answer.url, answer.status, headers, answer.body())


@pytest.fixture(scope="module")
def checked(
    browser: Any, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Checked]:
    # `browser` is the session's chromium (tests/e2e/conftest.py): one Playwright per process.
    reason = missing_validators()
    if reason:
        skip_or_fail(reason)
    url = fresh_database_url(f"statuspage_html_{worker_id}", tmp_path_factory.mktemp("html-db"))
    app = create_app(settings_for(url, SUBSCRIBE_RATE_LIMIT="1000 per minute", **SINGLE_SIGN_ON))
    server = LocalServer(app)
    try:
        # Built, signed and served at NOW: the demo's open incident open, its promise due, its
        # links fresh (a module fixture runs outside the per-test pin).
        with pinned(NOW):
            world = build_world(app)
            captures, not_html = _fetch_everything(browser, server.url, world)
            captures |= _fetch_in_german(browser, server.url, world, app)
        documents = {name: capture.body for name, capture in captures.items() if capture.is_html}
        nu = nu_errors(documents, tmp_path_factory.mktemp("vnu"))
        # What axe-core looks at needs only the server's static files: the clock is free again.
        context = browser.new_context(timezone_id="UTC")
        install_axe(context)
        yield Checked(world, captures, nu, context.new_page(), not_html)
        context.close()
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


def _fetch_everything(
    browser: Any, base_url: str, world: World
) -> tuple[dict[str, Capture], dict[str, Capture]]:
    """Every page as its reader gets it (and the page made broken on purpose), and the console
    routes that answer something other than HTML."""
    contexts = {who: browser.new_context(base_url=base_url) for who in ("anonymous", *SIGN_IN)}
    try:
        for who, email in SIGN_IN.items():
            _sign_in(contexts[who].request, email)
        captures = {
            page.name: fetch(contexts[page.who].request, page, world)
            for page in PAGES
            if page.language == "en"
        }
        captures[DELIBERATE] = _with_deliberate_error(captures["sign in"])
        not_html = {
            endpoint: fetch(contexts["admin"].request, Page(endpoint, path), world)
            for endpoint, path in NOT_HTML.items()
        }
    finally:
        for context in contexts.values():
            context.close()
    return captures, not_html


def _fetch_in_german(browser: Any, base_url: str, world: World, app: Flask) -> dict[str, Capture]:
    """The German pages, from the same app switched to German (its public cache emptied)."""
    app.config["LANGUAGE"] = "de"
    app.extensions["public_cache"].clear()
    context = browser.new_context(base_url=base_url)
    try:
        return {page.name: fetch(context.request, page, world) for page in GERMAN}
    finally:
        context.close()
        app.config["LANGUAGE"] = "en"
        app.extensions["public_cache"].clear()


def _sign_in(requests: Any, email: str) -> None:
    """Sign in through the sign-in form; the client keeps the session cookie."""
    token = csrf_token_from(requests.get("/login").text())
    answer = requests.post(
        "/login",
        form={"email": email, "password": PASSWORD, "csrf_token": token},
        max_redirects=0,
    )
    assert answer.status == 302, answer.text()


def _with_deliberate_error(capture: Capture) -> Capture:
    # An image without a text alternative at the top of the main content: one error for each.
    body = re.sub(
        rb'(<main id="main"[^>]*>)', rb'\1<img src="/static/img/favicon.svg">', capture.body
    )
    assert body != capture.body
    return Capture(capture.url, capture.status, capture.headers, body)


def show(tab: Any, capture: Capture) -> None:
    """Load the captured bytes at their own address: the stylesheet and scripts come from the
    server, so the browser sees what a reader would, and exactly what the Nu HTML Checker read."""
    pattern = re.compile("^" + re.escape(capture.url) + "$")

    def answer(route: Any) -> None:
        route.fulfill(status=capture.status, headers=capture.headers, body=capture.body)

    tab.route(pattern, answer)
    try:
        tab.goto(capture.url, wait_until="load")
    finally:
        tab.unroute(pattern, answer)


def axe_report(checked: Checked, name: str) -> dict[str, list[str]]:
    """axe-core's violations on a captured page in each mode (light, dark, phone)."""
    show(checked.tab, checked.captures[name])
    found = {}
    for mode in MODES:
        look_as(checked.tab, mode)
        found[mode.name] = axe_violations(checked.tab)
    return found


def _ids(pages: list[Page]) -> list[str]:
    return [page.name for page in pages]


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_the_nu_html_checker_finds_no_error(checked: Checked, page: Page) -> None:
    capture = checked.captures[page.name]
    assert capture.status == page.status, capture.body[:2000]
    assert capture.is_html, capture.headers
    errors = checked.nu[page.name]
    assert not errors, f"{len(errors)} errors on {capture.url}:\n" + "\n".join(errors)


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_axe_finds_no_violation(checked: Checked, page: Page) -> None:
    report = axe_report(checked, page.name)
    found = {mode: violations for mode, violations in report.items() if violations}
    assert not found, f"axe-core on {checked.captures[page.name].url}:\n" + "\n".join(
        f"[{mode}] {violation}" for mode, violations in found.items() for violation in violations
    )


def test_each_validator_catches_a_single_new_error(checked: Checked) -> None:
    assert checked.nu["sign in"] == []
    assert len(checked.nu[DELIBERATE]) == 1, checked.nu[DELIBERATE]
    assert "alt" in checked.nu[DELIBERATE][0]
    report = axe_report(checked, DELIBERATE)
    for mode in MODES:
        assert len(report[mode.name]) == 1, report[mode.name]
        assert report[mode.name][0].startswith("image-alt "), report[mode.name]


def test_every_console_page_is_in_the_list() -> None:
    # A new console page is checked from the day it is added, or this fails.
    url_map = create_app(settings_for("sqlite://")).url_map
    adapter = url_map.bind("localhost")
    listed = {
        adapter.match(page.path.split("?")[0].format(w=_ANY_IDS), method="GET")[0]
        for page in PAGES
        if page.who != "anonymous" and page.form is None
    }
    console_pages = {
        rule.endpoint
        for rule in url_map.iter_rules()
        if rule.endpoint.startswith(("admin.", "internal."))
        and "GET" in rule.methods
        and rule.endpoint not in TOKEN_ROUTES
    }
    assert console_pages - set(NOT_HTML) == listed


def test_the_console_routes_left_out_answer_no_html(checked: Checked) -> None:
    for endpoint, capture in checked.not_html.items():
        assert capture.status == 200 and not capture.is_html, (endpoint, capture.headers)


class _AnyIds:
    """Stands in for the world where only the shape of a path matters: every id is 1."""

    def __getattr__(self, name: str) -> int:
        return 1


_ANY_IDS = _AnyIds()


def test_the_german_pages_say_they_are_german(checked: Checked) -> None:
    for page in GERMAN:
        assert b'<html lang="de"' in checked.captures[page.name].body, page.name
