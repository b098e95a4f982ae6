"""The internal page for staff, and the internal feeds behind each person's secret token."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from statuspage.core.clock import utcnow
from statuspage.core.feeds import CONTENT_TYPES, build_feed
from statuspage.core.site import current_site
from statuspage.models import Incident
from statuspage.permissions import Permission
from statuspage.services import accounts
from statuspage.services.dashboards import internal_feed, internal_view
from statuspage.services.incidents.lifecycle import get_incident
from statuspage.views.access import permission_required
from statuspage.views.admin.second_factor import second_factor_missing

bp = Blueprint("internal", __name__, url_prefix="/internal")


@bp.before_request
def _second_factor_first() -> BaseResponse | None:
    # As in the console: a role that needs a second factor sees nothing before setting it up.
    if not current_user.is_authenticated:
        return None
    return second_factor_missing()


@bp.get("")
@permission_required(Permission.VIEW_CONSOLE)
def index() -> str:
    now = utcnow()
    return render_template("internal/index.html", view=internal_view(now=now), now=now)


@bp.get("/feeds/<token>/updates.<any(atom, rss):fmt>")
def updates_feed(token: str, fmt: str) -> Response:
    _feed_reader(token)
    return _feed(
        fmt, self_url=url_for("internal.updates_feed", token=token, fmt=fmt, _external=True)
    )


@bp.get("/feeds/<token>/incidents/<int:incident_id>.<any(atom, rss):fmt>")
def incident_feed(token: str, incident_id: int, fmt: str) -> Response:
    _feed_reader(token)
    incident = get_incident(incident_id)
    return _feed(
        fmt,
        self_url=url_for(
            "internal.incident_feed", token=token, incident_id=incident_id, fmt=fmt, _external=True
        ),
        incident=incident,
    )


def _feed_reader(token: str) -> None:
    """Feed readers cannot sign in: the token in the URL is the credential; 404 when it is not."""
    if accounts.user_for_feed_token(token) is None:
        abort(404)


def _feed(fmt: str, *, self_url: str, incident: Incident | None = None) -> Response:
    site = current_site()
    page_url = url_for("internal.index", _external=True)
    if incident is not None:
        page_url = _console_url(incident.id)
    feed, entries = internal_feed(
        site, self_url=self_url, page_url=page_url, incident_url=_console_url, incident=incident
    )
    response = Response(build_feed(feed, entries, fmt), content_type=CONTENT_TYPES[fmt])
    # Secret URLs: never cached by anything in between, never sent on as a Referer.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _console_url(incident_id: int) -> str:
    return url_for("admin.incident", incident_id=incident_id, _external=True)
