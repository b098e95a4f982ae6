"""Email subscriptions end to end: subscribe, confirm, receive, manage, one-click unsubscribe.

Mail goes through a real SMTP server on 127.0.0.1 (tests/mail.py); the worker runs as the
scheduler runs it (jobs.send_deliveries).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.clock import pinned
from statuspage.core.times import format_time
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentStatus,
    Delivery,
    DeliveryState,
    Severity,
    Subscriber,
)
from tests.factories import NOW, audience, make_component, make_incident, make_published
from tests.helpers import csrf_token_from, page_zone
from tests.mail import SUBSCRIPTION_LINK, html_part, text_part
from tests.outbox import deliver


def subscribe(client, email, components=()):
    token = csrf_token_from(client.get("/subscribe").get_data(as_text=True))
    return client.post(
        "/subscribe",
        data={"email": email, "components": [str(c) for c in components], "csrf_token": token},
    )


def links_in(message):
    return SUBSCRIPTION_LINK.findall(text_part(message))


def confirm(client, message):
    [path] = [link for link in links_in(message) if "/confirm/" in link]
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})


def subscribe_and_confirm(app, client, sink, email, components=()):
    subscribe(client, email, components)
    deliver(app)
    confirmation = sink.to(email)[-1]
    assert confirm(client, confirmation).status_code == 200


def publish(app, *, components=None, body="We are looking into it.", at=NOW):
    """Declare an incident (component id -> status) and publish one customers update to it."""
    with app.app_context():
        affected = {db.session.get(Component, c): s for c, s in (components or {}).items()}
        incident = make_incident(severity=Severity.SEV3, affected=affected, now=at)
        update = make_published(incident, "customers", body=body, now=at)
        db.session.commit()
        return incident.id, update.id


def component_ids(app, *names):
    with app.app_context():
        ids = [make_component(name).id for name in names]
        db.session.commit()
        return ids


def test_subscribe_confirm_receive_unsubscribe_and_receive_nothing_more(app, client, mailing):
    answer = subscribe(client, "ann@example.com")
    assert answer.status_code == 200 and "Check your inbox" in answer.get_data(as_text=True)
    deliver(app)
    [confirmation] = mailing.to("ann@example.com")
    assert "Confirm your subscription" in confirmation["Subject"]
    assert confirm(client, confirmation).status_code == 200

    publish(app, body="Errors on **checkout**.")
    deliver(app)
    update_mail = mailing.to("ann@example.com")[-1]
    assert "Errors on **checkout**." in text_part(update_mail)  # Markdown reads as text
    assert "<strong>checkout</strong>" in html_part(update_mail)
    unsubscribe_url = update_mail["List-Unsubscribe"].strip("<>")
    assert update_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    one_click = client.post(
        unsubscribe_url.removeprefix("http://status.test"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    received = len(mailing.to("ann@example.com"))
    publish(app, body="Still looking.")
    deliver(app)
    assert len(mailing.to("ann@example.com")) == received


def test_an_update_email_is_multipart_with_links_and_the_promised_next_update(app, client, mailing):
    subscribe_and_confirm(app, client, mailing, "bo@example.com")
    incident_id, _ = publish(app)
    deliver(app)
    message = mailing.to("bo@example.com")[-1]
    assert message.get_content_type() == "multipart/alternative"
    text = text_part(message)
    # SEV3 customers are promised an update every two hours.
    promised = format_time(NOW + timedelta(hours=2), page_zone())
    assert f"Next update by {promised}." in text
    assert f"http://status.test/incidents/{incident_id}" in text
    assert any("/subscriptions/manage/" in link for link in links_in(message))
    assert f"Next update by {promised}." in html_part(message)
    assert message["Message-ID"].endswith("@localhost>")


def test_a_component_filter_decides_who_hears_about_an_incident(app, client, mailing):
    api, dashboard = component_ids(app, "API", "Dashboard")
    subscribe_and_confirm(app, client, mailing, "api@example.com", [api])
    subscribe_and_confirm(app, client, mailing, "dash@example.com", [dashboard])
    subscribe_and_confirm(app, client, mailing, "all@example.com")
    publish(app, components={api: ComponentStatus.MAJOR_OUTAGE}, body="API is down.")
    deliver(app)
    heard = {
        address
        for address in ("api@example.com", "dash@example.com", "all@example.com")
        if any("API is down." in text_part(m) for m in mailing.to(address))
    }
    assert heard == {"api@example.com", "all@example.com"}


def test_an_incident_without_components_reaches_every_subscriber(app, client, mailing):
    [api] = component_ids(app, "API")
    subscribe_and_confirm(app, client, mailing, "api@example.com", [api])
    publish(app, body="Something odd.")
    deliver(app)
    assert any("Something odd." in text_part(m) for m in mailing.to("api@example.com"))


def test_preferences_change_the_filter(app, client, mailing):
    api, dashboard = component_ids(app, "API", "Dashboard")
    subscribe(client, "cy@example.com")
    deliver(app)
    confirmed = confirm(client, mailing.to("cy@example.com")[0]).get_data(as_text=True)
    [manage] = re.findall(r'href="(/subscriptions/manage/[^"]+)"', confirmed)
    page = client.get(manage)
    saved = client.post(
        manage,
        data={
            "components": [str(dashboard)],
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    assert saved.status_code == 200 and "Your choice is saved." in saved.get_data(as_text=True)
    publish(app, components={api: ComponentStatus.MAJOR_OUTAGE}, body="API is down.")
    publish(app, components={dashboard: ComponentStatus.PARTIAL_OUTAGE}, body="Dashboard slow.")
    deliver(app)
    texts = [text_part(m) for m in mailing.to("cy@example.com")]
    assert not any("API is down." in t for t in texts)
    assert any("Dashboard slow." in t for t in texts)


def test_the_answer_is_the_same_whether_or_not_the_address_is_subscribed(app, client, mailing):
    subscribe_and_confirm(app, client, mailing, "dee@example.com")
    known = subscribe(client, "dee@example.com")
    unknown = subscribe(client, "eve@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data().replace(b"eve@", b"dee@")
    deliver(app)
    # The owner learns the rest by email: a manage link, not a second subscription.
    assert "already subscribed" in text_part(mailing.to("dee@example.com")[-1])


def test_a_public_subscriber_cannot_choose_an_internal_component(app, client, mailing):
    from statuspage.models import Visibility

    with app.app_context():
        secret = make_component("Billing DB", visibility=Visibility.INTERNAL).id
        db.session.commit()
    page = client.get("/subscribe").get_data(as_text=True)
    assert "Billing DB" not in page
    answer = subscribe(client, "fay@example.com", [secret])
    assert answer.status_code == 422
    assert "Choose components from the list." in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_an_unconfirmed_address_receives_no_updates(app, client, mailing):
    subscribe(client, "gus@example.com")
    publish(app, body="Not for gus.")
    deliver(app)
    assert [m["Subject"] for m in mailing.to("gus@example.com")] == [
        "Confirm your subscription to Acme Status"
    ]


def test_each_address_gets_few_subscription_emails_a_day(app, client, mailing):
    app.config["SUBSCRIPTION_EMAILS_PER_ADDRESS_PER_DAY"] = 2
    for _ in range(4):
        assert subscribe(client, "hal@example.com").status_code == 200
    deliver(app)
    assert len(mailing.to("hal@example.com")) == 2


def test_subscription_requests_are_rate_limited_per_client(app, client, mailing):
    app.config["SUBSCRIBE_RATE_LIMIT"] = "3 per minute"
    answers = [subscribe(client, f"u{n}@example.com").status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]


def test_confirmation_tokens_expire(app, client, mailing, now):
    subscribe(client, "ida@example.com")
    deliver(app)
    app.config["SUBSCRIPTION_CONFIRM_HOURS"] = 1
    [path] = [p for p in links_in(mailing.to("ida@example.com")[0]) if "/confirm/" in p]
    with pinned(now + timedelta(hours=1, seconds=1)):
        answer = client.get(path)
    assert answer.status_code == 400
    assert "expired" in answer.get_data(as_text=True)


def test_confirmation_tokens_work_until_they_expire(app, client, mailing, now):
    subscribe(client, "ida@example.com")
    deliver(app)
    app.config["SUBSCRIPTION_CONFIRM_HOURS"] = 1
    [path] = [p for p in links_in(mailing.to("ida@example.com")[0]) if "/confirm/" in p]
    with pinned(now + timedelta(minutes=59)):
        assert client.get(path).status_code == 200


def test_pending_deliveries_are_cancelled_by_unsubscribing(app, client, mailing):
    subscribe_and_confirm(app, client, mailing, "jo@example.com")
    publish(app, body="Queued before leaving.")
    with app.app_context():
        subscriber = db.session.scalar(sa.select(Subscriber).filter_by(address="jo@example.com"))
        from statuspage.services import subscriptions

        subscriptions.unsubscribe(subscriber, now=NOW + timedelta(minutes=1))
        db.session.commit()
    deliver(app)
    assert not any("Queued before leaving." in text_part(m) for m in mailing.to("jo@example.com"))
    with app.app_context():
        states = db.session.scalars(
            sa.select(Delivery.state).where(Delivery.update_id.is_not(None))
        ).all()
        assert states == [DeliveryState.CANCELLED]


# Bad input: each refused with a clear message and nothing written.


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("not-an-address", "not a valid email address"),
        ("ann@", "not a valid email address"),
        ("ann@example", "not a valid email address"),
        ("ann@example.com\r\nBcc: all@example.com", "characters that are not allowed"),
        ("ann@example.com\nBcc: all@example.com", "characters that are not allowed"),
        ("Ann <ann@example.com>", "not a valid email address"),
        ("a" * 250 + "@example.com", "too long"),
        ("", "Email address is required."),
    ],
)
def test_bad_addresses_are_refused_with_a_message(app, client, mailing, address, message):
    answer = subscribe(client, address)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


def test_a_component_that_is_not_a_number_is_refused(client, mailing):
    token = csrf_token_from(client.get("/subscribe").get_data(as_text=True))
    answer = client.post(
        "/subscribe", data={"email": "x@example.com", "components": "1 OR 1=1", "csrf_token": token}
    )
    assert answer.status_code == 400
    assert "could not be coerced" in answer.get_data(as_text=True)


def test_subscribing_without_the_form_token_is_refused(client, mailing):
    answer = client.post("/subscribe", data={"email": "x@example.com"})
    assert answer.status_code == 400


def test_a_used_confirmation_link_says_already_subscribed(app, client, mailing):
    subscribe(client, "kim@example.com")
    deliver(app)
    [path] = [p for p in links_in(mailing.to("kim@example.com")[0]) if "/confirm/" in p]
    page = client.get(path)
    token = csrf_token_from(page.get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token}).status_code == 200
    for again in (client.post(path, data={"csrf_token": token}), client.get(path)):
        assert again.status_code == 200
        html = again.get_data(as_text=True)
        assert "You’re already subscribed" in html and "/subscriptions/manage/" in html
        assert "InvalidLink" not in html and "Error 400" not in html
    with app.app_context():
        assert db.session.scalar(sa.select(Subscriber)).receives


def test_a_newer_confirmation_link_voids_the_older_one(app, client, mailing):
    subscribe(client, "lee@example.com")
    deliver(app)
    subscribe(client, "lee@example.com")
    deliver(app)
    old, new = (
        next(p for p in links_in(m) if "/confirm/" in p) for m in mailing.to("lee@example.com")
    )
    assert client.get(old).status_code == 400
    assert client.get(new).status_code == 200


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature
        lambda token: "WzEsImZvcmdlZCJd." + token.split(".", 1)[1],  # payload swapped
        lambda token: "garbage",
    ],
)
def test_a_forged_confirmation_link_is_refused(app, client, mailing, mangle):
    subscribe(client, "max@example.com")
    deliver(app)
    [path] = [p for p in links_in(mailing.to("max@example.com")[0]) if "/confirm/" in p]
    prefix, token = path.rsplit("/", 1)
    answer = client.get(f"{prefix}/{mangle(token)}")
    assert answer.status_code == 400
    assert "This link is not valid" in answer.get_data(as_text=True)


def test_a_forged_unsubscribe_link_is_refused_and_unsubscribes_nobody(app, client, mailing):
    subscribe_and_confirm(app, client, mailing, "ned@example.com")
    answer = client.post("/subscriptions/unsubscribe/WzEsImFhYWEiXQ.forged")
    assert answer.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(Subscriber)).receives


def test_the_subscribe_partial_renders_a_form_the_public_page_can_include(app):
    with app.test_request_context("/"):
        from flask import render_template_string

        html = render_template_string('{% include "subscriptions/_subscribe_form.html" %}')
    assert 'action="/subscribe"' in html and 'name="csrf_token"' in html
    assert 'type="email"' in html


def test_the_public_page_links_to_the_subscription_form(app, client):
    with app.app_context():
        audience("customers")  # the built-in audiences exist
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'href="http://status.test/subscribe"' in page
    assert client.get("/subscribe").status_code == 200
