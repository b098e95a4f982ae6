"""What the public sees is exactly what was published (issue 12), driven through the console.

Two incidents on one component each hold their own impact, and resolving either leaves the
other's; nothing reaches a public surface before an update to a public audience is published;
what a subscriber is sent is frozen when it is published.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import jsonschema
import pytest

from statuspage.core.clock import pinned
from statuspage.extensions import db
from statuspage.models import Role, SubscriberKind, UpdateState
from statuspage.publicsite.export import export_site
from statuspage.publicsite.render import every_surface
from tests import webhook_schema
from tests.console_flows import Console
from tests.factories import make_component, make_group, make_subscriber, make_user
from tests.outbox import deliver


@pytest.fixture
def team(app, webhook_receiver):
    with app.app_context():
        platform = make_group("Platform")
        make_component("API", group=platform)
        make_component("Dashboard", group=platform)
        people = {
            "commander": make_user(Role.COMMANDER, name="Cora").id,
            "reviewer": make_user(Role.COMMANDER, name="Ben").id,
            "liaison": make_user(Role.LIAISON, name="Lia").id,
        }
        make_subscriber(webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
        db.session.commit()
    return people


@pytest.fixture
def console(app, client, team):
    return Console(app, client).as_(team["commander"])


def component_statuses(client) -> dict[str, str]:
    return {
        c["name"]: c["status"] for c in client.get("/api/v2/components.json").json["components"]
    }


def page_status_of(client, name: str) -> str:
    html = client.get("/").get_data(as_text=True)
    row = re.search(rf">{name}<.*?status status--(\w+)", html, re.DOTALL)
    assert row, f"{name} is not on the page"
    return row.group(1)


def exported_statuses(app, tmp_path, now) -> dict[str, str]:
    with app.app_context():
        export_site(tmp_path, now=now)
    document = json.loads((tmp_path / "api" / "v2" / "components.json").read_text())
    return {c["name"]: c["status"] for c in document["components"]}


def last_component_webhook(receiver, name: str) -> str:
    sent = [json.loads(r.body) for r in receiver.requests]
    updates = [p for p in sent if "component_update" in p and p["component"]["name"] == name]
    return updates[-1]["component_update"]["new_status"]


def assert_api_is(status, *, app, client, receiver, tmp_path, now):
    deliver(app)
    assert component_statuses(client)["API"] == status
    assert page_status_of(client, "API") == status
    assert exported_statuses(app, tmp_path, now)["API"] == status
    assert last_component_webhook(receiver, "API") == status


@pytest.mark.parametrize("first", ["A", "B"])
def test_two_incidents_on_one_component_each_keep_their_own_impact(
    app, client, console, webhook_receiver, tmp_path, now, first
):
    check = {"app": app, "client": client, "receiver": webhook_receiver, "now": now}
    ids = {}
    for name, impact in (("A", "partial_outage"), ("B", "major_outage")):
        ids[name] = console.declare(f"Incident {name}", components={"API": impact})
        console.compose(ids[name], status="investigating", messages={"customers": f"{name} hurts"})
    assert_api_is("major_outage", tmp_path=tmp_path / "both", **check)
    incident_b = client.get(f"/incidents/{ids['B']}").get_data(as_text=True)
    assert "status--major_outage" in incident_b  # B's own impact, though A holds API too

    second = "B" if first == "A" else "A"
    console.compose(
        ids[first],
        status="resolved",
        messages={"customers": "Fixed"},
        components={"API": "operational"},
    )
    left = {"A": "partial_outage", "B": "major_outage"}[second]
    assert_api_is(left, tmp_path=tmp_path / "one", **check)

    console.compose(ids[second], status="resolved", messages={"customers": "All fixed"})
    assert_api_is("operational", tmp_path=tmp_path / "none", **check)


def every_public_body(app, client, now) -> dict[str, bytes]:
    with app.app_context():
        paths = [surface.path for surface in every_surface(now=now)]
    bodies = {}
    for path in paths:
        answer = client.get(path, headers={"Accept-Encoding": "identity"})
        bodies[path] = answer.data
    return bodies


def test_a_customer_update_held_for_review_changes_nothing_public_until_approved(
    app, client, console, team, webhook_receiver, now
):
    quiet = console.declare("Checkout quiet", severity="SEV3")
    console.compose(quiet, status="investigating", messages={"customers": "Looking"})
    incident = console.declare(
        "Payments down", severity="SEV2", components={"API": "partial_outage"}
    )
    deliver(app)
    before, sent_before = every_public_body(app, client, now), len(webhook_receiver.requests)

    # The internal audience hears now, with a component change; customers wait for a reviewer.
    console.compose(
        incident,
        status="identified",
        messages={"staff": "Card processor timing out", "customers": "Payments are failing"},
        components={"Dashboard": "degraded_performance", "API": "major_outage"},
        action="publish",
    )
    console.edit_details(incident, title="Payments down", severity="SEV1")
    deliver(app)
    [held] = console.updates_in(UpdateState.IN_REVIEW)
    assert every_public_body(app, client, now) == before
    assert len(webhook_receiver.requests) == sent_before

    console.as_(team["reviewer"]).approve(held)
    deliver(app)
    statuses = component_statuses(client)
    assert (statuses["API"], statuses["Dashboard"]) == ("major_outage", "degraded_performance")
    assert client.get("/api/v2/summary.json").json["status"]["indicator"] == "critical"


def test_a_retried_webhook_sent_after_the_incident_resolved_is_the_first_attempt_again(
    app, client, console, webhook_receiver, now
):
    incident = console.declare("Search slow", components={"API": "degraded_performance"})
    webhook_receiver.fail_next(200, 503)  # the component's webhook arrives, the incident's not
    console.compose(incident, status="identified", messages={"customers": "Found it"})
    deliver(app)
    failed = [
        r.body
        for r in webhook_receiver.requests
        if r.status == 503 and r.headers["X-Statuspage-Event"] == "incident.update"
    ]
    assert failed
    console.compose(
        incident,
        status="resolved",
        messages={"customers": "Fixed"},
        components={"API": "operational"},
    )
    for hours in (1, 2, 3, 4, 5, 6):
        deliver(app, now=now + timedelta(hours=hours))
    accepted = [r.body for r in webhook_receiver.accepted()]
    assert failed[0] in accepted  # byte for byte, resolved_at and all still as they were
    first = json.loads(failed[0])
    assert first["incident"]["status"] == "identified" and first["incident"]["resolved_at"] is None


def test_active_maintenance_makes_the_indicator_maintenance_when_nothing_worse_is_open(
    app, client, console, now
):
    starts = now + timedelta(hours=1)
    console.schedule_maintenance(
        "Database upgrade",
        starts=starts,
        lasts=timedelta(hours=2),
        components=["API"],
        messages={"customers": "We upgrade the database."},
    )
    assert client.get("/api/v2/status.json").json["status"]["indicator"] == "none"
    console.run_job("maintenance-windows", starts)
    with pinned(starts + timedelta(minutes=1)):
        status = client.get("/api/v2/status.json").json["status"]
        assert status["indicator"] == "maintenance"
        assert component_statuses(client)["API"] == "under_maintenance"
        incident = console.declare(
            "Login slow", severity="SEV3", components={"Dashboard": "partial_outage"}
        )
        console.compose(incident, status="investigating", messages={"customers": "Logins are slow"})
        assert client.get("/api/v2/status.json").json["status"]["indicator"] == "major"  # worse


def test_every_webhook_body_has_statuspages_documented_shape(
    app, client, console, webhook_receiver, now
):
    incident = console.declare("Checkout errors", components={"API": "partial_outage"})
    console.compose(incident, status="investigating", messages={"customers": "Looking"})
    console.compose(
        incident,
        status="resolved",
        messages={"customers": "Fixed"},
        components={"API": "operational"},
    )
    starts = now + timedelta(hours=1)
    console.schedule_maintenance(
        "Database upgrade",
        starts=starts,
        lasts=timedelta(hours=1),
        components=["Dashboard"],
        messages={"customers": "We upgrade the database."},
    )
    console.run_job("maintenance-windows", starts)
    deliver(app, now=starts)
    bodies = [json.loads(r.body) for r in webhook_receiver.requests]
    assert len(bodies) >= 6
    for body in bodies:
        jsonschema.validate(body, webhook_schema.schema_for(body))
    shapes = {id(webhook_schema.schema_for(body)) for body in bodies}
    assert shapes == {
        id(webhook_schema.COMPONENT_WEBHOOK),
        id(webhook_schema.INCIDENT_WEBHOOK),
        id(webhook_schema.MAINTENANCE_WEBHOOK),
    }


def test_the_webhook_schema_refuses_a_body_missing_a_documented_key(app, console, webhook_receiver):
    incident = console.declare("Checkout errors", components={"API": "partial_outage"})
    console.compose(incident, status="investigating", messages={"customers": "Looking"})
    deliver(app)
    for request in webhook_receiver.requests:
        body = json.loads(request.body)
        body["page"].pop("status_indicator")
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(body, webhook_schema.schema_for(body))


def test_staff_see_a_change_at_once_labelled_as_not_yet_public_and_who_else_holds_it(
    app, client, console
):
    first = console.declare("Payments down", components={"API": "major_outage"})
    console.compose(first, status="investigating", messages={"customers": "Payments fail"})
    second = console.declare("Search slow", components={"API": "degraded_performance"})
    compose_page = client.get(f"/admin/incidents/{second}/compose").get_data(as_text=True)
    assert "also held by" in compose_page and "Payments down" in compose_page
    console.compose(
        second,
        status="identified",
        messages={"staff": "Index rebuild"},
        components={"Dashboard": "partial_outage"},
    )
    internal = client.get("/internal").get_data(as_text=True)
    dashboard_row = re.search(r">Dashboard<.*?</li>", internal, re.DOTALL).group(0)
    assert "status--partial_outage" in dashboard_row
    assert "public sees operational until an update to the public is published" in dashboard_row
    incident_page = client.get(f"/admin/incidents/{second}").get_data(as_text=True)
    assert "also held by" in incident_page and "Payments down" in incident_page
    assert component_statuses(client)["Dashboard"] == "operational"


def test_the_first_update_carries_the_components_set_when_the_incident_was_declared(
    app, client, console
):
    incident = console.declare("Checkout errors", components={"API": "partial_outage"})
    console.compose(incident, status="investigating", messages={"customers": "Looking"})
    [public] = client.get("/api/v2/incidents.json").json["incidents"]
    [update] = public["incident_updates"]
    assert [
        (c["name"], c["old_status"], c["new_status"]) for c in update["affected_components"]
    ] == [("API", "operational", "partial_outage")]


def test_a_receiver_gets_one_publications_webhooks_in_order_even_when_one_must_be_retried(
    app, console, webhook_receiver, now
):
    incident = console.declare("Checkout errors", components={"API": "partial_outage"})
    webhook_receiver.fail_next(503)  # the component's webhook, first in line, does not arrive
    console.compose(incident, status="investigating", messages={"customers": "Looking"})
    deliver(app)
    assert [r.status for r in webhook_receiver.requests] == [503]  # the incident's waits behind it
    for minutes in (1, 5, 15, 60):
        deliver(app, now=now + timedelta(minutes=minutes))
    events = [r.headers["X-Statuspage-Event"] for r in webhook_receiver.accepted()]
    assert events == ["component.update", "incident.update"]


def test_the_webhook_and_the_json_api_agree_on_the_incident(app, client, console, webhook_receiver):
    incident = console.declare("Checkout errors", components={"API": "partial_outage"})
    console.compose(incident, status="investigating", messages={"customers": "Looking"})
    deliver(app)
    [hook] = [
        json.loads(r.body)["incident"]
        for r in webhook_receiver.requests
        if r.headers["X-Statuspage-Event"] == "incident.update"
    ]
    [api] = client.get("/api/v2/incidents.json").json["incidents"]
    for key in ("id", "name", "status", "impact", "created_at", "updated_at", "shortlink"):
        assert hook[key] == api[key], key
