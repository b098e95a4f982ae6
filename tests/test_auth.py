"""Signing in and out: right and wrong credentials, CSRF, throttling, cookies and sessions."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from statuspage.core.clock import pinned
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


@pytest.fixture
def slowing(app):
    """Throttle settings that make each wait easy to read: two free failures, then 30 s, 60 s ..."""
    app.config.update(
        LOGIN_FREE_FAILURES_PER_ACCOUNT_ADDRESS=2,
        LOGIN_SLOWDOWN_SECONDS=30,
        LOGIN_MAX_SLOWDOWN_SECONDS=900,
    )


@pytest.fixture
def no_sleeping(monkeypatch):
    def refuse(seconds):
        raise AssertionError(f"a request slept {seconds} s")

    monkeypatch.setattr(time, "sleep", refuse)


def test_failures_beyond_the_free_ones_are_answered_at_once_with_a_wait(
    client, admin, slowing, no_sleeping
):
    for _ in range(2):
        assert sign_in(client, admin, "wrong password!").status_code == 401
    slowed = sign_in(client, admin, "wrong password!")
    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "30"
    assert "30 seconds" in error_text(slowed)


def test_the_right_password_waits_too_from_the_client_that_failed(client, admin, slowing):
    for _ in range(2):
        sign_in(client, admin, "wrong password!")
    assert sign_in(client, admin, PASSWORD).status_code == 429
    with pinned(NOW + timedelta(seconds=30)):
        assert sign_in(client, admin, PASSWORD).status_code == 302


def test_each_further_failure_doubles_the_wait(client, admin, slowing, no_sleeping):
    for _ in range(2):
        sign_in(client, admin, "wrong password!")
    waits, moment = [], NOW
    for _ in range(4):
        with pinned(moment):
            waits.append(int(sign_in(client, admin, "wrong password!").headers["Retry-After"]))
        moment += timedelta(seconds=waits[-1])
        with pinned(moment):
            assert sign_in(client, admin, "wrong password!").status_code == 401
    assert waits == [30, 60, 120, 240]


def test_the_waits_stop_growing_at_the_maximum(app, client, admin, slowing):
    app.config["LOGIN_MAX_SLOWDOWN_SECONDS"] = 45
    for _ in range(2):
        sign_in(client, admin, "wrong password!")
    with pinned(NOW + timedelta(seconds=30)):
        sign_in(client, admin, "wrong password!")
        assert sign_in(client, admin, "wrong password!").headers["Retry-After"] == "45"


def test_failures_from_one_address_do_not_lock_the_account_out_elsewhere(client, admin, slowing):
    for _ in range(50):
        assert sign_in(client, admin, "wrong password!", address="10.6.6.6").status_code in {
            401,
            429,
        }
    assert sign_in(client, admin, PASSWORD, address="10.1.1.1").status_code == 302


def test_failures_on_one_account_from_many_addresses_slow_it_by_seconds_only(
    app, client, admin, no_sleeping
):
    app.config.update(
        LOGIN_FREE_FAILURES_PER_ACCOUNT=3,
        LOGIN_SLOWDOWN_SECONDS=1,
        LOGIN_MAX_ACCOUNT_SLOWDOWN_SECONDS=3,
    )
    for number in range(6):  # enough for the wait to reach its maximum
        answer = sign_in(client, admin, "wrong password!", address=f"10.0.0.{number}")
        assert answer.status_code == 401
    again = sign_in(client, admin, "wrong password!", address="10.0.0.5")
    assert again.status_code == 429 and again.headers["Retry-After"] == "3"
    assert sign_in(client, admin, PASSWORD, address="10.1.1.1").status_code == 302


def test_a_slowed_account_says_nothing_about_whether_it_exists(client, admin, slowing):
    answers = []
    for email in (admin, "ghost@example.com"):
        for _ in range(2):
            sign_in(client, email, "wrong password!")
        answers.append(sign_in(client, email, "x"))
    assert error_text(answers[0]) == error_text(answers[1])
    assert answers[0].headers["Retry-After"] == answers[1].headers["Retry-After"]


def test_one_address_guessing_many_accounts_is_slowed(app, client, no_sleeping):
    app.config.update(LOGIN_FREE_FAILURES_PER_ADDRESS=8, LOGIN_SLOWDOWN_SECONDS=30)
    for number in range(8):
        assert sign_in(client, f"user{number}@example.com", "wrong password!").status_code == 401
    slowed = sign_in(client, "another@example.com", "wrong password!")
    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "30"
    other = sign_in(client, "another@example.com", "wrong password!", address="10.1.1.1")
    assert other.status_code == 401


def test_addresses_in_one_ipv6_slash_64_count_as_one_address(app, client, no_sleeping):
    app.config.update(LOGIN_FREE_FAILURES_PER_ADDRESS=2, LOGIN_SLOWDOWN_SECONDS=30)
    for number in (1, 2):
        sign_in(
            client, f"user{number}@example.com", "wrong password!", address=f"2001:db8::{number}"
        )
    same_64 = sign_in(client, "another@example.com", "x", address="2001:db8::ffff:1")
    assert same_64.status_code == 429
    assert sign_in(client, "another@example.com", "x", address="2001:db8:0:1::1").status_code == 401


def test_signing_in_forgets_that_clients_failures(client, admin, slowing):
    sign_in(client, admin, "wrong password!")
    assert sign_in(client, admin, PASSWORD).status_code == 302
    for _ in range(2):
        assert sign_in(client, admin, "wrong password!").status_code == 401


def test_concurrent_failures_are_counted_one_by_one(app, admin):
    """Eight clients at one address failing at the same moment: five free failures, no more."""
    app.config.update(LOGIN_FREE_FAILURES_PER_ACCOUNT_ADDRESS=5, LOGIN_SLOWDOWN_SECONDS=60)
    clients = [app.test_client() for _ in range(8)]
    tokens = [csrf_token_from(c.get("/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))

    def attempt(index):
        start.wait()
        form = {"email": admin, "password": "wrong password!", "csrf_token": tokens[index]}
        return clients[index].post("/login", data=form).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        answers = sorted(pool.map(attempt, range(len(clients))))
    assert answers == [401] * 5 + [429] * 3


def test_a_verified_second_factor_gets_past_a_slowed_address(ctx):
    make_user(email="a@example.com", password=PASSWORD)
    policy = ThrottlePolicy(
        window=timedelta(minutes=15),
        free_failures_per_account_address=5,
        free_failures_per_address=1,
        free_failures_per_account=10,
        slowdown=timedelta(minutes=1),
        max_slowdown=timedelta(minutes=15),
        max_account_slowdown=timedelta(seconds=3),
    )
    with pytest.raises(signin.InvalidCredentials):
        attempt = signin.admit("x@example.com", address="10.0.0.1", now=NOW, policy=policy)
        signin.verify(attempt, "bad", now=NOW)
    with pytest.raises(TooManyAttempts):
        signin.admit("a@example.com", address="10.0.0.1", now=NOW, policy=policy)
    attempt = signin.admit(
        "a@example.com", address="10.0.0.1", now=NOW, policy=policy, second_factor=True
    )
    assert signin.verify(attempt, PASSWORD, now=NOW).email == "a@example.com"


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


# Each would leave this site, or smuggle a header or a path a browser reads as another host.
NEXT_ATTACKS = [
    "////evil.test",
    "//evil.test/",
    "///evil.test",
    "https://evil.test/",
    "http:evil.test",
    "javascript:alert(1)",
    "/\\evil.test",
    "\\\\evil.test",
    "/%5Cevil.test",
    "/%2F/evil.test",
    "%2F%2Fevil.test",
    "/%252F%252Fevil.test",
    "/\t/evil.test",
    " //evil.test",
    "/\r\nSet-Cookie: stolen=1",
    "/%0d%0aSet-Cookie:%20stolen=1",
    "/.//evil.test",
    "/admin/..//evil.test",
    "/\x00/evil.test",
    "/%00/evil.test",
    "https:/evil.test",
]


@pytest.mark.parametrize("target", NEXT_ATTACKS)
def test_the_next_parameter_never_leads_off_this_site(client, admin, target):
    response = sign_in(client, admin, PASSWORD, next_page=target)
    # Control characters are refused before sign-in (400); anything else signs in to the console.
    answer = (response.status_code, response.headers.get("Location"))
    assert answer in {(302, "/admin/"), (400, None)}


@pytest.mark.parametrize("target", ["/admin/incidents/1?tab=notes#notes", "/internal"])
def test_the_next_parameter_leads_back_to_a_page_of_this_site(client, admin, target):
    response = sign_in(client, admin, PASSWORD, next_page=target)
    assert response.headers["Location"] == target


NUL_REFUSED = "holds a control character"


@pytest.mark.parametrize(
    "email, password, message",
    [
        ("admin@example.com\x00", PASSWORD, NUL_REFUSED),
        ("admin@example.com", PASSWORD + "\x00", NUL_REFUSED),
        ("\x00" * 100, "\x00" * 100, NUL_REFUSED),
        ("a" * 5000 + "@example.com", PASSWORD, signin.BAD_CREDENTIALS),
        ("admin@example.com", "p" * 5000, signin.BAD_CREDENTIALS),
        ("admin@example.com", "p" * 1_000_000, signin.BAD_CREDENTIALS),
    ],
    ids=["nul-email", "nul-password", "nul-only", "long-email", "long-password", "huge-password"],
)
def test_odd_credentials_get_a_clear_400(client, admin, email, password, message):
    response = sign_in(client, email, password)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


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
