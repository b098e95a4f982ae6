"""Webhooks: Statuspage-shaped payloads, signatures verified the way the README says, safe URLs."""

from __future__ import annotations

import json
import re
import socketserver
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from statuspage.core.errors import ValidationError
from statuspage.extensions import db
from statuspage.models import (
    ComponentStatus,
    Delivery,
    DeliveryState,
    IncidentStatus,
    Severity,
    Subscriber,
    SubscriberKind,
)
from statuspage.services.outbox.webhooks import UnsafeWebhookURL, check_url, parse_networks, sign
from statuspage.services.subscriptions import clean_webhook_url
from tests.factories import NOW, make_component, make_incident, make_published, make_subscriber
from tests.outbox import deliver

README = Path(__file__).resolve().parent.parent / "README.md"


def documented_verify():
    """The `verify` function from the README's "Verifying a webhook" section, exactly as written."""
    section = README.read_text().split("### Verifying a webhook", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 (the point is to run the documented code itself)
    return namespace["verify"]


@pytest.fixture
def hooked(app, webhook_receiver):
    """A webhook subscriber of customers; an update, then a component change published with a
    second update, delivered; returns (secret, requests)."""
    with app.app_context():
        api = make_component("API")
        subscriber = make_subscriber(webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
        incident = make_incident(severity=Severity.SEV3, title="Checkout errors")
        make_published(incident, "customers", body="Looking into it.")
        # A later component change, public with the next update (and naming the incident).
        from statuspage.services.incidents.lifecycle import set_affected_component

        set_affected_component(
            incident, api, ComponentStatus.PARTIAL_OUTAGE, by=None, now=incident.started_at
        )
        make_published(incident, "customers", body="Found it.", status=IncidentStatus.IDENTIFIED)
        db.session.commit()
        secret = subscriber.signing_secret
    deliver(app)
    return secret, webhook_receiver.requests


def incident_request(requests):
    return next(r for r in requests if r.headers["X-Statuspage-Event"] == "incident.update")


def test_a_delivered_webhook_verifies_with_the_documented_method(hooked):
    secret, requests = hooked
    verify = documented_verify()
    assert all(verify(secret, r.headers, r.body) for r in requests)


def test_a_tampered_body_fails_verification(hooked):
    secret, requests = hooked
    request = incident_request(requests)
    tampered = request.body.replace(b"Looking into it.", b"All fine, go home.")
    assert tampered != request.body
    assert not documented_verify()(secret, request.headers, tampered)


def test_an_old_timestamp_fails_verification_even_when_correctly_signed(hooked):
    secret, requests = hooked
    request = incident_request(requests)
    old = int(time.time()) - 600
    replayed = {
        "X-Statuspage-Timestamp": str(old),
        "X-Statuspage-Signature": sign(secret, old, request.body),
    }
    assert not documented_verify()(secret, replayed, request.body)


def test_a_signature_made_with_another_secret_fails(hooked):
    _, requests = hooked
    request = incident_request(requests)
    assert not documented_verify()("not-the-secret", request.headers, request.body)


def test_the_incident_payload_has_statuspage_keys_and_ours(hooked):
    _, requests = hooked
    payload = json.loads(incident_request(requests).body)
    assert set(payload) == {"meta", "page", "incident"}
    assert payload["page"]["name"] == "Acme Status" and len(payload["page"]["id"]) == 12
    incident = payload["incident"]
    assert incident["name"] == "Checkout errors" and incident["status"] == "investigating"
    assert incident["impact"] == "minor"
    [update] = incident["incident_updates"]
    assert update["body"] == "Looking into it." and update["deliver_notifications"] is True
    # Our extra keys: SEV3 customers are promised an update within two hours.
    # As the JSON API writes times: to the millisecond, with an offset.
    assert re.fullmatch(r"[\d-]{10}T[\d:]{8}\.\d{3}(Z|[+-]\d\d:\d\d)", incident["next_update_at"])
    assert datetime.fromisoformat(incident["next_update_at"]) == NOW + timedelta(hours=2)
    assert incident["audience"] == "customers"
    assert incident["shortlink"] == f"http://status.test/incidents/{incident['id']}"
    assert payload["meta"]["unsubscribe"].startswith(
        "http://status.test/subscriptions/unsubscribe/"
    )


def test_the_component_payload_has_the_change_and_the_component(hooked):
    _, requests = hooked
    request = next(r for r in requests if r.headers["X-Statuspage-Event"] == "component.update")
    payload = json.loads(request.body)
    change = payload["component_update"]
    assert (change["old_status"], change["new_status"]) == ("operational", "partial_outage")
    assert payload["component"]["name"] == "API"
    assert payload["component"]["status"] == "partial_outage"


def test_an_internal_component_never_reaches_a_public_audience_webhook(app, webhook_receiver):
    from statuspage.models import Visibility

    with app.app_context():
        hidden = make_component("Billing DB", visibility=Visibility.INTERNAL)
        make_subscriber(webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
        make_subscriber(webhook_receiver.url + "?internal", "staff", kind=SubscriberKind.WEBHOOK)
        incident = make_incident(
            severity=Severity.SEV3, affected={hidden: ComponentStatus.MAJOR_OUTAGE}
        )
        make_published(incident, "customers")
        db.session.commit()
    deliver(app)
    component_updates = [
        r.path for r in webhook_receiver.requests if "component_update" in json.loads(r.body)
    ]
    assert component_updates == ["/hooks/statuspage?internal"]
    assert all(b"Billing DB" not in r.body for r in webhook_receiver.requests if "?" not in r.path)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.1/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        # The same places written other ways, or reached through a relay that carries IPv4.
        "http://2130706433/hook",
        "http://0x7f.0.0.1/hook",
        "http://0177.0.0.1/hook",
        "http://127.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:a00:7]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "http://[64:ff9b:1::a00:7]/hook",
        "http://[2002:7f00:1::1]/hook",
        "http://[2002:c0a8:101::1]/hook",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",
        "http://[::a00:7]/hook",
        "http://[::]/hook",
        "http://[fc00::1]/hook",
        "http://[fd12:3456::1]/hook",
        "http://100.64.0.1/hook",
        "http://198.18.0.1/hook",
        "http://224.0.0.1/hook",
        "http://255.255.255.255/hook",
        "http://[ff02::1]/hook",
        "http://[2001:db8::1]/hook",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused_by_default(url):
    with pytest.raises(UnsafeWebhookURL, match="webhooks only go to public addresses"):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://[64:ff9b::808:808]/hook", "http://[2002:808:808::1]/hook", "http://8.8.8.8/hook"],
)
def test_a_relay_to_a_public_ipv4_address_is_allowed(url):
    assert check_url(url).port == 80


def test_an_allowed_network_opens_only_itself():
    assert (
        check_url("http://127.0.0.1:9/x", allowed_networks=parse_networks("127.0.0.0/8")).address
        == "127.0.0.1"
    )
    with pytest.raises(UnsafeWebhookURL):
        check_url("http://10.0.0.7/x", allowed_networks=parse_networks("127.0.0.0/8"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "must start with https://"),
        ("https://user:pw@example.com/x", "user name or password"),
        ("https://example.com:99999/x", "malformed"),
        ("https://" + "a" * 2100 + ".com/", "too long"),
        ("", "Address is required"),
        ("http://8.8.8.8/a b", "spaces or control characters"),
        ("http://8.8.8.8/a\tb", "spaces or control characters"),
        ("http://8.8.8.8/a\rb", "characters that are not allowed"),
        ("http://8.8.8.8/hook?x=\x7f", "characters that are not allowed"),
        ("http://8.8.8.8/größe", "must be ASCII"),
        ("http://8.8.8.8/hook?q=é", "must be ASCII"),
        ("http://exa mple.com/", "spaces or control characters"),
        ("http:///hook", "name a host"),
    ],
)
def test_malformed_webhook_urls_are_refused_with_a_reason(url, message):
    with pytest.raises(ValidationError, match=message):
        clean_webhook_url(url)


def test_a_webhook_is_not_sent_once_its_address_is_no_longer_allowed(app, webhook_receiver):
    with app.app_context():
        make_subscriber(webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
        make_published(make_incident(severity=Severity.SEV3), "customers")
        db.session.commit()
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = ""
    deliver(app)
    assert webhook_receiver.requests == []
    with app.app_context():
        [row] = db.session.scalars(sa.select(Delivery).where(Delivery.update_id.is_not(None))).all()
        assert "private, loopback or link-local" in row.last_error
        assert db.session.scalar(sa.select(Subscriber.failing_since)) is not None


def test_a_stored_address_that_cannot_be_posted_to_fails_alone_with_its_reason(
    app, webhook_receiver
):
    """An address accepted before the checks were tightened does not stop the outbox: its own
    delivery records why and waits for its retry; the other receivers get theirs."""
    with app.app_context():
        broken = make_subscriber(webhook_receiver.url + "/x", kind=SubscriberKind.WEBHOOK)
        broken.address = webhook_receiver.url + "/a b"
        make_subscriber(webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
        make_published(make_incident(severity=Severity.SEV3), "customers")
        db.session.commit()
        broken_id = broken.id
    deliver(app)
    assert [r.path for r in webhook_receiver.requests] == ["/hooks/statuspage"]
    with app.app_context():
        row = db.session.scalars(
            sa.select(Delivery).where(Delivery.subscriber_id == broken_id)
        ).one()
        assert row.state is DeliveryState.PENDING and "spaces or control" in row.last_error


@pytest.fixture
def garbled_receiver():
    """A receiver on loopback that answers every request with a line that is not HTTP."""
    server = socketserver.TCPServer(("127.0.0.1", 0), _Garbled)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


class _Garbled(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.rfile.readline()
        self.wfile.write(b"garbage\r\n\r\n")


def test_a_receiver_answering_nonsense_fails_its_own_delivery_only(
    app, webhook_receiver, garbled_receiver
):
    with app.app_context():
        make_subscriber(garbled_receiver, kind=SubscriberKind.WEBHOOK)
        make_subscriber(webhook_receiver.url, kind=SubscriberKind.WEBHOOK)
        make_published(make_incident(severity=Severity.SEV3), "customers")
        db.session.commit()
    deliver(app)
    assert len(webhook_receiver.requests) == 1
    with app.app_context():
        errors = db.session.scalars(
            sa.select(Delivery.last_error).where(Delivery.last_error.is_not(None))
        ).all()
    assert errors == ["BadStatusLine: garbage"]
