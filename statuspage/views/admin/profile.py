"""The signed-in person's page: their duties and their secret internal feed links."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.permissions import Permission
from statuspage.services import accounts
from statuspage.views.access import me, permission_required
from statuspage.views.admin.routing import Routes

routes = Routes()


@routes.get("/profile")
@permission_required(Permission.VIEW_CONSOLE)
def profile() -> str:
    return render_template("admin/profile.html", user=me())


@routes.post("/profile/feed-token")
@permission_required(Permission.VIEW_CONSOLE)
def rotate_feed_token() -> Response:
    accounts.rotate_feed_token(me(), now=utcnow())
    db.session.commit()
    flash("New feed links made; the old ones stopped working.", "success")
    return redirect(url_for("admin.profile") + "#feeds")
