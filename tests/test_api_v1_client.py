"""Acceptance: a published Statuspage client (crunch-statuspageio 0.7 from PyPI), unchanged but for
its base URL, drives a whole incident and a maintenance against the app served as shipped on
127.0.0.1; the public page, the v2 JSON, the feeds and the webhooks show each step. And a key
revoked on one app instance stops at once on another over the same database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import statuspageio
from statuspageio.errors import RequestError

from statuspage.core.clock import utcnow
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import Role, SubscriberKind
from statuspage.services.api import keys
from statuspage.services.defaults import ensure_defaults
from statuspage.services.public.api import page_id
from tests.factories import make_subscriber, make_user
from tests.outbox import deliver
from tests.processes import start_web

pytestmark = pytest.mark.slow
SETTINGS = {"BASE_URL": "http://status.test", "PUBLIC_VERSION_CHECK_SECONDS": "0",
            "API_RATE_LIMIT": "1000 per minute", "PAGE_NAME": "Acme Status"}  # fmt: skip


@pytest.fixture
def prepared(app, webhook_receiver):
    """A commander with a key, and a webhook subscribed to the customers audience."""
    with app.app_context():
        ensure_defaults(now=utcnow())
        user = make_user(Role.ADMIN, name="Ops Bot")
        key = keys.create_key(user, name="pipeline", by=user, now=utcnow())[1]
        make_subscriber(webhook_receiver.url, "customers", kind=SubscriberKind.WEBHOOK)
        page = page_id(current_site())
        db.session.commit()
    return key, page


class Watch:
    """What the public surfaces and the webhook receiver show, after the outbox has run."""

    def __init__(self, app, server, receiver) -> None:
        self.app, self.server, self.receiver = app, server, receiver
        self.seen = 0

    def text(self, path: str) -> str:
        status, _, body = self.server.get(path)
        assert status == 200, path
        return body.decode()

    def shows(self, words: str) -> None:
        for path in ("/", "/api/v2/incidents.json", "/history.atom"):
            assert words in self.text(path), (path, words)

    def hooked(self) -> list[dict]:
        deliver(self.app)
        posts = [json.loads(r.body) for r in self.receiver.accepted()]
        new, self.seen = posts[self.seen :], len(posts)
        return new


def test_a_statuspage_client_drives_a_whole_incident(app, database_url, prepared, webhook_receiver):
    key, page = prepared
    server = start_web(database_url, workers=1, **SETTINGS)
    client = statuspageio.Client(api_key=key, page_id=page, base_url=server.url + "/api")
    watch = Watch(app, server, webhook_receiver)

    api = client.components.create(name="API", description="The public API", status="operational")
    web = client.components.create(name="Website")
    assert {c.name for c in client.components.list()} == {"API", "Website"}

    # The client leaves `components` out of create(); its own HTTP client sends it as is.
    _, _, incident = client.http_client.post(
        f"/pages/{page}/incidents.json",
        container="incident",
        body={"name": "Checkout errors", "status": "investigating", "impact_override": "minor",
              "body": "Some payments fail.", "component_ids": [api.id, web.id],
              "components": {api.id: "major_outage", web.id: "degraded_performance"}},
    )  # fmt: skip
    assert incident.status == "investigating"
    watch.shows("Some payments fail.")
    summary = json.loads(watch.text("/api/v2/summary.json"))
    assert {c["name"]: c["status"] for c in summary["components"]} == {
        "API": "major_outage", "Website": "degraded_performance"}  # fmt: skip
    assert any(h.get("incident", {}).get("name") == "Checkout errors" for h in watch.hooked())

    client.incidents.update(incident.id, status="identified", body="A bad deploy; rolling back.")
    watch.shows("A bad deploy; rolling back.")
    client.incidents.update(incident.id, status="monitoring", body="Rolled back; watching.")
    watch.shows("Rolled back; watching.")
    assert len(watch.hooked()) >= 2
    assert [i.id for i in client.incidents.list_unresolved()] == [incident.id]

    client.http_client.patch(
        f"/pages/{page}/incidents/{incident.id}.json", container="incident",
        body={"status": "resolved", "body": "Payments work again.",
              "components": {api.id: "operational", web.id: "operational"}},
    )  # fmt: skip
    watch.shows("Payments work again.")
    assert json.loads(watch.text("/api/v2/status.json"))["status"]["indicator"] == "none"
    assert client.incidents.list_unresolved() == []
    assert [i.status for i in client.incidents.list(q="checkout")] == ["resolved"]
    assert any(h["incident"]["status"] == "resolved" for h in watch.hooked() if "incident" in h)

    starts = datetime.now(UTC) + timedelta(hours=3)
    window = client.incidents.create_scheduled(
        name="Database upgrade", status="scheduled", body="Read-only for an hour.",
        scheduled_for=starts.isoformat(), scheduled_until=(starts + timedelta(hours=1)).isoformat(),
        scheduled_auto_in_progress=True, scheduled_auto_completed=True, component_ids=[api.id],
    )  # fmt: skip
    assert [w.id for w in client.incidents.list_upcoming()] == [window.id]
    assert "Database upgrade" in watch.text("/api/v2/scheduled-maintenances/upcoming.json")
    client.incidents.update(window.id, status="in_progress")
    assert [w.id for w in client.incidents.list_active_maintenance()] == [window.id]
    client.incidents.update(window.id, status="completed")
    assert client.incidents.list_active_maintenance() == []
    assert "Database upgrade" not in watch.text("/api/v2/scheduled-maintenances/active.json")

    subscriber = client.subscribers.create(email="reader@example.com")
    assert [s.email for s in client.subscribers.list() if s.mode == "email"] == [subscriber.email]
    assert client.subscribers.delete(subscriber.id) == 200
    assert [s.mode for s in client.subscribers.list()] == ["webhook"]


def test_a_revoked_key_stops_at_once_on_every_instance(app, database_url, prepared):
    key, page = prepared
    first = start_web(database_url, workers=1, **SETTINGS)
    second = start_web(database_url, workers=1, **SETTINGS)
    clients = [
        statuspageio.Client(api_key=key, page_id=page, base_url=server.url + "/api")
        for server in (first, second)
    ]
    for client in clients:
        assert client.pages.get().id == page
    with app.app_context():
        for api_key in keys.all_keys():
            keys.revoke_key(api_key, by=api_key.user, now=utcnow())
        db.session.commit()
    for client in clients:
        with pytest.raises(RequestError) as refused:
            client.pages.get()
        assert refused.value.http_status == 401
