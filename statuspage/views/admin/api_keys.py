"""API keys in the console: each person makes, rotates and revokes their own on their profile (a
new key is shown once, on the answer to the form); admins see and revoke everyone's."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models import ApiKey, User
from statuspage.permissions import Permission
from statuspage.services import subscriptions
from statuspage.services.api import keys
from statuspage.services.identity import sessions as user_sessions
from statuspage.views.access import me, permission_required
from statuspage.views.admin.formdata import parse_int
from statuspage.views.admin.routing import Routes
from statuspage.views.sessions import current_key, idle

routes = Routes()


def profile_page(*, new_key: str | None = None, key_name: str | None = None) -> str:
    """The profile, with a key just made shown once (never stored anywhere but this answer)."""
    user = me()
    return render_template(
        "admin/profile.html",
        user=user,
        subscribed=subscriptions.own_subscriptions(user),
        sessions=user_sessions.list_sessions(user, idle=idle(), now=utcnow()),
        this_session=current_key(),
        api_keys=keys.keys_of(user),
        new_key=new_key,
        key_name=key_name,
    )


@routes.post("/profile/api-keys")
@permission_required(Permission.VIEW_CONSOLE)
def create_api_key() -> str:
    api_key, key = keys.create_key(
        me(),
        name=request.form.get("name", ""),
        read_only=request.form.get("read_only") == "y",
        by=me(),
        now=utcnow(),
    )
    db.session.commit()
    return profile_page(new_key=key, key_name=api_key.name)


@routes.post("/profile/api-keys/rotate")
@permission_required(Permission.VIEW_CONSOLE)
def rotate_api_key() -> str:
    api_key = keys.get_key(parse_int(request.form.get("key_id")) or 0, owner=me())
    key = keys.rotate_key(api_key, by=me(), now=utcnow())
    db.session.commit()
    return profile_page(new_key=key, key_name=api_key.name)


@routes.post("/profile/api-keys/revoke")
@permission_required(Permission.VIEW_CONSOLE)
def revoke_api_key() -> Response:
    api_key = _revoke(owner=me())
    flash(f"Revoked the key {api_key.name!r}: it stopped working at once.", "success")
    return redirect(url_for("admin.profile") + "#api-keys")


@routes.get("/api-keys")
@permission_required(Permission.MANAGE_USERS)
def api_keys() -> str:
    return render_template("admin/api_keys.html", api_keys=keys.all_keys())


@routes.post("/api-keys/revoke")
@permission_required(Permission.MANAGE_USERS)
def revoke_any_api_key() -> Response:
    api_key = _revoke(owner=None)
    flash(f"Revoked {api_key.user.name}'s key {api_key.name!r}.", "success")
    return redirect(url_for("admin.api_keys"))


def _revoke(*, owner: User | None) -> ApiKey:
    """The form's key (only among the owner's, when given), revoked and committed."""
    api_key = keys.get_key(parse_int(request.form.get("key_id")) or 0, owner=owner)
    keys.revoke_key(api_key, by=me(), now=utcnow())
    db.session.commit()
    return api_key
