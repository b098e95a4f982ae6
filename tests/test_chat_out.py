"""Chat out: Slack and Teams incoming webhooks as subscriber channels, through the outbox.

Every body the real receiver gets is validated against the JSON Schemas in tests/schemas/,
written from Slack's Block Kit and Microsoft's Adaptive Card documentation.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import (
    ComponentStatus,
    Delivery,
    Role,
    Subscriber,
    SubscriberKind,
)
from statuspage.services.defaults import ensure_defaults
from statuspage.services.outbox import chat
from statuspage.services.outbox.webhooks import SIGNATURE_HEADER, UnsafeWebhookURL
from tests.factories import (
    NOW,
    PASSWORD,
    make_component,
    make_incident,
    make_published,
    make_subscriber,
    make_user,
)
from tests.helpers import csrf_token_from, sign_in
from tests.outbox import deliver

SCHEMAS = Path(__file__).resolve().parent / "schemas"
HOSTILE = "Ping <!channel> and @here, then <https://evil.example|click here> & *bold*"


def schema(kind: SubscriberKind) -> dict:
    name = "slack_message.json" if kind is SubscriberKind.SLACK else "teams_message.json"
    return json.loads((SCHEMAS / name).read_text())


def valid(kind: SubscriberKind, body: bytes) -> dict:
    """The body as JSON, after checking it against the provider's schema."""
    payload = json.loads(body)
    jsonschema.validate(payload, schema(kind), format_checker=jsonschema.FormatChecker())
    return payload


def publish_to_chat(app, receiver, kind: SubscriberKind, *, body: str = "Looking into it.") -> None:
    with app.app_context():
        api = make_component("Card API")
        make_subscriber(receiver.url, "customers", kind=kind)
        incident = make_incident(
            title="Payments failing", affected={api: ComponentStatus.PARTIAL_OUTAGE}
        )
        make_published(incident, "customers", body=body)
        db.session.commit()


@pytest.mark.parametrize("kind", [SubscriberKind.SLACK, SubscriberKind.TEAMS])
def test_an_update_reaches_a_chat_channel_as_the_providers_message(app, webhook_receiver, kind):
    publish_to_chat(app, webhook_receiver, kind)
    assert deliver(app).sent == 1
    (received,) = webhook_receiver.requests
    valid(kind, received.body)
    text = received.body.decode()
    told_all = ("Investigating", "Card API", "Partial outage", "Looking into it.", "by ")
    for told in (*told_all, "/incidents/"):
        assert told in text
    assert SIGNATURE_HEADER not in received.headers  # the hook URL is the secret


def test_a_slack_message_has_a_fallback_text_header_and_link_button(app, webhook_receiver):
    publish_to_chat(app, webhook_receiver, SubscriberKind.SLACK)
    deliver(app)
    payload = valid(SubscriberKind.SLACK, webhook_receiver.requests[0].body)
    assert "Payments failing" in payload["text"]
    assert payload["blocks"][0]["type"] == "header"
    buttons = next(b for b in payload["blocks"] if b["type"] == "actions")["elements"]
    assert buttons[0]["url"].startswith("http://status.test/incidents/")


def test_a_teams_message_is_an_adaptive_card_with_facts(app, webhook_receiver):
    publish_to_chat(app, webhook_receiver, SubscriberKind.TEAMS)
    deliver(app)
    payload = valid(SubscriberKind.TEAMS, webhook_receiver.requests[0].body)
    card = payload["attachments"][0]["content"]
    facts = next(e for e in card["body"] if e["type"] == "FactSet")["facts"]
    assert {"title": "Status", "value": "Investigating"} in facts
    assert {"title": "Components", "value": "Card API: Partial outage"} in facts


@pytest.mark.parametrize("kind", [SubscriberKind.SLACK, SubscriberKind.TEAMS])
def test_a_retry_posts_the_same_bytes(app, webhook_receiver, kind):
    publish_to_chat(app, webhook_receiver, kind)
    webhook_receiver.fail_next(503)
    assert deliver(app).retrying == 1
    with app.app_context():
        # What the incident says later must not change what the retry says.
        make_published(
            make_incident(title="Another"), "customers", body="Other news."
        )  # a second update, queued behind
        db.session.commit()
    deliver(app, now=NOW + timedelta(hours=2))
    first, retry = webhook_receiver.requests[:2]
    assert retry.body == first.body
    assert retry.headers["X-Statuspage-Delivery"] == first.headers["X-Statuspage-Delivery"]
    valid(kind, retry.body)


def test_hostile_text_cannot_ping_or_hide_a_link_in_slack(app, webhook_receiver):
    publish_to_chat(app, webhook_receiver, SubscriberKind.SLACK, body=HOSTILE)
    deliver(app)
    payload = valid(SubscriberKind.SLACK, webhook_receiver.requests[0].body)
    texts = [payload["text"], *(json.dumps(block) for block in payload["blocks"])]
    for text in texts:
        assert "<!channel>" not in text and "<https://evil" not in text
        assert "@here" not in text
    section = payload["blocks"][1]["text"]
    assert section["verbatim"] is True
    assert (
        "&lt;!channel&gt;" in section["text"]
        and "&lt;https://evil.example|click here&gt;" in (section["text"])
    )


def test_slack_text_is_cut_to_the_section_limit(app, webhook_receiver):
    publish_to_chat(app, webhook_receiver, SubscriberKind.SLACK, body="& " * 2500)
    deliver(app)
    payload = valid(SubscriberKind.SLACK, webhook_receiver.requests[0].body)
    assert payload["blocks"][1]["text"]["text"].endswith("…")


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        (SubscriberKind.SLACK, "https://hooks.slack.com/services/T0/B0/x"),
        (SubscriberKind.TEAMS, "https://acme.webhook.office.com/webhookb2/x"),
        (SubscriberKind.TEAMS, "https://prod-1.westus.logic.azure.com/workflows/x"),
        (SubscriberKind.TEAMS, "https://x.environment.api.powerplatform.com/powerautomate/x"),
    ],
)
def test_the_providers_hook_hosts_are_accepted(kind, url):
    assert chat.check_hook_url(url, kind) == url


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        (SubscriberKind.SLACK, "http://hooks.slack.com/services/x", "must start with https://"),
        (SubscriberKind.SLACK, "https://hooks.slack.com.evil.example/x", "must be on hooks.slack"),
        (SubscriberKind.SLACK, "https://acme.webhook.office.com/x", "must be on hooks.slack"),
        (SubscriberKind.TEAMS, "https://hooks.slack.com/services/x", "*.webhook.office.com"),
        (SubscriberKind.TEAMS, "https://webhook.office.com.evil.example/x", "must be on"),
        (SubscriberKind.SLACK, "https://user:pw@hooks.slack.com/x", "not a Slack webhook"),
        (SubscriberKind.SLACK, "http://127.0.0.1:9/x", "not 127.0.0.1"),
    ],
)
def test_other_hosts_and_plain_http_are_refused_with_a_reason(kind, url, message):
    with pytest.raises(UnsafeWebhookURL, match=message.replace("*", r"\*")):
        chat.check_hook_url(url, kind)


def test_an_allowed_extra_host_may_use_http_only_on_loopback():
    assert chat.check_hook_url(
        "http://127.0.0.1:9/x", SubscriberKind.SLACK, extra_hosts=["127.0.0.1"]
    )
    with pytest.raises(UnsafeWebhookURL, match="https"):
        chat.check_hook_url(
            "http://chat.example/x", SubscriberKind.SLACK, extra_hosts=["chat.example"]
        )


def test_a_host_no_longer_allowed_is_not_posted_to(app, webhook_receiver):
    publish_to_chat(app, webhook_receiver, SubscriberKind.SLACK)
    app.config["CHAT_HOOK_HOSTS"] = ""
    assert deliver(app).failed == 1
    assert webhook_receiver.requests == []
    with app.app_context():
        assert "must be on hooks.slack.com" in db.session.scalar(sa.select(Delivery.last_error))


@pytest.fixture
def admin(app, client):
    with app.app_context():
        ensure_defaults(now=NOW)
        email = make_user(Role.ADMIN, password=PASSWORD).email
        db.session.commit()
    sign_in(client, email, PASSWORD)
    return client


def staff_audience_id(app) -> int:
    with app.app_context():
        from tests.factories import audience

        return audience("staff").id


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        ("slack", "http://hooks.slack.com/services/x", "must start with https://"),
        ("teams", "https://teams.example.com/hook", "must be on *.webhook.office.com"),
    ],
)
def test_the_console_refuses_a_bad_hook_url_with_a_form_error(app, admin, kind, url, message):
    token = csrf_token_from(admin.get("/admin/subscribers/new").get_data(as_text=True))
    answer = admin.post(
        "/admin/subscribers/new",
        data={
            "kind": kind,
            "audience": staff_audience_id(app),
            "address": url,
            "csrf_token": token,
        },
    )
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_an_admin_adds_a_slack_channel_for_staff_that_receives_at_once(
    app, admin, webhook_receiver
):
    token = csrf_token_from(admin.get("/admin/subscribers/new").get_data(as_text=True))
    answer = admin.post(
        "/admin/subscribers/new",
        data={
            "kind": "slack",
            "audience": staff_audience_id(app),
            "address": webhook_receiver.url,
            "csrf_token": token,
        },
    )
    assert answer.status_code == 302
    with app.app_context():
        subscriber = db.session.scalar(sa.select(Subscriber))
        assert subscriber.kind is SubscriberKind.SLACK and subscriber.receives


def subscribe_channel(client, kind: str, url: str):
    token = csrf_token_from(client.get("/subscribe").get_data(as_text=True))
    return client.post(
        "/subscribe/chat", data={"channel": kind, "hook_url": url, "csrf_token": token}
    )


def test_a_public_channel_is_subscribed_once_its_first_message_arrives(
    app, client, webhook_receiver
):
    with app.app_context():
        ensure_defaults(now=NOW)
        db.session.commit()
    answer = subscribe_channel(client, "teams", webhook_receiver.url)
    assert answer.status_code == 200 and "Check your channel" in answer.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalar(sa.select(Subscriber)).receives
    assert deliver(app).sent == 1
    welcome = valid(SubscriberKind.TEAMS, webhook_receiver.requests[0].body)
    actions = [
        action["url"]
        for element in welcome["attachments"][0]["content"]["body"]
        if element["type"] == "ActionSet"
        for action in element["actions"]
    ]
    assert any("/subscriptions/manage/" in url or "manage" in url for url in actions)
    with app.app_context():
        assert db.session.scalar(sa.select(Subscriber)).receives
        make_published(make_incident(title="Outage"), "customers")
        db.session.commit()
    deliver(app)
    valid(SubscriberKind.TEAMS, webhook_receiver.requests[1].body)


def test_a_channel_whose_first_message_is_refused_stays_unsubscribed(app, client, webhook_receiver):
    with app.app_context():
        ensure_defaults(now=NOW)
        db.session.commit()
    subscribe_channel(client, "slack", webhook_receiver.url)
    webhook_receiver.fail_next(404)
    deliver(app)
    with app.app_context():
        assert not db.session.scalar(sa.select(Subscriber)).receives


def test_the_subscribe_page_refuses_a_hook_on_another_host(app, client):
    with app.app_context():
        ensure_defaults(now=NOW)
        db.session.commit()
    answer = subscribe_channel(client, "slack", "https://evil.example/services/x")
    assert answer.status_code == 422
    assert "A Slack webhook URL must be on hooks.slack.com" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


def test_mrkdwn_escaping_keeps_the_text_readable():
    assert chat.escape_mrkdwn("a < b & c > d @channel") == (
        "a &lt; b &amp; c &gt; d @\u2060channel"
    )
