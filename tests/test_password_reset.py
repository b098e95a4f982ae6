"""An admin's password reset shows no password: the old one stops working, the person's sessions
end, and they are emailed a link (the invitation's: once, expiring) to choose a new one."""

from __future__ import annotations

import pytest

from statuspage.extensions import db
from statuspage.models import Role
from tests.console import act_as
from tests.factories import PASSWORD, make_user
from tests.helpers import sign_in
from tests.mail import text_part
from tests.test_invitations import (
    NEW_PASSWORD,
    accept,
    emailed_after_admin_posts,
    invitation_path,
)

LIAISON = "lia@example.com"


@pytest.fixture
def reset(app, client, mail_sink):
    """Ada resets Lia's password; the page Ada sees, and the email Lia receives."""
    with app.app_context():
        lia_id = make_user(Role.LIAISON, email=LIAISON, name="Lia", password=PASSWORD).id
        db.session.commit()
    answer, message = emailed_after_admin_posts(
        app, client, mail_sink, f"/admin/users/{lia_id}/password", {}, to=LIAISON
    )
    page = client.get(answer.headers["Location"]).text
    act_as(client, None)
    return {"answer": answer, "page": page, "message": message}


def test_the_admin_sees_no_password_only_that_a_link_was_sent(reset):
    assert reset["answer"].status_code == 302
    assert f"a link to choose a new one is emailed to {LIAISON}" in reset["page"]
    assert "<code" not in reset["page"]


def test_the_email_says_who_reset_it(reset):
    assert reset["message"]["Subject"] == "Choose a new password for the Acme Status console"
    assert "Ada reset your password" in text_part(reset["message"])
    assert PASSWORD not in text_part(reset["message"])


def test_the_old_password_stops_working_at_once(client, reset):
    assert sign_in(client, LIAISON, PASSWORD).status_code == 401


def test_the_link_sets_a_new_password_once(app, client, reset):
    path = invitation_path(reset["message"])
    assert accept(client, path).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert accept(app.test_client(), path, password="another long password").status_code == 400
    assert sign_in(app.test_client(), LIAISON, NEW_PASSWORD).status_code == 302
