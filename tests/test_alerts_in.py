"""Issue 17, alerts in: Alertmanager, Grafana and signed generic payloads reach their integration's
receiver and set a component's public status (automate) or open an incident for the commander
(draft); rules, dedupe, hold-down, restoring only what an alert set, and every bad body refused
with a 4xx JSON problem and nothing changed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from statuspage.core.clock import pinned
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.jobs import restore_after_alerts
from statuspage.models import (
    AlertRecord,
    AuditEntry,
    ComponentStatus,
    ComponentStatusChange,
    Incident,
    IntegrationKind,
    IntegrationMode,
    Role,
    RosterRole,
    TimelineEvent,
    TimelineKind,
)
from statuspage.services import components
from statuspage.services.alerts import integrations
from statuspage.services.incidents import impacts, postmortem
from statuspage.services.outbox.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.factories import NOW, make_component, make_user
from tests.helpers import TEST_SECRET_KEY
from tests.outbox import deliver


class Receiver:
    """One integration over two components (API, Search), and how to post to it."""

    def __init__(self, app: Flask, client: FlaskClient, kind: IntegrationKind, **settings: Any):
        self.app, self.client, self.kind = app, client, kind
        with app.app_context():
            self.api = make_component("API").id
            self.search = make_component("Search").id
            commander = make_user(Role.COMMANDER, name="Cora", email="cora@example.com")
            options = {"name": "Prometheus", "mode": IntegrationMode.AUTOMATE,
                       "commander": commander, **settings}  # fmt: skip
            integration, self.secret = integrations.create_integration(
                kind, integrations.Settings(**options), key=TEST_SECRET_KEY, by=None, now=NOW
            )
            self.id = integration.id
            db.session.commit()
        self.url = f"/hooks/alerts/{self.id}/{self.secret}"

    def post(self, body: bytes | dict[str, Any], *, url: str | None = None, signed_at=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {}
        if self.kind is IntegrationKind.GENERIC:
            at = int((signed_at or NOW).timestamp())
            headers = {TIMESTAMP_HEADER: str(at), SIGNATURE_HEADER: sign(self.secret, at, raw)}
        return self.client.post(
            url or self.url, data=raw, content_type="application/json", headers=headers
        )

    def status(self, component_id: int) -> ComponentStatus:
        with self.app.app_context():
            return impacts.effective_statuses([component_id], public=True)[component_id]

    def count(self, model: type, *where: Any) -> int:
        with self.app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def alert(state: str = "firing", fingerprint: str = "f1", **labels: str) -> dict[str, Any]:
    labels = {"alertname": "TargetDown", "component": "API", "severity": "critical", **labels}
    return {"status": state, "labels": labels, "annotations": {"summary": "API is down"},
            "startsAt": "2026-12-05T06:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus/graph", "fingerprint": fingerprint}  # fmt: skip


def alertmanager(*alerts: dict[str, Any], version: str = "4") -> dict[str, Any]:
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {"version": version, "groupKey": "{}:{}", "truncatedAlerts": 0, "status": status,
            "receiver": "statuspage", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager", "alerts": list(alerts)}  # fmt: skip


def grafana(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {"receiver": "statuspage", "status": alerts[0]["status"], "orgId": 1,
            "alerts": [{**a, "values": {"A": 0}, "silenceURL": "", "dashboardURL": ""}
                       for a in alerts],
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://grafana/", "version": "1", "groupKey": "{}",
            "truncatedAlerts": 0, "title": "[FIRING:1]", "state": "alerting", "message": ""}  # fmt: skip


@pytest.fixture
def am(app: Flask, client: FlaskClient) -> Receiver:
    return Receiver(app, client, IntegrationKind.ALERTMANAGER, holddown_seconds=0)


# Payload kinds


def test_an_alertmanager_alert_sets_the_public_status_until_it_resolves(am):
    answer = am.post(alertmanager(alert()))
    assert answer.status_code == 200 and answer.json["changed"] == ["f1"]
    assert am.status(am.api) is ComponentStatus.MAJOR_OUTAGE
    assert am.post(alertmanager(alert("resolved"))).status_code == 200
    assert am.status(am.api) is ComponentStatus.OPERATIONAL
    moves = am.count(ComponentStatusChange, ComponentStatusChange.component_id == am.api)
    assert moves == 3  # created operational, major outage, operational


def test_a_grafana_alert_is_read_alike(app, client):
    receiver = Receiver(app, client, IntegrationKind.GRAFANA)
    answer = receiver.post(grafana(alert(severity="warning")))
    assert answer.status_code == 200, answer.json
    assert receiver.status(receiver.api) is ComponentStatus.DEGRADED_PERFORMANCE


def test_a_generic_alert_signed_like_our_webhooks_is_read(app, client):
    receiver = Receiver(app, client, IntegrationKind.GENERIC)
    answer = receiver.post({"alerts": [alert()]})
    assert answer.status_code == 200, answer.json
    assert receiver.status(receiver.api) is ComponentStatus.MAJOR_OUTAGE


@pytest.mark.parametrize("forged", ["unsigned", "other key", "stale"])
def test_a_generic_alert_not_signed_with_its_secret_is_refused(app, client, forged):
    receiver = Receiver(app, client, IntegrationKind.GENERIC)
    raw = json.dumps({"alerts": [alert()]}).encode()
    at = int(NOW.timestamp()) - (600 if forged == "stale" else 0)
    key = "someone else" if forged == "other key" else receiver.secret
    headers = {} if forged == "unsigned" else {TIMESTAMP_HEADER: str(at),
                                                 SIGNATURE_HEADER: sign(key, at, raw)}  # fmt: skip
    answer = client.post(receiver.url, data=raw, content_type="application/json", headers=headers)
    assert answer.status_code == 403 and SIGNATURE_HEADER in answer.json["detail"]
    assert receiver.status(receiver.api) is ComponentStatus.OPERATIONAL


# Bad bodies change nothing


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (alertmanager(alert(), version="3"), 400, "version '4'"),
        (b"{not json", 400, "not JSON"),
        ({"version": "4", "alerts": []}, 400, "non-empty list"),
        (alertmanager({**alert(), "status": "pending"}), 400, '"firing" or "resolved"'),
        (alertmanager(alert(fingerprint="f2"), alert(component="Billing")), 422, "component"),
    ],
    ids=["wrong version", "bad json", "no alerts", "bad state", "unknown component"],
)
def test_a_bad_body_is_a_json_problem_and_changes_nothing(am, body, status, says):
    answer = am.post(body)
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json" and says in answer.json["detail"]
    assert am.status(am.api) is ComponentStatus.OPERATIONAL
    assert am.count(AlertRecord) == 0 and am.count(AuditEntry) == 1  # the integration's creation


def test_a_huge_body_is_refused_unread(am):
    padding = "x" * (300 * 1024)
    answer = am.post(alertmanager(alert(padding=padding)))
    assert answer.status_code == 413 and "at most" in answer.json["detail"]
    assert am.count(AlertRecord) == 0


@pytest.mark.parametrize("which", ["wrong secret", "unknown integration", "inactive"])
def test_a_wrong_receiver_address_is_not_found(app, am, which):
    url = {"wrong secret": f"/hooks/alerts/{am.id}/guess",
           "unknown integration": f"/hooks/alerts/{am.id + 1}/{am.secret}"}.get(which)  # fmt: skip
    if which == "inactive":
        with app.app_context():
            integration = integrations.get_integration(am.id)
            integration.active = False
            db.session.commit()
    answer = am.post(alertmanager(alert()), url=url)
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert am.status(am.api) is ComponentStatus.OPERATIONAL


def test_each_integration_is_rate_limited_on_its_own(app, am):
    app.config["ALERT_RATE_LIMIT"] = "2 per minute"
    assert [am.post(alertmanager(alert())).status_code for _ in range(3)] == [200, 200, 429]


# Rules


def test_a_rule_maps_any_label_to_a_component(app, client):
    receiver = Receiver(app, client, IntegrationKind.ALERTMANAGER,
                        rules="service=search, env=prod -> Search")  # fmt: skip
    body = alertmanager(alert(component="nothing", service="search", env="prod"))
    assert receiver.post(body).status_code == 200
    assert receiver.status(receiver.search) is ComponentStatus.MAJOR_OUTAGE


def test_the_component_label_may_give_a_components_id(am):
    assert am.post(alertmanager(alert(component=str(am.search)))).status_code == 200
    assert am.status(am.search) is ComponentStatus.MAJOR_OUTAGE


def test_severities_mean_what_the_integration_says(app, client):
    receiver = Receiver(app, client, IntegrationKind.ALERTMANAGER,
                        impacts="critical = partial_outage\npage = major_outage")  # fmt: skip
    receiver.post(alertmanager(alert(), alert(fingerprint="f2", component="Search",
                                              severity="page")))  # fmt: skip
    assert receiver.status(receiver.api) is ComponentStatus.PARTIAL_OUTAGE
    assert receiver.status(receiver.search) is ComponentStatus.MAJOR_OUTAGE


def test_rules_naming_no_component_are_refused(ctx):
    with pytest.raises(Exception, match="no component 'Nowhere'"):
        integrations.parse_rules("service=api -> Nowhere")


# Dedupe, hold-down, restoring only what the alert set


def test_a_repeated_alert_changes_nothing_more(am):
    am.post(alertmanager(alert()))
    answer = am.post(alertmanager(alert()))
    assert answer.json == {"received": 1, "changed": [], "repeated": ["f1"]}
    assert am.count(ComponentStatusChange, ComponentStatusChange.component_id == am.api) == 2


def test_a_flapping_alert_is_held_down(app, client):
    receiver = Receiver(app, client, IntegrationKind.ALERTMANAGER, holddown_seconds=120)
    receiver.post(alertmanager(alert()))
    receiver.post(alertmanager(alert("resolved")))
    with pinned(NOW + timedelta(seconds=60)):
        receiver.post(alertmanager(alert()))
        receiver.post(alertmanager(alert("resolved")))
    assert receiver.status(receiver.api) is ComponentStatus.MAJOR_OUTAGE
    with app.app_context():
        assert restore_after_alerts(NOW + timedelta(seconds=179), app.config) == 0
        assert restore_after_alerts(NOW + timedelta(seconds=180), app.config) == 1
        db.session.commit()
    assert receiver.status(receiver.api) is ComponentStatus.OPERATIONAL
    where = ComponentStatusChange.component_id == receiver.api
    assert receiver.count(ComponentStatusChange, where) == 3  # no flap in between


def test_a_component_shows_the_worst_of_its_alerts_until_the_last_resolves(am):
    major, degraded = alert(fingerprint="a"), alert(fingerprint="b", severity="warning")
    am.post(alertmanager(major, degraded))
    assert am.status(am.api) is ComponentStatus.MAJOR_OUTAGE
    am.post(alertmanager(alert("resolved", fingerprint="a")))
    assert am.status(am.api) is ComponentStatus.DEGRADED_PERFORMANCE
    am.post(alertmanager(alert("resolved", fingerprint="b", severity="warning")))
    assert am.status(am.api) is ComponentStatus.OPERATIONAL


def test_a_resolved_alert_leaves_a_status_a_person_set_since(app, am):
    am.post(alertmanager(alert()))
    with app.app_context():
        components.set_component_status(
            components.get_component(am.api), ComponentStatus.PARTIAL_OUTAGE, now=NOW
        )
        db.session.commit()
    am.post(alertmanager(alert("resolved")))
    assert am.status(am.api) is ComponentStatus.PARTIAL_OUTAGE
    assert am.count(AuditEntry, AuditEntry.action == "alert.leave") == 1


def test_a_resolved_alert_restores_the_status_set_by_hand_before_it(app, am):
    with app.app_context():
        components.set_component_status(
            components.get_component(am.api), ComponentStatus.UNDER_MAINTENANCE, now=NOW
        )
        db.session.commit()
    am.post(alertmanager(alert()))
    am.post(alertmanager(alert("resolved")))
    assert am.status(am.api) is ComponentStatus.UNDER_MAINTENANCE


# Draft mode


def test_draft_mode_opens_an_incident_for_the_commander_and_nothing_public(app, client, mail_sink):
    app.config["SMTP_URL"] = mail_sink.url
    receiver = Receiver(app, client, IntegrationKind.ALERTMANAGER, mode=IntegrationMode.DRAFT)
    receiver.post(alertmanager(alert()))
    receiver.post(alertmanager(alert()))  # a repeat: no second incident
    receiver.post(alertmanager(alert("resolved")))
    assert receiver.status(receiver.api) is ComponentStatus.OPERATIONAL
    with app.app_context():
        [incident] = db.session.scalars(sa.select(Incident)).all()
        assert incident.title == "Prometheus: API is down" and not incident.status.is_closed
        assert [(c.component_id, c.status) for c in incident.components] == [
            (receiver.api, ComponentStatus.MAJOR_OUTAGE)
        ]
        assert [(a.role, a.user.name) for a in incident.roster] == [(RosterRole.COMMANDER, "Cora")]
        kinds = db.session.scalars(
            sa.select(TimelineEvent.kind).where(TimelineEvent.incident_id == incident.id)
        ).all()
        assert kinds.count(TimelineKind.ALERT_FIRED) == 1
        assert TimelineKind.ALERT_RESOLVED in kinds
    deliver(app)
    [email] = mail_sink.to("cora@example.com")
    assert email["Subject"] == "You are commander on Prometheus: API is down (SEV2)"


def test_the_postmortem_draft_says_when_monitoring_raised_and_ended_the_alert(app, client):
    receiver = Receiver(app, client, IntegrationKind.ALERTMANAGER, mode=IntegrationMode.DRAFT)
    receiver.post(alertmanager(alert()))
    receiver.post(alertmanager(alert("resolved")))
    with app.app_context():
        incident = db.session.scalars(sa.select(Incident)).one()
        text = postmortem.postmortem_markdown(incident, site=current_site(), now=NOW)
    assert "Prometheus raised an alert on API: API is down" in text
    assert "Prometheus resolved its alert on API" in text


# The command line


def test_create_integration_prints_its_receiver_url_last(app, runner):
    with app.app_context():
        make_component("API")
        db.session.commit()
    result = runner.invoke(
        args=["create-integration", "alertmanager", "--name", "Prom", "--mode", "automate"]
    )
    assert result.exit_code == 0, result.output
    url = result.output.splitlines()[-1]
    assert url.startswith("http://status.test/hooks/alerts/")
    answer = app.test_client().post(
        url.removeprefix("http://status.test"),
        data=json.dumps(alertmanager(alert())),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.json


def test_the_receiver_secret_never_reaches_the_logs(am, caplog):
    with caplog.at_level("INFO", logger="statuspage.request"):
        am.post(alertmanager(alert()))
    paths = [getattr(record, "path", "") for record in caplog.records]
    assert f"/hooks/alerts/{am.id}/<secret>" in paths
    assert am.secret not in caplog.text
