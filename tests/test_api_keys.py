"""API keys: made on the profile or by the CLI (shown once, kept as a digest), named, rotated and
revoked; a key acts as its user, stops with a revoked key or an inactive user, and says when it
was last used."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from statuspage.core.clock import pinned, utcnow
from statuspage.core.site import current_site
from statuspage.extensions import db
from statuspage.models import ApiKey, AuditEntry, Role
from statuspage.services.api import keys
from statuspage.services.public.api import page_id
from tests.console import act_as, csrf_token
from tests.factories import NOW, make_user


def _key_on(page: str) -> str:
    match = re.search(r'aria-label="The new API key" value="([^"]+)"', page)
    assert match, page[:3000]
    return match.group(1)


def _pages(client, key: str) -> int:
    return client.get("/api/v1/pages", headers={"Authorization": f"Bearer {key}"}).status_code


def test_a_key_is_shown_once_and_kept_only_as_a_digest(app, client):
    with app.app_context():
        user_id = make_user(Role.LIAISON).id
        db.session.commit()
    act_as(client, user_id)
    answer = client.post(
        "/admin/profile/api-keys", data={"name": "Deploy bot", "csrf_token": csrf_token(client)}
    )
    assert answer.status_code == 200
    key = _key_on(answer.get_data(as_text=True))
    with app.app_context():
        stored = db.session.scalars(sa.select(ApiKey)).one()
        assert stored.name == "Deploy bot" and key not in (stored.secret_hash, stored.prefix)
    assert key not in client.get("/admin/profile").get_data(as_text=True)
    assert _pages(client, key) == 200


def test_rotating_a_key_stops_the_old_secret(app, client):
    with app.app_context():
        user = make_user(Role.VIEWER)
        api_key, old = keys.create_key(user, name="CI", by=user, now=utcnow())
        key_id, user_id = api_key.id, user.id
        db.session.commit()
    act_as(client, user_id)
    answer = client.post(
        "/admin/profile/api-keys/rotate",
        data={"key_id": str(key_id), "csrf_token": csrf_token(client)},
    )
    new = _key_on(answer.get_data(as_text=True))
    assert (_pages(client, old), _pages(client, new)) == (401, 200)


def test_nobody_rotates_or_revokes_another_persons_key(app, client):
    with app.app_context():
        owner, other = make_user(Role.ADMIN), make_user(Role.ADMIN)
        key_id = keys.create_key(owner, name="CI", by=owner, now=utcnow())[0].id
        other_id = other.id
        db.session.commit()
    act_as(client, other_id)
    for action in ("rotate", "revoke"):
        answer = client.post(
            f"/admin/profile/api-keys/{action}",
            data={"key_id": str(key_id), "csrf_token": csrf_token(client)},
        )
        assert answer.status_code == 404


def test_an_admin_sees_and_revokes_every_key_and_it_stops_at_once(app, client):
    with app.app_context():
        owner, admin = make_user(Role.COMMANDER, name="Casey"), make_user(Role.ADMIN)
        api_key, key = keys.create_key(owner, name="Pager bot", by=owner, now=utcnow())
        key_id, admin_id = api_key.id, admin.id
        db.session.commit()
    assert _pages(client, key) == 200
    act_as(client, admin_id)
    listing = client.get("/admin/api-keys").get_data(as_text=True)
    assert "Pager bot" in listing and "Casey" in listing
    client.post(
        "/admin/api-keys/revoke", data={"key_id": str(key_id), "csrf_token": csrf_token(client)}
    )
    assert _pages(client, key) == 401
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert "api_key.revoke" in actions


def test_a_deactivated_users_keys_stop(app, client):
    with app.app_context():
        user = make_user(Role.ADMIN)
        key = keys.create_key(user, name="CI", by=user, now=utcnow())[1]
        db.session.commit()
        assert _pages(client, key) == 200
        user.is_active = False
        db.session.commit()
    assert _pages(client, key) == 401


def test_the_last_use_is_recorded_at_most_once_a_minute(app, client):
    with app.app_context():
        user = make_user(Role.VIEWER)
        api_key, key = keys.create_key(user, name="CI", by=user, now=utcnow())
        key_id = api_key.id
        db.session.commit()
    for offset in (0, 30, 90):
        with pinned(NOW + timedelta(seconds=offset)):
            _pages(client, key)
    with app.app_context():
        used = db.session.get(ApiKey, key_id).last_used_at
    assert used == NOW + timedelta(seconds=90)


def test_keys_are_accepted_in_both_header_forms_and_nothing_else(app, client):
    with app.app_context():
        user = make_user(Role.VIEWER)
        key = keys.create_key(user, name="CI", by=user, now=utcnow())[1]
        db.session.commit()
    for header, status in [
        (f"OAuth {key}", 200),
        (f"Bearer {key}", 200),
        (f"Basic {key}", 401),
        (key, 401),
        ("Bearer " + key[:-1] + ("A" if key[-1] != "A" else "B"), 401),
    ]:
        answer = client.get("/api/v1/pages", headers={"Authorization": header})
        assert answer.status_code == status, header


def test_the_cli_prints_the_key_alone_on_its_last_line(app, runner, client):
    with app.app_context():
        make_user(Role.ADMIN, email="ops@example.com")
        db.session.commit()
    result = runner.invoke(
        args=["create-api-key", "ops@example.com", "--name", "Terraform", "--read-only"]
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert _pages(client, key) == 200
    with app.app_context():
        assert db.session.scalars(sa.select(ApiKey)).one().read_only
        page = page_id(current_site())
    refused = client.post(
        f"/api/v1/pages/{page}/components",
        headers={"Authorization": f"OAuth {key}"},
        json={"component": {"name": "Edge"}},
    )
    assert refused.status_code == 403


def test_the_cli_refuses_an_unknown_account(runner):
    result = runner.invoke(args=["create-api-key", "nobody@example.com", "--name", "x"])
    assert result.exit_code != 0 and "no account" in result.output
