"""The list of one's own sessions on the profile: each signed-in browser with its user agent,
address, sign-in time and last seen; one signed out from the list is signed out, and every
ending of all sessions (sign out everywhere, a password, role or second-factor change) empties it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from statuspage.core.clock import pinned
from statuspage.extensions import db
from statuspage.models import Role, UserSession
from statuspage.services.accounts import end_sessions, find_user, set_password
from tests.console import act_as
from tests.factories import PASSWORD, make_user
from tests.helpers import csrf_token_from, sign_in

LIAISON = "liaison@example.com"


@pytest.fixture
def liaison(app):
    with app.app_context():
        user = make_user(Role.LIAISON, email=LIAISON, name="Lia")
        db.session.commit()
        return user.id


def browser(app, liaison: int, agent: str, address: str):
    """Another browser of Lia's (its session begins at its first console page)."""
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    act_as(client, liaison)
    assert client.get("/admin/").status_code == 200
    return client


def profile(client) -> str:
    return client.get("/admin/profile").get_data(as_text=True)


def end_buttons(page: str) -> list[str]:
    return re.findall(r'action="(/admin/profile/sessions/\d+/end)"', page)


def post(client, path: str):
    token = csrf_token_from(profile(client))
    return client.post(path, data={"csrf_token": token})


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_profile_lists_each_signed_in_browser(app, liaison):
    with app.app_context():
        set_password(find_user(LIAISON), PASSWORD)
        db.session.commit()
    browser(app, liaison, "Firefox on a laptop", "10.0.0.1")
    phone = app.test_client()
    phone.environ_base.update(HTTP_USER_AGENT="Safari on a phone")
    assert sign_in(phone, LIAISON, PASSWORD, address="10.0.0.2").status_code == 302
    page = profile(phone)
    assert "Firefox on a laptop" in page and "10.0.0.1" in page
    assert "Safari on a phone <strong>(this browser)</strong>" in page
    assert len(end_buttons(page)) == 2


def test_signing_one_browser_out_from_the_list_ends_only_that_one(app, liaison):
    laptop = browser(app, liaison, "Firefox on a laptop", "10.0.0.1")
    phone = browser(app, liaison, "Safari on a phone", "10.0.0.2")
    laptops_button = end_buttons(profile(phone))[1]  # as recent as the phone, and older
    assert post(phone, laptops_button).status_code == 302
    assert not signed_in(laptop)
    assert signed_in(phone)
    assert len(end_buttons(profile(phone))) == 1


def test_someone_elses_session_cannot_be_ended(app, liaison):
    laptop = browser(app, liaison, "Firefox on a laptop", "10.0.0.1")
    with app.app_context():
        vic = make_user(Role.VIEWER, email="vic@example.com").id
        db.session.commit()
    other = browser(app, vic, "Edge", "10.0.0.3")
    laptops_button = end_buttons(profile(laptop))[0]
    assert post(other, laptops_button).status_code == 404
    assert signed_in(laptop)


def test_last_seen_moves_on_as_the_browser_is_used(app, liaison, now):
    laptop = browser(app, liaison, "Firefox on a laptop", "10.0.0.1")
    with pinned(now + timedelta(minutes=5)):
        laptop.get("/admin/", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    with app.app_context():
        row = db.session.query(UserSession).one()
        assert row.last_seen_at == now + timedelta(minutes=5)
        assert (row.signed_in_at, row.address) == (now, "10.9.9.9")


def test_signing_out_everywhere_ends_every_browser(app, liaison):
    laptop = browser(app, liaison, "Firefox on a laptop", "10.0.0.1")
    phone = browser(app, liaison, "Safari on a phone", "10.0.0.2")
    assert "Sign out everywhere" in profile(phone)
    assert post(phone, "/logout").status_code == 302
    assert not signed_in(laptop) and not signed_in(phone)


def test_ending_all_sessions_empties_the_list(app, liaison):
    browser(app, liaison, "Firefox on a laptop", "10.0.0.1")
    with app.app_context():
        end_sessions(find_user(LIAISON))  # a password, role or second-factor change, deactivation
        db.session.commit()
        assert db.session.query(UserSession).count() == 0


def test_a_browser_left_unused_too_long_is_signed_out(app, liaison, now):
    laptop = browser(app, liaison, "Firefox on a laptop", "10.0.0.1")
    later = now + timedelta(hours=app.config["SESSION_IDLE_HOURS"], minutes=1)
    with pinned(later):
        phone = browser(app, liaison, "Safari on a phone", "10.0.0.2")
        assert "Firefox on a laptop" not in profile(phone)
        assert not signed_in(laptop)
