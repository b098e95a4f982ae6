"""Invitations instead of admin-typed passwords: the admin names an address and a role, the person
gets a link by email that works once and expires, and chooses their own password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.core import clock
from statuspage.extensions import db
from statuspage.models import AuditEntry, Role, User
from tests.console import act_as, csrf_token
from tests.factories import make_user
from tests.helpers import csrf_token_from
from tests.mail import text_part
from tests.outbox import deliver

NEW_PASSWORD = "a long password of my own"


def emailed_after_admin_posts(app, client, mail_sink, path, form, *, to):
    """Ada, an admin, posts a console form: her answer, and the one email `to` then receives."""
    app.config["SMTP_URL"] = mail_sink.url
    with app.app_context():
        admin_id = make_user(Role.ADMIN, name="Ada").id
        db.session.commit()
    act_as(client, admin_id)
    answer = client.post(path, data={"csrf_token": csrf_token(client), **form})
    assert answer.status_code == 302
    deliver(app)
    [message] = mail_sink.to(to)
    return answer, message


def invitation_path(message) -> str:
    return re.search(r"http://status\.test(/invitations/\S+)", text_part(message)).group(1)


@pytest.fixture
def invited(app, client, mail_sink):
    """An admin invites nina@example.com as a liaison; the link from the email she received."""
    form = {"email": "nina@example.com", "name": "Nina", "role": "liaison"}
    _, message = emailed_after_admin_posts(
        app, client, mail_sink, "/admin/users/new", form, to="nina@example.com"
    )
    act_as(client, None)
    return {"message": message, "path": invitation_path(message)}


def accept(client, path, password=NEW_PASSWORD, confirmation=None):
    page = client.get(path)
    token = csrf_token_from(page.text) if page.status_code == 200 else ""
    return client.post(
        path,
        data={
            "csrf_token": token,
            "password": password,
            "confirmation": password if confirmation is None else confirmation,
        },
    )


def test_the_invitation_email_names_who_invited_and_the_role(invited):
    assert invited["message"]["Subject"] == "You are invited to the Acme Status console"
    assert "Ada invited you to the console of Acme Status, as liaison." in text_part(
        invited["message"]
    )


def test_the_invited_account_cannot_sign_in_before_choosing_a_password(app, invited):
    with app.app_context():
        nina = db.session.scalar(sa.select(User).filter_by(email="nina@example.com"))
        assert nina.password_hash is None and nina.role is Role.LIAISON


def test_choosing_a_password_signs_the_person_in(client, invited):
    answer = accept(client, invited["path"])
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_link_works_once(client, invited):
    accept(client, invited["path"])
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    answer = client.get(invited["path"])
    assert answer.status_code == 400 and "used already" in answer.text
    assert accept(client, invited["path"], "another long password").status_code == 400


def test_the_link_expires(client, invited, app):
    later = clock.utcnow() + timedelta(hours=app.config["INVITATION_HOURS"], seconds=1)
    with clock.pinned(later):
        answer = client.get(invited["path"])
    assert answer.status_code == 400 and "has expired" in answer.text


@pytest.mark.parametrize("tampered", ["x", "Wzk5OSwwXQ.abc.def"])
def test_a_forged_link_says_so_in_words(client, invited, tampered):
    answer = client.get("/invitations/" + tampered)
    assert answer.status_code == 400 and "not valid" in answer.text
    assert "InvalidLink" not in answer.text


def test_a_short_or_mismatched_password_is_refused_and_the_link_still_works(client, invited):
    assert "at least 12 characters" in accept(client, invited["path"], "short").text
    assert "differ" in accept(client, invited["path"], NEW_PASSWORD, "something else!!").text
    assert accept(client, invited["path"]).status_code == 302


def test_inviting_and_accepting_are_audited(app, client, invited):
    accept(client, invited["path"])
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "user.invite" in actions and "user.invitation_accepted" in actions


def test_a_deactivated_invitee_cannot_use_the_link(app, client, invited):
    with app.app_context():
        nina = db.session.scalar(sa.select(User).filter_by(email="nina@example.com"))
        nina.is_active = False
        db.session.commit()
    assert "withdrawn" in client.get(invited["path"]).text
