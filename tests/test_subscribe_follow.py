"""Following the page (issue 15): the one subscribe page, following one incident until it resolves,
what the emails say (subject, components, next update), and links that no longer work.

Mail goes through a real SMTP server on 127.0.0.1 (tests/mail.py); the worker runs as the
scheduler runs it.
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
    Incident,
    IncidentStatus,
    Severity,
    Subscriber,
)
from statuspage.services.outbox.messages import subject_for
from tests.factories import NOW, make_component, make_group, make_incident, make_maintenance
from tests.factories import make_published as published
from tests.helpers import csrf_token_from, page_zone
from tests.mail import SUBSCRIPTION_LINK, html_part, text_part
from tests.outbox import deliver


def subscribe(client, email, components=(), incident=None):
    page = "/subscribe" + (f"?incident={incident}" if incident else "")
    data = {"email": email, "components": [str(c) for c in components]}
    if incident:
        data["incident"] = str(incident)
    data["csrf_token"] = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post("/subscribe", data=data)


def link_in(message, kind):
    return next(p for p in SUBSCRIPTION_LINK.findall(text_part(message)) if f"/{kind}/" in p)


def confirm(client, message):
    path = link_in(message, "confirm")
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})


def follow(app, client, sink, email, **how):
    assert subscribe(client, email, **how).status_code == 200
    deliver(app)
    confirmation = sink.to(email)[-1]
    assert confirm(client, confirmation).status_code == 200
    return confirmation


def declare(app, title, affected=None, severity=Severity.SEV3):
    with app.app_context():
        components = {db.session.get(Component, c): s for c, s in (affected or {}).items()}
        incident = make_incident(severity=severity, title=title, affected=components)
        db.session.commit()
        return incident.id


def tell(app, incident_id, body, status=None, at=None):
    """Publish an update to customers (the public) about the incident."""
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        published(incident, "customers", body=body, status=status, now=at or NOW)
        db.session.commit()


def components(app, *names, group=None):
    with app.app_context():
        made_group = make_group(group) if group else None
        ids = [make_component(name, group=made_group).id for name in names]
        db.session.commit()
        return ids


def bodies(sink, address):
    return [text_part(message) for message in sink.to(address)]


# What the emails say.


@pytest.mark.parametrize(
    ("status", "subject"),
    [
        (IncidentStatus.INVESTIGATING, "[Investigating] Card payments failing"),
        (IncidentStatus.IDENTIFIED, "[Identified] Card payments failing"),
        (IncidentStatus.MONITORING, "[Monitoring] Card payments failing"),
        (IncidentStatus.RESOLVED, "[Resolved] Card payments failing"),
        (IncidentStatus.SCHEDULED, "[Scheduled] Card payments failing"),
        (IncidentStatus.IN_PROGRESS, "[In progress] Card payments failing"),
        (IncidentStatus.COMPLETED, "[Completed] Card payments failing"),
    ],
)
def test_a_subject_is_the_status_in_brackets_then_the_name(status, subject):
    assert subject_for(status, "Card payments failing") == subject


def test_an_update_email_has_its_status_components_and_next_update(app, client, mailing):
    api, dashboard = components(app, "Card API", "Dashboard")
    follow(app, client, mailing, "ann@example.com")
    incident = declare(
        app,
        "Card payments failing",
        {api: ComponentStatus.MAJOR_OUTAGE, dashboard: ComponentStatus.DEGRADED_PERFORMANCE},
    )
    tell(app, incident, "Payments fail for some cards.")
    deliver(app)
    message = mailing.to("ann@example.com")[-1]
    assert message["Subject"] == "[Investigating] Card payments failing"
    promised = format_time(NOW + timedelta(hours=2), page_zone())  # SEV3's customers cadence
    for part in (text_part(message), html_part(message)):
        assert "Card API" in part and "Major outage" in part
        assert "Dashboard" in part and "Degraded performance" in part
        assert part.count(f"Next update by {promised}") == 1


def test_the_resolved_email_says_so_and_promises_nothing(app, client, mailing):
    [api] = components(app, "Card API")
    follow(app, client, mailing, "bo@example.com")
    incident = declare(app, "Card payments failing", {api: ComponentStatus.MAJOR_OUTAGE})
    tell(app, incident, "Looking.")
    tell(app, incident, "Fixed.", status=IncidentStatus.RESOLVED, at=NOW + timedelta(minutes=5))
    deliver(app, now=NOW + timedelta(minutes=5))
    [resolved] = [m for m in mailing.to("bo@example.com") if "Fixed." in text_part(m)]
    assert resolved["Subject"] == "[Resolved] Card payments failing"
    for part in (text_part(resolved), html_part(resolved)):
        assert "Next update" not in part
        assert "Card API" in part


def test_maintenance_emails_carry_the_windows_status(app, client, mailing):
    follow(app, client, mailing, "cy@example.com")
    with app.app_context():
        window = make_maintenance(title="Database upgrade").id
        db.session.commit()
    tell(app, window, "Planned.", status=IncidentStatus.SCHEDULED)
    tell(app, window, "Started.", status=IncidentStatus.IN_PROGRESS)
    tell(app, window, "Done.", status=IncidentStatus.COMPLETED)
    deliver(app)
    subjects = {m["Subject"] for m in mailing.to("cy@example.com")[1:]}  # sent side by side
    assert subjects == {
        "[Scheduled] Database upgrade",
        "[In progress] Database upgrade",
        "[Completed] Database upgrade",
    }


def test_the_confirmation_email_lists_the_chosen_components(app, client, mailing):
    api, _, search = components(app, "Card API", "Dashboard", "Search")
    subscribe(client, "dee@example.com", [api, search])
    subscribe(client, "eve@example.com")
    deliver(app)
    [chosen] = mailing.to("dee@example.com")
    [everything] = mailing.to("eve@example.com")
    for part in (text_part(chosen), html_part(chosen)):
        assert "Card API, Search" in part and "Dashboard" not in part
    assert "all components" in text_part(everything)


# The subscribe page.


def test_the_subscribe_page_wears_the_public_header_and_offers_every_way(app, client, mailing):
    components(app, "Card API", "Dashboard", group="Payments")
    html = client.get("/subscribe").get_data(as_text=True)
    assert "Sign in" not in html and "Current status" in html
    for link in ("/history.atom", "/history.rss", "/updates.atom", "/maintenance.ics"):
        assert f'href="{link}"' in html
    assert 'href="/docs/webhooks"' in html
    # Grouped as the page groups them, each checkbox with its own label.
    assert re.search(r"<fieldset class=\"choices__group\"><legend>Payments</legend>", html)
    ids = re.findall(r'<input type="checkbox" class="choice__box" id="([\w-]+)"', html)
    assert len(ids) == 2
    for checkbox in ids:
        assert f'<label class="choice__label" for="{checkbox}">' in html


def test_the_console_subscriber_form_groups_components_as_checkboxes(app, client, mailing):
    from statuspage.models import Role
    from tests.console import act_as
    from tests.factories import make_user

    components(app, "Card API", group="Payments")
    with app.app_context():
        admin = make_user(Role.ADMIN).id
        db.session.commit()
    act_as(client, admin)
    html = client.get("/admin/subscribers/new").get_data(as_text=True)
    assert "css/subscribe.css" in html and 'class="choice__box"' in html
    assert "<legend>Payments</legend>" in html


# Following one incident.


def test_the_public_incident_page_links_to_following_it_until_it_resolves(app, client):
    incident = declare(app, "Card payments failing")
    tell(app, incident, "Looking.")
    html = client.get(f"/incidents/{incident}").get_data(as_text=True)
    assert f'href="http://status.test/subscribe?incident={incident}"' in html
    assert "Subscribe to this incident" in html
    tell(app, incident, "Fixed.", status=IncidentStatus.RESOLVED, at=NOW + timedelta(minutes=1))
    assert "Subscribe to this incident" not in client.get(f"/incidents/{incident}").text


def test_following_one_incident_gets_its_updates_only_and_ends_at_resolve(app, client, mailing):
    payments = declare(app, "Card payments failing")
    tell(app, payments, "Looking.")
    other = declare(app, "Search slow")
    tell(app, other, "Other news.")
    page = client.get(f"/subscribe?incident={payments}").get_data(as_text=True)
    assert "Card payments failing" in page and 'name="components"' not in page
    confirmation = follow(app, client, mailing, "fay@example.com", incident=payments)
    assert "this incident only: Card payments failing" in text_part(confirmation)

    tell(app, payments, "Found it.", status=IncidentStatus.IDENTIFIED)
    tell(app, other, "Search news.")
    later = NOW + timedelta(minutes=5)
    tell(app, payments, "Fixed.", status=IncidentStatus.RESOLVED, at=later)
    tell(app, payments, "A late word.", at=later + timedelta(minutes=1))
    deliver(app, now=later + timedelta(minutes=1))
    received = {m["Subject"] for m in mailing.to("fay@example.com")[1:]}
    assert received == {"[Identified] Card payments failing", "[Resolved] Card payments failing"}
    assert not any(
        "Search news." in body or "A late word." in body
        for body in bodies(mailing, "fay@example.com")
    )
    with app.app_context():
        subscriber = db.session.scalar(sa.select(Subscriber).filter_by(address="fay@example.com"))
        assert subscriber.ended_at is not None and not subscriber.receives


def test_an_incident_follower_unsubscribes_with_the_link_in_its_emails(app, client, mailing):
    incident = declare(app, "Card payments failing")
    tell(app, incident, "Looking.")
    follow(app, client, mailing, "gus@example.com", incident=incident)
    tell(app, incident, "Found it.", status=IncidentStatus.IDENTIFIED)
    deliver(app)
    update = mailing.to("gus@example.com")[-1]
    assert client.post(link_in(update, "unsubscribe")).status_code == 200
    tell(app, incident, "Still on it.", status=IncidentStatus.MONITORING)
    deliver(app)
    assert mailing.to("gus@example.com")[-1] is update


def test_an_incident_follower_has_no_components_to_choose(app, client, mailing):
    [api] = components(app, "Card API")
    incident = declare(app, "Card payments failing")
    tell(app, incident, "Looking.")
    follow(app, client, mailing, "lou@example.com", incident=incident)
    tell(app, incident, "Found it.", status=IncidentStatus.IDENTIFIED)
    deliver(app)
    manage = link_in(mailing.to("lou@example.com")[-1], "manage")
    page = client.get(manage)
    assert "Card payments failing" in page.text and 'name="components"' not in page.text
    token = csrf_token_from(client.get("/subscribe").text)  # the session's, as a crafted form
    answer = client.post(manage, data={"components": [str(api)], "csrf_token": token})
    assert answer.status_code == 422 and "follows one incident" in answer.text


def test_an_address_may_follow_everything_and_one_incident_besides(app, client, mailing):
    incident = declare(app, "Card payments failing")
    tell(app, incident, "Looking.")
    follow(app, client, mailing, "hal@example.com")
    follow(app, client, mailing, "hal@example.com", incident=incident)
    with app.app_context():
        rows = db.session.scalars(sa.select(Subscriber).filter_by(address="hal@example.com"))
        assert sorted((s.incident_id or 0, s.receives) for s in rows) == [
            (0, True),
            (incident, True),
        ]
    tell(app, incident, "Found it.", status=IncidentStatus.IDENTIFIED)
    deliver(app)
    # Two subscriptions, two emails: each says what it follows in its footer links.
    assert sum("Found it." in body for body in bodies(mailing, "hal@example.com")) == 2


def test_a_resolved_incident_cannot_be_followed(app, client, mailing):
    incident = declare(app, "Card payments failing")
    tell(app, incident, "Fixed.", status=IncidentStatus.RESOLVED)
    page = client.get(f"/subscribe?incident={incident}")
    assert page.status_code == 200 and "resolved: there will be no more updates" in page.text
    answer = subscribe(client, "ida@example.com", incident=incident)
    assert answer.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


@pytest.mark.parametrize("incident", ["999999", "abc", "1" * 20, "-1"])
def test_an_unknown_incident_is_not_found_in_words(app, client, mailing, incident):
    answer = client.get(f"/subscribe?incident={incident}")
    assert answer.status_code == 404
    assert "There is no such incident on this status page." in answer.text
    assert "NotFound" not in answer.text


# Links that no longer work.


def test_an_expired_confirmation_link_says_so_and_offers_to_subscribe_again(app, client, mailing):
    subscribe(client, "jo@example.com")
    deliver(app)
    app.config["SUBSCRIPTION_CONFIRM_HOURS"] = 1
    path = link_in(mailing.to("jo@example.com")[0], "confirm")
    with pinned(NOW + timedelta(hours=2)):
        answer = client.get(path)
    assert answer.status_code == 400
    assert "This confirmation link has expired." in answer.text
    assert 'href="/subscribe">Subscribe again' in answer.text
    assert "InvalidLink" not in answer.text and "Sign in" not in answer.text


def test_a_used_link_opened_after_it_expired_still_says_already_subscribed(app, client, mailing):
    confirmation = follow(app, client, mailing, "kit@example.com")
    app.config["SUBSCRIPTION_CONFIRM_HOURS"] = 1
    with pinned(NOW + timedelta(days=3)):
        answer = client.get(link_in(confirmation, "confirm"))
    assert answer.status_code == 200
    assert "You’re already subscribed" in answer.text and "/subscriptions/manage/" in answer.text


@pytest.mark.parametrize("kind", ["confirm", "manage", "unsubscribe"])
def test_a_forged_link_says_so_in_words(client, mailing, kind):
    answer = client.get(f"/subscriptions/{kind}/WzEsImFhYWEiXQ.forged")
    assert answer.status_code == 400
    assert "This link is not valid" in answer.text and "Subscribe again" in answer.text
    assert "InvalidLink" not in answer.text and "BadSignature" not in answer.text
