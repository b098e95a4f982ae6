"""Signing in and out: right and wrong credentials, CSRF, throttling, cookies and sessions."""

from datetime import timedelta

import pytest

from statuspage.core.errors import TooManyAttempts
from statuspage.extensions import db
from statuspage.models import Role
from statuspage.services import signin
from statuspage.services.signin import ThrottlePolicy
from tests.factories import NOW, PASSWORD, make_user
from tests.helpers import csrf_token_from, sign_in


@pytest.fixture
def admin(app):
    with app.app_context():
        user = make_user(Role.ADMIN, email="admin@example.com", password=PASSWORD)
        db.session.commit()
        return user.email


def error_text(response):
    html = response.get_data(as_text=True)
    return html[html.index('role="alert"') : html.index("</div>", html.index('role="alert"'))]


def test_the_right_password_signs_in_and_opens_the_console(client, admin):
    response = sign_in(client, admin, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client, admin):
    wrong = sign_in(client, admin, "not the password")
    unknown = sign_in(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert error_text(wrong) == error_text(unknown)
    assert signin.BAD_CREDENTIALS in error_text(wrong)


def test_a_missing_csrf_token_is_refused_with_the_same_kind_of_message(client, admin):
    response = client.post("/login", data={"email": admin, "password": PASSWORD})
    assert response.status_code == 400
    assert signin.BAD_CREDENTIALS in error_text(response)
    assert client.get("/admin/").status_code == 302  # still signed out


def test_the_sixth_rapid_failure_for_an_account_gets_429(client, admin):
    for _ in range(5):
        assert sign_in(client, admin, "wrong password!").status_code == 401
    refused = sign_in(client, admin, "wrong password!")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # Even the right password is refused while the account is locked.
    assert sign_in(client, admin, PASSWORD).status_code == 429


def test_a_locked_account_says_nothing_about_whether_it_exists(client, admin):
    for email in (admin, "ghost@example.com"):
        for _ in range(5):
            sign_in(client, email, "wrong password!")
    assert error_text(sign_in(client, admin, "x")) == error_text(
        sign_in(client, "ghost@example.com", "x")
    )


def test_one_address_guessing_many_accounts_is_refused(app, client):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 8
    for number in range(8):
        sign_in(client, f"user{number}@example.com", "wrong password!")
    assert sign_in(client, "another@example.com", "wrong password!").status_code == 429


def test_failures_slow_the_answers_down_more_each_time(ctx):
    policy = ThrottlePolicy(timedelta(minutes=15), 5, 20, slowdown_seconds=0.25)
    delays = []
    for attempt in range(4):
        with pytest.raises(signin.InvalidCredentials) as failure:
            signin.sign_in(
                "a@example.com",
                "bad",
                address="10.0.0.1",
                now=NOW + timedelta(seconds=attempt),
                policy=policy,
            )
        delays.append(failure.value.delay)
    assert delays == [0.0, 0.25, 0.5, 1.0]


def test_the_lock_lifts_after_the_window(ctx):
    policy = ThrottlePolicy(timedelta(minutes=15), 2, 20, slowdown_seconds=0)
    make_user(email="a@example.com", password=PASSWORD)
    for _ in range(2):
        with pytest.raises(signin.InvalidCredentials):
            signin.sign_in("a@example.com", "bad", address="10.0.0.1", now=NOW, policy=policy)
    with pytest.raises(TooManyAttempts):
        signin.sign_in("a@example.com", PASSWORD, address="10.0.0.1", now=NOW, policy=policy)
    later = NOW + timedelta(minutes=16)
    assert signin.sign_in("a@example.com", PASSWORD, address="10.0.0.1", now=later, policy=policy)


def test_a_deactivated_account_cannot_sign_in(app, client, admin):
    with app.app_context():
        from statuspage.services.accounts import find_user

        find_user(admin).is_active = False
        db.session.commit()
    assert sign_in(client, admin, PASSWORD).status_code == 401


def test_deactivating_an_account_ends_its_session_at_once(app, client, admin):
    sign_in(client, admin, PASSWORD)
    with app.app_context():
        from statuspage.services.accounts import find_user

        find_user(admin).is_active = False
        db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_logout_is_post_only(client, admin):
    sign_in(client, admin, PASSWORD)
    assert client.get("/logout").status_code == 405
    assert client.get("/admin/").status_code == 200


def test_logout_signs_out(client, admin):
    sign_in(client, admin, PASSWORD)
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_logout_without_a_csrf_token_is_refused(client, admin):
    sign_in(client, admin, PASSWORD)
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200


def test_the_next_parameter_only_leads_to_this_site(client, admin):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=//evil.example/",
        data={"email": admin, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/admin/"


def test_the_session_cookie_is_httponly_and_samesite_lax(client, admin):
    response = sign_in(client, admin, PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_on_https(app, client, admin):
    app.config["SESSION_COOKIE_SECURE"] = True  # as BASE_URL=https://... sets it (test_config)
    response = sign_in(client, admin, PASSWORD)
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_console_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_passwords_are_stored_as_argon2id_hashes(ctx):
    user = make_user(password=PASSWORD)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
