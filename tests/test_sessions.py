"""Ending sessions: a copied session cookie stops working after logout, a password change or
reset, deactivation and a role change; signing in again makes a session that works."""

import pytest
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie

from statuspage.extensions import db
from statuspage.models import Role
from statuspage.services.accounts import find_user
from tests.factories import PASSWORD, make_user
from tests.helpers import csrf_token_from, sign_in

ADMIN = "admin@example.com"
LIAISON = "liaison@example.com"


@pytest.fixture
def people(app):
    with app.app_context():
        make_user(Role.ADMIN, email=ADMIN, password=PASSWORD)
        make_user(Role.LIAISON, email=LIAISON, name="Lia", password=PASSWORD)
        db.session.commit()


def signed_in(app, email: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, email, PASSWORD).status_code == 302
    return client


def copy_of(app, client: FlaskClient) -> FlaskClient:
    """Another browser holding the same session cookie, as a thief who copied it would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/admin/").status_code == 200
    return thief


def signed_out(client: FlaskClient) -> bool:
    response = client.get("/admin/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def post(client: FlaskClient, path: str, **fields: str):
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def user_id(app, email: str) -> int:
    with app.app_context():
        return find_user(email).id


def edit_liaison(app, admin: FlaskClient, **fields: str):
    form = {"name": "Lia", "role": "liaison", "is_active": "y", **fields}
    response = post(admin, f"/admin/users/{user_id(app, LIAISON)}", **form)
    assert response.status_code == 302
    return response


def test_logging_out_ends_a_copy_of_the_session(app, people):
    browser = signed_in(app, LIAISON)
    thief = copy_of(app, browser)
    assert post(browser, "/logout").status_code == 302
    assert signed_out(thief)


def test_signing_in_again_after_logging_out_works(app, people):
    browser = signed_in(app, LIAISON)
    post(browser, "/logout")
    assert sign_in(browser, LIAISON, PASSWORD).status_code == 302
    assert browser.get("/admin/").status_code == 200


def test_an_admin_resetting_a_password_ends_that_persons_sessions(app, people):
    thief = copy_of(app, signed_in(app, LIAISON))
    admin = signed_in(app, ADMIN)
    assert post(admin, f"/admin/users/{user_id(app, LIAISON)}/password").status_code == 302
    assert signed_out(thief)
    assert admin.get("/admin/").status_code == 200


def test_an_admin_resetting_their_own_password_is_signed_out_everywhere(app, people):
    admin = signed_in(app, ADMIN)
    thief = copy_of(app, admin)
    assert post(admin, f"/admin/users/{user_id(app, ADMIN)}/password").status_code == 302
    assert signed_out(admin)  # a new password comes by email, as for anyone
    assert signed_out(thief)


def test_setting_a_password_from_the_command_line_ends_the_sessions(app, people, runner):
    thief = copy_of(app, signed_in(app, LIAISON))
    result = runner.invoke(args=["set-password", LIAISON, "--generate-password"])
    assert result.exit_code == 0, result.output
    assert signed_out(thief)


def test_deactivating_an_account_ends_its_sessions_for_good(app, people):
    thief = copy_of(app, signed_in(app, LIAISON))
    admin = signed_in(app, ADMIN)
    edit_liaison(app, admin, is_active="")
    assert signed_out(thief)
    edit_liaison(app, admin)  # active again: the old session stays ended
    assert signed_out(thief)


def test_changing_a_role_ends_the_sessions(app, people):
    thief = copy_of(app, signed_in(app, LIAISON))
    edit_liaison(app, signed_in(app, ADMIN), role="viewer")
    assert signed_out(thief)


def test_renaming_someone_keeps_their_sessions(app, people):
    browser = signed_in(app, LIAISON)
    edit_liaison(app, signed_in(app, ADMIN), name="Lia Liaison")
    assert browser.get("/admin/").status_code == 200


def test_a_remember_me_cookie_made_before_a_password_reset_no_longer_signs_in(app, people):
    with app.app_context():
        remembered = encode_cookie(find_user(LIAISON).get_id())
    admin = signed_in(app, ADMIN)
    post(admin, f"/admin/users/{user_id(app, LIAISON)}/password")
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert signed_out(thief)


def test_a_session_naming_only_the_user_id_is_not_accepted(app, people):
    thief = app.test_client()
    with thief.session_transaction() as session:
        session["_user_id"] = str(user_id(app, LIAISON))
    assert signed_out(thief)
