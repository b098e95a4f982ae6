"""The second factor: TOTP enrolled with a QR code, a code after the password (good once, throttled
like passwords), recovery codes, required for admins, and an admin's audited reset."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from statuspage.core.clock import utcnow
from statuspage.core.config import ConfigurationError
from statuspage.extensions import db
from statuspage.models import AuditEntry, Role, User
from statuspage.services.identity import second_factor
from tests.console import act_as, csrf_token
from tests.factories import PASSWORD, make_user
from tests.helpers import TEST_SECRET_KEY, csrf_token_from

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def admins_need_it(app):
    app.config["SECOND_FACTOR_ROLES"] = second_factor.roles_needing_it(["admin"])


@pytest.fixture
def enrolled(app):
    """Ada, an admin whose second factor is set up; her recovery codes."""
    with app.app_context():
        ada = make_user(Role.ADMIN, email="ada@example.com", name="Ada", password=PASSWORD)
        earlier = utcnow() - timedelta(minutes=2)  # enrolled a few steps before the sign-ins
        codes = second_factor.enrol(ada, SECRET, code_at(-120), key=TEST_SECRET_KEY, now=earlier)
        db.session.commit()
        return {"id": ada.id, "codes": codes}


def code_at(seconds: float = 0) -> str:
    """The authenticator's code `seconds` from the test's now."""
    return pyotp.TOTP(SECRET).at(utcnow() + timedelta(seconds=seconds))


def password(client, email="ada@example.com", secret=PASSWORD):
    page = client.get("/login").text
    return client.post(
        "/login",
        data={"csrf_token": csrf_token_from(page), "email": email, "password": secret},
    )


def code(client, value):
    page = client.get("/login/code")
    token = csrf_token_from(page.text) if page.status_code == 200 else ""
    return client.post("/login/code", data={"csrf_token": token, "code": value})


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_a_password_alone_does_not_sign_in_an_enrolled_user(client, enrolled):
    answer = password(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/login/code"
    assert not signed_in(client)


def test_the_code_from_the_app_completes_the_sign_in(client, enrolled):
    password(client)
    answer = code(client, code_at())
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"
    assert signed_in(client)


def test_a_code_is_good_once(client, enrolled):
    password(client)
    value = code_at()
    code(client, value)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    password(client)
    assert code(client, value).status_code == 401
    assert not signed_in(client)


@pytest.mark.parametrize("wrong", ["000000", "12345", "abcdef", " ", "9" * 40])
def test_a_wrong_code_is_refused_in_words(client, enrolled, wrong):
    password(client)
    answer = code(client, wrong)
    assert answer.status_code in (400, 401)
    assert "code" in answer.text and not signed_in(client)


def test_a_code_a_step_early_or_late_still_counts_but_not_two(client, enrolled):
    password(client)
    assert code(client, code_at(-95)).status_code == 401
    assert code(client, code_at(-30)).status_code == 302


def test_the_code_step_expires_with_the_password_step(client, enrolled, app):
    password(client)
    with client.session_transaction() as session:
        passed = session["password_passed"]
        session["password_passed"] = {**passed, "at": passed["at"] - 301}
    assert code(client, code_at()).headers["Location"] == "/login"
    assert not signed_in(client)


def test_the_code_step_without_a_password_goes_back_to_the_sign_in(client, enrolled):
    assert code(client, code_at()).headers["Location"] == "/login"


def test_wrong_codes_are_throttled_like_passwords(client, enrolled, app):
    app.config["LOGIN_SLOWDOWN_SECONDS"] = 60
    password(client)
    answers = [code(client, "000000").status_code for _ in range(8)]
    assert answers[-1] == 429
    assert code(client, code_at()).status_code == 429  # even the right code waits


def test_a_recovery_code_signs_in_once(client, enrolled, app):
    password(client)
    assert code(client, enrolled["codes"][0]).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    password(client)
    assert code(client, enrolled["codes"][0]).status_code == 401
    with app.app_context():
        left = second_factor.recovery_codes_left(db.session.get(User, enrolled["id"]))
    assert left == second_factor.RECOVERY_CODES - 1


@pytest.mark.parametrize("page", ["/admin/incidents", "/internal"])
def test_an_admin_without_one_is_sent_to_set_it_up_first(app, client, admins_need_it, page):
    with app.app_context():
        admin_id = make_user(Role.ADMIN).id
        db.session.commit()
    act_as(client, admin_id)
    answer = client.get(page)
    assert (
        answer.status_code == 302 and answer.headers["Location"] == "/admin/profile/second-factor"
    )
    assert client.get("/admin/profile/second-factor").status_code == 200


def test_a_role_that_does_not_need_one_goes_on_without(app, client, admins_need_it):
    with app.app_context():
        viewer_id = make_user(Role.VIEWER).id
        db.session.commit()
    act_as(client, viewer_id)
    assert client.get("/admin/incidents").status_code == 200


def enrolment_secret(client) -> str:
    page = client.get("/admin/profile/second-factor").text
    return re.search(r'<code class="totp-secret">([A-Z2-7]+)</code>', page).group(1)


def test_enrolment_shows_a_qr_code_and_takes_a_code_then_recovery_codes(app, client):
    with app.app_context():
        user_id = make_user(Role.COMMANDER, email="cy@example.com").id
        db.session.commit()
    act_as(client, user_id)
    secret = enrolment_secret(client)
    qr = client.get("/admin/profile/second-factor/qr.svg")
    assert qr.mimetype == "image/svg+xml" and b"<script" not in qr.data
    assert qr.headers["Content-Security-Policy"].startswith("default-src 'none'")
    page = client.post(
        "/admin/profile/second-factor",
        data={"csrf_token": csrf_token(client), "code": pyotp.TOTP(secret).at(utcnow())},
    ).text
    codes = re.findall(r"<li><code>([0-9a-f]{8}-[0-9a-f]{8})</code></li>", page)
    assert len(codes) == second_factor.RECOVERY_CODES
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.has_second_factor and secret not in (user.totp_secret or "")


def test_enrolment_with_a_wrong_code_is_refused_and_keeps_the_secret(app, client):
    with app.app_context():
        user_id = make_user(Role.COMMANDER).id
        db.session.commit()
    act_as(client, user_id)
    secret = enrolment_secret(client)
    answer = client.post(
        "/admin/profile/second-factor", data={"csrf_token": csrf_token(client), "code": "000000"}
    )
    assert answer.status_code == 422 and "does not match" in answer.text
    assert enrolment_secret(client) == secret


def test_an_admin_reset_turns_it_off_ends_sessions_and_is_audited(app, client, enrolled):
    with app.app_context():
        boss = make_user(Role.ADMIN, name="Boss").id
        generation = db.session.get(User, enrolled["id"]).session_generation
        db.session.commit()
    act_as(client, boss)
    answer = client.post(
        f"/admin/users/{enrolled['id']}/second-factor/reset",
        data={"csrf_token": csrf_token(client)},
    )
    assert answer.status_code == 302
    with app.app_context():
        ada = db.session.get(User, enrolled["id"])
        assert not ada.has_second_factor and ada.session_generation == generation + 1
        assert second_factor.recovery_codes_left(ada) == 0
        audit = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "user.second_factor_reset")
        )
        assert audit.actor.name == "Boss" and audit.target_id == enrolled["id"]


def test_resetting_someone_without_one_is_refused_and_ends_nothing(app, client):
    with app.app_context():
        boss, viewer = make_user(Role.ADMIN).id, make_user(Role.VIEWER)
        generation, viewer_id = viewer.session_generation, viewer.id
        db.session.commit()
    act_as(client, boss)
    answer = client.post(
        f"/admin/users/{viewer_id}/second-factor/reset", data={"csrf_token": csrf_token(client)}
    )
    assert answer.status_code == 409 and "has no second factor" in answer.text
    with app.app_context():
        assert db.session.get(User, viewer_id).session_generation == generation


def test_only_admins_may_reset_someone_elses(app, client, enrolled):
    with app.app_context():
        commander = make_user(Role.COMMANDER).id
        db.session.commit()
    act_as(client, commander)
    answer = client.post(
        f"/admin/users/{enrolled['id']}/second-factor/reset",
        data={"csrf_token": csrf_token(client)},
    )
    assert answer.status_code == 403


def test_a_role_setting_that_names_no_role_is_refused_at_start():
    with pytest.raises(ConfigurationError, match="SECOND_FACTOR_ROLES"):
        second_factor.roles_needing_it(["admin", "root"])
