"""Single sign-on, in process: a provider here that forges ID tokens (tests/oidc.py) shows each
bad one refused; who gets an account and which role; passwords switched off but for the
break-glass admin; no second factor of ours after the provider's. The same flow against a real
OpenID provider is tests/test_sso_provider.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from statuspage import create_app
from statuspage.core.addresses import invitation_path
from statuspage.core.config import ConfigurationError
from statuspage.core.tokens import InvitationTokens
from statuspage.extensions import db
from statuspage.models import Role
from statuspage.services.accounts import find_user
from tests.factories import PASSWORD, make_user
from tests.helpers import TEST_SECRET_KEY, settings_for, sign_in
from tests.oidc import CLIENT_ID, begin, callback_path, forging_provider, provider_settings
from tests.processes import free_port


@pytest.fixture
def provider(app):
    with forging_provider() as forging:
        app.config["SSO_PROVIDER"] = provider_settings(forging.issuer)
        yield forging


def sso_sign_in(client, provider, account: str):
    """Sign in through the provider as `account`: the app's answer to the callback."""
    return client.get(callback_path(provider.authorize(begin(client), account)))


def refusal(response) -> str:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert client_signed_out(response)
    return response.get_data(as_text=True)


def client_signed_out(response) -> bool:
    return "Sign in with Corp ID" in response.get_data(as_text=True)


def test_a_first_sign_in_makes_the_account_with_the_role_of_the_groups(app, client, provider):
    response = sso_sign_in(client, provider, "commander")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        user = find_user("commander@corp.example")
        assert (user.role, user.password_hash) == (Role.COMMANDER, None)


def test_the_login_page_offers_the_provider(client, provider):
    page = client.get("/login?next=/admin/incidents").get_data(as_text=True)
    assert 'href="/login/sso?next=/admin/incidents"' in page
    assert "Sign in with Corp ID" in page


def test_a_token_from_another_issuer_is_refused(client, provider):
    provider.forged = {"iss": "https://evil.example"}
    assert "iss" in refusal(sso_sign_in(client, provider, "admin"))


def test_a_token_for_another_client_is_refused(client, provider):
    provider.forged = {"aud": "someone-else"}
    assert "aud" in refusal(sso_sign_in(client, provider, "admin"))


def test_a_token_for_several_clients_must_name_us_as_its_party(client, provider):
    provider.forged = {"aud": [CLIENT_ID, "someone-else"], "azp": "someone-else"}
    assert "another service" in refusal(sso_sign_in(client, provider, "admin"))


def test_an_expired_token_is_refused(client, provider, now):
    provider.forged = {"exp": int((now - timedelta(minutes=5)).timestamp())}
    assert "exp" in refusal(sso_sign_in(client, provider, "admin"))


def test_an_unsigned_token_is_refused(client, provider):
    provider.unsigned = True
    refusal(sso_sign_in(client, provider, "admin"))


def test_a_token_with_another_nonce_is_refused(client, provider):
    provider.forged = {"nonce": "replayed-from-another-sign-in"}
    assert "nonce" in refusal(sso_sign_in(client, provider, "admin"))


def test_an_answer_with_another_state_is_refused(client, provider):
    location = provider.authorize(begin(client), "admin")
    forged = callback_path(location.replace("state=", "state=x"))
    assert "not started here" in refusal(client.get(forged))


def test_an_answer_comes_back_once(app, client, provider):
    path = callback_path(provider.authorize(begin(client), "admin"))
    assert client.get(path).status_code == 302
    assert "not started here" in refusal(client.get(path))


def test_groups_that_map_to_no_role_sign_nobody_in(app, client, provider):
    assert "None of your groups" in refusal(sso_sign_in(client, provider, "nobody"))
    with app.app_context():
        assert find_user("nobody@corp.example") is None


def test_without_self_service_only_invited_addresses_sign_in(app, client, provider):
    app.config["SSO_PROVIDER"] = provider_settings(provider.issuer, OIDC_CREATE_ACCOUNTS=False)
    assert "ask an admin to invite you" in refusal(sso_sign_in(client, provider, "viewer"))
    with app.app_context():
        make_user(Role.VIEWER, email="liaison@corp.example", password=None)
        db.session.commit()
    assert sso_sign_in(client, provider, "liaison").status_code == 302


def test_the_providers_groups_decide_the_role_of_an_existing_account(app, client, provider):
    with app.app_context():
        make_user(Role.ADMIN, email="viewer@corp.example", password=PASSWORD)
        db.session.commit()
    assert sso_sign_in(client, provider, "viewer").status_code == 302
    with app.app_context():
        assert find_user("viewer@corp.example").role is Role.VIEWER
    assert client.get("/admin/users").status_code == 403


def test_a_deactivated_account_is_refused(app, client, provider):
    with app.app_context():
        make_user(Role.ADMIN, email="admin@corp.example").is_active = False
        db.session.commit()
    assert "deactivated" in refusal(sso_sign_in(client, provider, "admin"))


def test_an_admin_signed_in_by_the_provider_is_not_asked_for_our_second_factor(
    app, client, provider
):
    app.config["SECOND_FACTOR_ROLES"] = frozenset({Role.ADMIN})
    assert sso_sign_in(client, provider, "admin").status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_with_passwords_off_only_the_break_glass_admin_uses_one(app, client, provider):
    app.config.update(PASSWORD_SIGNIN=False, BREAK_GLASS_ADMIN="Glass@Example.com")
    with app.app_context():
        make_user(Role.ADMIN, email="glass@example.com", password=PASSWORD)
        make_user(Role.ADMIN, email="other@example.com")  # refused before any password is read
        db.session.commit()
    refused = sign_in(client, "other@example.com", PASSWORD)
    assert refused.status_code == 403
    assert "break-glass admin only" in refused.get_data(as_text=True)
    assert sign_in(client, "glass@example.com", PASSWORD).status_code == 302


def test_a_provider_that_does_not_answer_is_said_so(app, client):
    app.config["SSO_PROVIDER"] = provider_settings(f"http://127.0.0.1:{free_port()}")
    response = client.get("/login/sso")
    assert response.status_code == 502
    assert "Corp ID cannot be reached now" in response.get_data(as_text=True)


def test_without_a_provider_the_login_page_offers_passwords_only(client):
    assert "Sign in with" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").headers["Location"] == "/login"


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"OIDC_ROLES": {"staff": "boss"}}, "STATUSPAGE_OIDC_ROLES"),
        ({"OIDC_CLIENT_SECRET": None}, "_CLIENT_SECRET"),
        ({"PASSWORD_SIGNIN": False}, "STATUSPAGE_BREAK_GLASS_ADMIN"),
    ],
)
def test_single_sign_on_settings_that_cannot_work_stop_the_start(settings, complaint):
    sso_settings = {
        "OIDC_ISSUER": "https://id.example.com",
        "OIDC_CLIENT_ID": "statuspage",
        "OIDC_CLIENT_SECRET": "secret",
    }
    with pytest.raises(ConfigurationError, match=complaint):
        create_app(settings_for("sqlite://", **{**sso_settings, **settings}))


def test_a_sign_in_the_provider_refused_says_why(client, provider):
    state = begin(client).split("state=")[1].split("&")[0]
    answer = client.get(
        f"/login/sso/callback?error=access_denied&error_description=Not+allowed&state={state}"
    )
    assert "Corp ID did not sign you in: Not allowed." in refusal(answer)


def test_an_error_in_an_answer_to_no_sign_in_shows_nothing_of_it(client, provider):
    begin(client)
    answer = client.get("/login/sso/callback?error=x&error_description=Call+0800&state=forged")
    assert "Call 0800" not in refusal(answer)


@pytest.fixture
def invitation(app):
    """The link of an invitation to liaison@corp.example, whose groups make them a liaison."""
    with app.app_context():
        user = make_user(Role.LIAISON, email="liaison@corp.example")
        db.session.commit()
        token = InvitationTokens(TEST_SECRET_KEY).invitation(user.id, user.session_generation)
    return invitation_path(token)


def test_an_invitation_offers_the_provider_beside_a_password(client, provider, invitation):
    page = client.get(invitation).get_data(as_text=True)
    assert 'href="/login/sso">Sign in with Corp ID</a>' in page
    assert 'name="password"' in page


def test_with_passwords_off_an_invitation_offers_only_the_provider(app, client, invitation):
    app.config.update(PASSWORD_SIGNIN=False, BREAK_GLASS_ADMIN="glass@example.com")
    app.config["SSO_PROVIDER"] = provider_settings("https://id.example.com")
    page = client.get(invitation).get_data(as_text=True)
    assert "Sign in with Corp ID" in page
    assert 'name="password"' not in page


def test_signing_in_with_the_provider_uses_the_invitation_up(client, provider, invitation):
    assert sso_sign_in(client, provider, "liaison").status_code == 302
    assert "used already" in client.get(invitation).get_data(as_text=True)
