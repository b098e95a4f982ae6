"""Single sign-on against a real OpenID provider (npm oidc-provider, started on 127.0.0.1): one
good sign-in per role, and the provider's own refusals: a code used twice, an answer to another
sign-in (state), a token that expired before it came back. Tokens the provider never issues
(another issuer or audience, unsigned) are forged in tests/test_sso.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from statuspage.core.clock import pinned, utcnow
from statuspage.models import Role
from statuspage.services.accounts import find_user
from tests.oidc import ACCOUNTS, RealProvider, begin, callback_path, provider_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_provider():
    provider = RealProvider()
    yield provider
    provider.stop()


@pytest.fixture
def provider(app, real_provider):
    app.config["SSO_PROVIDER"] = provider_settings(real_provider.issuer)
    return real_provider


@pytest.mark.parametrize("role", list(Role))
def test_a_person_signs_in_with_the_role_of_their_groups(app, client, provider, role):
    location = provider.authorize(begin(client), role.value)
    response = client.get(callback_path(location))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        user = find_user(ACCOUNTS[role.value]["email"])
        assert user.role is role
    may_manage_users = client.get("/admin/users").status_code == 200
    assert may_manage_users is (role is Role.ADMIN)


def test_a_code_used_once_is_refused_the_second_time(app, client, provider):
    first = callback_path(provider.authorize(begin(client), "viewer"))
    assert client.get(first).status_code == 302
    # Another browser's own sign-in, answered with the used code: only the provider can tell.
    other = app.test_client()
    state = begin(other).split("state=")[1].split("&")[0]
    response = other.get(first.split("state=")[0] + f"state={state}")
    assert response.status_code == 401
    assert "refused the sign-in code" in response.get_data(as_text=True)
    assert other.get("/admin/").status_code == 302


def test_an_answer_to_another_sign_in_is_refused(app, client, provider):
    location = provider.authorize(begin(client), "admin")
    other = app.test_client()
    begin(other)  # the same answer, brought to a browser that started its own sign-in
    response = other.get(callback_path(location))
    assert response.status_code == 401
    assert "not started here" in response.get_data(as_text=True)
    assert other.get("/admin/").status_code == 302


def test_a_token_that_expired_on_the_way_is_refused(client, provider):
    location = provider.authorize(begin(client), "admin")
    with pinned(utcnow() + timedelta(hours=2)):
        response = client.get(callback_path(location))
    assert response.status_code == 401
    assert "exp" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
