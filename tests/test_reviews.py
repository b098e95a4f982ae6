"""Review that does not stall: the reviewers are emailed as soon as an update waits for them, and a
reviewer can send it back to its author with what to change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core.clock import pinned, utcnow
from statuspage.extensions import db
from statuspage.models import (
    Delivery,
    Role,
    RosterRole,
    Severity,
    TimelineEvent,
    Update,
    UpdateState,
)
from tests.console import act_as, csrf_token
from tests.factories import audience, make_incident, make_user
from tests.mail import text_part
from tests.outbox import deliver


@pytest.fixture
def review(app, client, mail_sink):
    """A SEV1 with Lia as customer liaison and Cora as its commander; Ben, another commander, is
    not on it. Lia sends a customers update for review."""
    app.config["SMTP_URL"] = mail_sink.url
    with app.app_context():
        lia = make_user(Role.LIAISON, name="Lia", email="lia@example.com")
        cora = make_user(Role.COMMANDER, name="Cora", email="cora@example.com")
        ben = make_user(Role.COMMANDER, name="Ben", email="ben@example.com")
        incident = make_incident(
            severity=Severity.SEV1,
            title="Checkout failing",
            roster=[(RosterRole.CUSTOMER_LIAISON, lia), (RosterRole.COMMANDER, cora)],
        )
        db.session.commit()
        ids = {"lia": lia.id, "cora": cora.id, "ben": ben.id, "incident": incident.id}
        customers, version = audience("customers").id, incident.version
    act_as(client, ids["lia"])
    answer = client.post(
        f"/admin/incidents/{ids['incident']}/compose",
        data={
            "csrf_token": csrf_token(client),
            "version": version,
            "status": "identified",
            "action": "publish",
            f"audience-{customers}-send": "on",
            f"audience-{customers}-title": "Checkout failing",
            f"audience-{customers}-body": "We found the cause.",
        },
    )
    assert answer.status_code == 302
    with app.app_context():
        ids["update"] = db.session.scalars(sa.select(Update.id)).one()
    return ids


def asked_to_review(sink, address):
    return [m for m in sink.to(address) if m["Subject"].startswith("Review:")]


def test_the_incident_commander_is_emailed_when_an_update_waits_for_review(app, mail_sink, review):
    deliver(app)
    [email] = asked_to_review(mail_sink, "cora@example.com")
    assert "Customers" in email["Subject"]
    text = text_part(email)
    assert "Lia wrote an update to Customers" in text and "We found the cause." in text
    assert f"/admin/updates/{review['update']}" in text
    assert asked_to_review(mail_sink, "lia@example.com") == []  # never the author
    # The incident's own commander is asked first.
    assert asked_to_review(mail_sink, "ben@example.com") == []


def _send_for_review_again(app, client, review, body: str):
    with app.app_context():
        version = db.session.get(Update, review["update"]).version
    with pinned(utcnow() + timedelta(minutes=3)):
        answer = client.post(
            f"/admin/updates/{review['update']}",
            data={"csrf_token": csrf_token(client), "version": version, "action": "submit",
                  "title": "Checkout failing", "body": body},
        )  # fmt: skip
    assert answer.status_code == 302


def review_requests_to(app, address: str) -> int:
    """Review emails queued for this address (sent or not yet)."""
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Delivery)
            .where(Delivery.recipient == address, Delivery.dedupe_key.contains("review:"))
        )


def test_sending_it_for_review_again_unchanged_asks_nobody_twice(app, client, review):
    _send_for_review_again(app, client, review, "We found the cause.")
    assert review_requests_to(app, "cora@example.com") == 1


def test_sending_it_again_changed_asks_the_reviewers_again(app, client, review):
    _send_for_review_again(app, client, review, "We found the cause: a bad deploy.")
    assert review_requests_to(app, "cora@example.com") == 2


def test_without_a_lead_who_may_approve_everyone_who_may_is_asked(app, mail_sink):
    app.config["SMTP_URL"] = mail_sink.url
    with app.app_context():
        from statuspage.services.incidents import publishing

        lia = make_user(Role.LIAISON, name="Lia", email="lia@example.com")
        make_user(Role.COMMANDER, name="Ben", email="ben@example.com")
        make_user(Role.ADMIN, name="Ada", email="ada@example.com")
        make_user(Role.VIEWER, name="Val", email="val@example.com")
        incident = make_incident(
            severity=Severity.SEV1, roster=[(RosterRole.CUSTOMER_LIAISON, lia)]
        )
        draft = publishing.add_draft(
            incident, audience("customers"), body="Looking.", by=lia, now=incident.started_at
        )
        publishing.submit_for_review(draft, by=lia, now=incident.started_at)
        db.session.commit()
    deliver(app)
    asked = {m["To"] for m in mail_sink.messages if m["Subject"].startswith("Review:")}
    assert any("ben@example.com" in a for a in asked) and any("ada@example.com" in a for a in asked)
    assert not any("val@example.com" in a or "lia@example.com" in a for a in asked)


def test_a_reviewer_sends_it_back_with_what_to_change(app, client, mail_sink, review):
    act_as(client, review["cora"])
    answer = client.post(
        f"/admin/updates/{review['update']}/changes",
        data={"csrf_token": csrf_token(client), "comment": "Say which card brands fail."},
    )
    assert answer.status_code == 302
    with app.app_context():
        update = db.session.get(Update, review["update"])
        assert update.state is UpdateState.DRAFT
        messages = db.session.scalars(sa.select(TimelineEvent.message)).all()
    assert "Cora sent the Customers update back: Say which card brands fail." in messages
    deliver(app)
    [email] = [m for m in mail_sink.to("lia@example.com") if "Changes asked" in m["Subject"]]
    assert "Say which card brands fail." in text_part(email)


def test_sending_back_needs_a_comment(app, client, review):
    act_as(client, review["cora"])
    answer = client.post(
        f"/admin/updates/{review['update']}/changes",
        data={"csrf_token": csrf_token(client), "comment": "  "},
    )
    assert answer.status_code == 422 and "Comment is required" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Update, review["update"]).state is UpdateState.IN_REVIEW


def test_the_author_cannot_send_their_own_update_back(app, client, review):
    with app.app_context():
        db.session.get(Update, review["update"]).author_id = review["cora"]
        db.session.commit()
    act_as(client, review["cora"])
    answer = client.post(
        f"/admin/updates/{review['update']}/changes",
        data={"csrf_token": csrf_token(client), "comment": "Nope."},
    )
    assert answer.status_code == 403


def test_the_review_page_offers_request_changes_to_the_reviewer_only(app, client, review):
    assert "Request changes" not in client.get(f"/admin/updates/{review['update']}").text
    act_as(client, review["cora"])
    assert "Request changes" in client.get(f"/admin/updates/{review['update']}").text
