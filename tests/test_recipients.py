"""Write once, lose nothing: the writer sees who receives each audience's update; staff subscribe
themselves to internal audiences from their profile; one reader's unsubscribe click does not
switch off a list address an admin added."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import AuditEntry, Role, Severity, Subscriber, SubscriberKind
from statuspage.services.defaults import ensure_defaults
from tests.console import act_as
from tests.factories import (
    NOW,
    audience,
    make_component,
    make_incident,
    make_published,
    make_subscriber,
    make_user,
)
from tests.helpers import csrf_token_from
from tests.mail import text_part
from tests.outbox import deliver

NOBODY_INTERNAL = "Nobody receives this by email or webhook: it shows on the internal page only."
NOBODY_PUBLIC = "Nobody receives this by email or webhook: it shows on the public page only."


@pytest.fixture
def writing(app, client):
    """A SEV3 incident and a commander, signed in, who writes to every audience."""
    with app.app_context():
        commander = make_user(Role.COMMANDER)
        incident = make_incident(severity=Severity.SEV3)
        db.session.commit()
        incident_id, commander_id = incident.id, commander.id
    act_as(client, commander_id)
    return incident_id


def recipients_line(app, page: str, slug: str) -> str:
    with app.app_context():
        key = f"audience-{audience(slug).id}"
    [line] = re.findall(rf'data-recipients="{key}">(.*?)</p>', page, re.DOTALL)
    return line


def test_compose_shows_each_audience_s_receiving_subscribers_by_channel(app, client, writing):
    with app.app_context():
        search = make_component("Search")
        make_subscriber("exec-list@example.com", "executives")
        make_subscriber("ceo@example.com", "executives", components=[search])
        make_subscriber("http://127.0.0.1:9/hook", "executives", kind=SubscriberKind.WEBHOOK)
        make_subscriber("ann@example.com", "customers")
        off = make_subscriber("old-list@example.com", "executives")
        off.is_active = False
        db.session.commit()
    page = client.get(f"/admin/incidents/{writing}/compose").get_data(as_text=True)
    executives = recipients_line(app, page, "executives")
    assert "2 email addresses (1 only if it touches components they chose)" in executives
    assert "1 webhook" in executives and NOBODY_INTERNAL not in executives
    assert "1 email address and 0 webhooks; it also shows on the public page" in (
        recipients_line(app, page, "customers")
    )


def test_compose_warns_when_an_audience_has_nobody_to_receive_it(app, client, writing):
    page = client.get(f"/admin/incidents/{writing}/compose").get_data(as_text=True)
    for slug in ("staff", "executives", "support", "sales", "legal"):
        assert recipients_line(app, page, slug) == NOBODY_INTERNAL
    assert recipients_line(app, page, "customers") == NOBODY_PUBLIC


@pytest.fixture
def member(app, client):
    """A viewer, signed in, who has an account address and no subscriptions."""
    with app.app_context():
        ensure_defaults(now=NOW)
        user = make_user(Role.VIEWER, email="vera@example.com")
        db.session.commit()
        user_id = user.id
    act_as(client, user_id)
    return user_id


def save_own_subscriptions(app, client, *slugs: str):
    token = csrf_token_from(client.get("/admin/profile").get_data(as_text=True))
    with app.app_context():
        ids = [str(audience(slug).id) for slug in slugs]
    return client.post("/admin/profile/subscriptions", data={"csrf_token": token, "audience": ids})


def own_subscribers(app, user_id):
    with app.app_context():
        return {
            subscriber.audience.slug: subscriber.receives
            for subscriber in db.session.scalars(
                sa.select(Subscriber).where(Subscriber.owner_user_id == user_id)
            )
        }


def test_the_profile_offers_each_internal_audience_by_email(app, client, member):
    page = client.get("/admin/profile").get_data(as_text=True)
    for name in ("All staff", "Executives", "Support", "Sales", "Legal"):
        assert f"Email me updates to {name}" in page
    assert "Email me updates to Customers" not in page


def test_staff_subscribe_themselves_and_receive_the_audience_s_updates(
    app, client, member, mail_sink
):
    assert save_own_subscriptions(app, client, "executives").status_code == 302
    assert own_subscribers(app, member) == {"executives": True}
    with app.app_context():
        [entry] = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "subscriber.subscribed_self")
        ).all()
        assert entry.actor_id == member
        make_published(make_incident(severity=Severity.SEV3), "executives")
        db.session.commit()
    app.config["SMTP_URL"] = mail_sink.url
    deliver(app)
    assert len(mail_sink.to("vera@example.com")) == 1
    page = client.get("/admin/profile").get_data(as_text=True)
    assert re.search(r'value="\d+" checked> Email me updates to Executives', page)


def test_staff_unsubscribe_themselves_from_their_profile(app, client, member, mail_sink):
    save_own_subscriptions(app, client, "executives", "legal")
    assert save_own_subscriptions(app, client, "legal").status_code == 302
    assert own_subscribers(app, member) == {"executives": False, "legal": True}
    with app.app_context():
        make_published(make_incident(severity=Severity.SEV3), "executives")
        db.session.commit()
    app.config["SMTP_URL"] = mail_sink.url
    deliver(app)
    assert mail_sink.to("vera@example.com") == []


def test_staff_cannot_subscribe_themselves_to_the_public_audience_here(app, client, member):
    assert save_own_subscriptions(app, client, "customers").status_code == 422
    assert own_subscribers(app, member) == {}


def update_mail_to(app, sink, address: str, slug: str):
    with app.app_context():
        make_published(make_incident(severity=Severity.SEV3), slug)
        db.session.commit()
    app.config["SMTP_URL"] = sink.url
    deliver(app)
    return sink.to(address)[-1]


def unsubscribe_path(message) -> str:
    [path] = re.findall(
        r"http://status\.test(/subscriptions/unsubscribe/[\w.\-]+)", text_part(message)
    )
    return path


def test_one_reader_s_unsubscribe_click_does_not_switch_off_a_list_an_admin_added(
    app, client, mail_sink
):
    with app.app_context():
        make_subscriber("exec-list@example.com", "executives")
        db.session.commit()
    message = update_mail_to(app, mail_sink, "exec-list@example.com", "executives")
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    path = unsubscribe_path(message)
    page = client.get(path).get_data(as_text=True)
    assert "A list managed by the admins" in page and "<form" not in page
    clicked = client.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert clicked.status_code == 403
    assert "A list managed by the admins" in clicked.get_data(as_text=True)
    with app.app_context():
        [subscriber] = db.session.scalars(sa.select(Subscriber)).all()
        assert subscriber.receives


def test_a_list_an_admin_added_keeps_its_components_whoever_has_its_link(app, client, mail_sink):
    with app.app_context():
        make_component("Search")
        make_subscriber("exec-list@example.com", "executives")
        db.session.commit()
    message = update_mail_to(app, mail_sink, "exec-list@example.com", "executives")
    manage = unsubscribe_path(message).replace("/unsubscribe/", "/manage/")
    page = client.get(manage).get_data(as_text=True)
    assert "a list managed by the admins" in page and "<form" not in page


def test_staff_who_subscribed_themselves_unsubscribe_with_one_click(app, client, member, mail_sink):
    save_own_subscriptions(app, client, "executives")
    message = update_mail_to(app, mail_sink, "vera@example.com", "executives")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    clicked = client.post(
        message["List-Unsubscribe"].strip("<>").removeprefix("http://status.test"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert clicked.status_code == 200
    assert own_subscribers(app, member) == {"executives": False}
