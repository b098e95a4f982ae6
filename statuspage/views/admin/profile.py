"""The signed-in person's page: their duties, their secret internal feed links, the internal
audiences they have updates emailed to, their own chat hook for cadence alerts, their signed-in browsers (each can be signed out), and
their API keys (views.admin.api_keys)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.permissions import Permission
from statuspage.services import accounts, subscriptions
from statuspage.services.cadence import channels
from statuspage.services.identity import sessions as user_sessions
from statuspage.services.outbox.chat import chat_hosts
from statuspage.views.access import me, permission_required
from statuspage.views.admin import api_keys
from statuspage.views.admin.formdata import parse_int
from statuspage.views.admin.routing import Routes

routes = Routes()


@routes.get("/profile")
@permission_required(Permission.VIEW_CONSOLE)
def profile() -> str:
    return api_keys.profile_page()


@routes.post("/profile/sessions/<int:session_id>/end")
@permission_required(Permission.VIEW_CONSOLE)
def end_session(session_id: int) -> Response:
    user_sessions.end(me(), session_id)
    db.session.commit()
    flash("That browser is signed out.", "success")
    return redirect(url_for("admin.profile") + "#sessions")


@routes.post("/profile/feed-token")
@permission_required(Permission.VIEW_CONSOLE)
def rotate_feed_token() -> Response:
    accounts.rotate_feed_token(me(), now=utcnow())
    db.session.commit()
    flash("New feed links made; the old ones stopped working.", "success")
    return redirect(url_for("admin.profile") + "#feeds")


@routes.post("/profile/subscriptions")
@permission_required(Permission.VIEW_CONSOLE)
def own_subscriptions() -> Response:
    # A value that is no id matches no audience: the service refuses it (422).
    chosen = [parse_int(value) or 0 for value in request.form.getlist("audience")]
    subscriptions.set_own_subscriptions(me(), chosen, now=utcnow())
    db.session.commit()
    flash("Your email updates are saved.", "success")
    return redirect(url_for("admin.profile") + "#subscriptions")


@routes.post("/profile/chat-hook")
@permission_required(Permission.VIEW_CONSOLE)
def own_chat_hook() -> Response:
    # A URL that is no provider's hook is refused by the service (422, saying why).
    channels.set_own_hook(
        me(),
        request.form.get("chat_hook_kind"),
        request.form.get("chat_hook_url"),
        now=utcnow(),
        chat_hosts=chat_hosts(current_app.config),
    )
    db.session.commit()
    flash("Your chat alerts are saved.", "success")
    return redirect(url_for("admin.profile") + "#chat")
