"""Cadence in chat: reminders, overdue marks and escalations also posted to the incident's Slack or
Teams channel and to each person's own hook, through the outbox, once each."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import Delivery, Role, RosterRole, Severity, SubscriberKind
from statuspage.services.cadence import channels
from statuspage.services.cadence.alerts import send_cadence_alerts
from tests.factories import NOW, PASSWORD, make_incident, make_user
from tests.helpers import csrf_token_from, sign_in
from tests.outbox import deliver
from tests.test_cadence_alerts import CUSTOMERS_ESCALATE, CUSTOMERS_REMIND, SITE
from tests.test_chat_out import valid

HOSTS = ("127.0.0.1",)


def team_incident():
    commander = make_user(Role.COMMANDER, name="Dana")
    liaison = make_user(Role.LIAISON, name="Priya")
    incident = make_incident(
        severity=Severity.SEV3,
        roster=[(RosterRole.COMMANDER, commander), (RosterRole.CUSTOMER_LIAISON, liaison)],
    )
    return incident, commander, liaison


def tick_and_deliver(app, at):
    send_cadence_alerts(now=at, site=SITE)
    db.session.commit()
    deliver(app, now=at)


def chat_rows():
    return db.session.scalars(
        sa.select(Delivery).where(Delivery.channel != SubscriberKind.EMAIL).order_by(Delivery.id)
    ).all()


def test_a_reminder_goes_to_the_incidents_channel(app, ctx, webhook_receiver):
    incident, _, _ = team_incident()
    channels.set_incident_hook(
        incident, "slack", webhook_receiver.url, by=make_user(Role.ADMIN), now=NOW, chat_hosts=HOSTS
    )
    tick_and_deliver(app, CUSTOMERS_REMIND)
    texts = [valid(SubscriberKind.SLACK, r.body)["text"] for r in webhook_receiver.requests]
    assert any("Customers" in text and incident.title in text for text in texts)


def test_a_persons_own_hook_gets_their_alert_with_why_them(app, ctx, webhook_receiver):
    _, _, liaison = team_incident()
    channels.set_own_hook(liaison, "teams", webhook_receiver.url, now=NOW, chat_hosts=HOSTS)
    tick_and_deliver(app, CUSTOMERS_REMIND)
    (received,) = webhook_receiver.requests
    card = valid(SubscriberKind.TEAMS, received.body)["attachments"][0]["content"]
    assert "customer liaison" in json.dumps(card)


def test_an_escalation_reaches_the_commanders_hook(app, ctx, webhook_receiver):
    _, commander, _ = team_incident()
    channels.set_own_hook(commander, "slack", webhook_receiver.url, now=NOW, chat_hosts=HOSTS)
    tick_and_deliver(app, CUSTOMERS_ESCALATE)
    bodies = [valid(SubscriberKind.SLACK, r.body)["text"] for r in webhook_receiver.requests]
    assert any("escalat" in text.lower() or "overdue" in text.lower() for text in bodies)


def test_each_alert_is_posted_once_however_often_the_tick_runs(ctx, webhook_receiver):
    incident, _, liaison = team_incident()
    admin = make_user(Role.ADMIN)
    channels.set_incident_hook(
        incident, "slack", webhook_receiver.url, by=admin, now=NOW, chat_hosts=HOSTS
    )
    channels.set_own_hook(liaison, "teams", webhook_receiver.url + "?me", now=NOW, chat_hosts=HOSTS)
    send_cadence_alerts(now=CUSTOMERS_REMIND, site=SITE)
    first = [(row.channel, row.dedupe_key) for row in chat_rows()]
    send_cadence_alerts(now=CUSTOMERS_REMIND + timedelta(seconds=15), site=SITE)
    assert [(row.channel, row.dedupe_key) for row in chat_rows()] == first
    assert {channel for channel, _ in first} == {SubscriberKind.SLACK, SubscriberKind.TEAMS}


def test_no_hook_means_email_only(ctx):
    team_incident()
    send_cadence_alerts(now=CUSTOMERS_REMIND, site=SITE)
    assert chat_rows() == []


def signed_in_commander(app, client):
    with app.app_context():
        commander = make_user(Role.COMMANDER, password=PASSWORD)
        incident_id = make_incident(severity=Severity.SEV3).id
        db.session.commit()
        email = commander.email
    sign_in(client, email, PASSWORD)
    return incident_id


def post_hook(client, page: str, action: str, kind: str, url: str):
    """Post the chat hook form found on `page` to `action`."""
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    data = {"chat_hook_kind": kind, "chat_hook_url": url, "csrf_token": token}
    return client.post(action, data=data)


def test_the_console_sets_the_incidents_channel(app, client, webhook_receiver):
    page = f"/admin/incidents/{signed_in_commander(app, client)}"
    answer = post_hook(client, page, page + "/chat-hook", "teams", webhook_receiver.url)
    assert answer.status_code == 302
    assert webhook_receiver.url in client.get(page).get_data(as_text=True)


def test_the_console_refuses_a_channel_on_another_host_and_says_why(app, client):
    page = f"/admin/incidents/{signed_in_commander(app, client)}"
    answer = post_hook(client, page, page + "/chat-hook", "slack", "http://hooks.slack.com/x")
    assert answer.status_code == 422
    assert "must start with https://" in answer.get_data(as_text=True)


def test_a_person_adds_their_own_hook_on_the_profile(app, client, webhook_receiver):
    signed_in_commander(app, client)
    answer = post_hook(
        client, "/admin/profile", "/admin/profile/chat-hook", "slack", webhook_receiver.url
    )
    assert answer.status_code == 302
    assert webhook_receiver.url in client.get("/admin/profile").get_data(as_text=True)


def test_the_profile_refuses_a_hook_that_is_no_providers(app, client):
    signed_in_commander(app, client)
    answer = post_hook(
        client, "/admin/profile", "/admin/profile/chat-hook", "teams", "https://evil.example/x"
    )
    assert answer.status_code == 422
    assert "must be on *.webhook.office.com" in answer.get_data(as_text=True)
