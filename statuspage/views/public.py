"""The public site: status page, incident permalinks, history, feeds and the maintenance calendar.

Every route answers from the public cache (statuspage.publicsite.cache): it parses its arguments
into a cache key and says how to render on a miss.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from statuspage.core.addresses import FEED_FORMATS
from statuspage.core.clock import utcnow
from statuspage.core.errors import NotFound, ValidationError
from statuspage.publicsite import render
from statuspage.publicsite.cache import serve
from statuspage.publicsite.urls import Links
from statuspage.services.branding import settings as branding
from statuspage.services.branding.files import SVG

bp = Blueprint("public", __name__)
BRAND_MAX_AGE = 365 * 24 * 3600
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@bp.get("/")
def index() -> Response:
    return serve(("index",), lambda: render.index(Links(), now=utcnow()))


@bp.get("/incidents/<int:incident_id>")
def incident(incident_id: int) -> Response:
    return serve(
        ("incident", incident_id), lambda: render.incident(incident_id, Links(), now=utcnow())
    )


@bp.get("/history")
def history() -> Response:
    page = _whole_number("page", default=1)
    component_id = _whole_number("component", default=None)
    return serve(
        ("history", page, component_id),
        lambda: render.history(page, Links(), now=utcnow(), component_id=component_id),
    )


@bp.get("/history.<fmt>")
def history_feed(fmt: str) -> Response:
    fmt, component_id = _feed_arguments(fmt)
    return serve(
        ("history-feed", fmt, component_id),
        lambda: render.history_feed(fmt, component_id, now=utcnow()),
    )


@bp.get("/updates.<fmt>")
def updates_feed(fmt: str) -> Response:
    fmt, component_id = _feed_arguments(fmt)
    return serve(
        ("updates-feed", fmt, component_id), lambda: render.updates_feed(fmt, component_id)
    )


@bp.get("/docs/webhooks")
def webhook_documentation() -> Response:
    return serve(("webhook-documentation",), lambda: render.webhook_documentation(Links()))


@bp.get("/maintenance.ics")
def calendar() -> Response:
    return serve(("calendar",), lambda: render.calendar(now=utcnow()))


@bp.get("/brand/<name>")
def brand_file(name: str) -> Response:
    """A logo, favicon or the accents' stylesheet: named by its content, so cached for a year."""
    found = branding.brand_file(name)
    if found is None:
        raise NotFound("There is no such brand file (it may have been replaced by a newer one).")
    response = Response(found.data, content_type=found.content_type)
    response.cache_control.public = True
    response.cache_control.max_age = BRAND_MAX_AGE
    response.cache_control.immutable = True
    response.set_etag(found.etag)
    if found.content_type == SVG:
        # Opened on its own, an SVG is a document: this one may draw, never script or load.
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return response.make_conditional(request)


def _feed_arguments(fmt: str) -> tuple[str, int | None]:
    if fmt not in FEED_FORMATS:
        raise NotFound("Feeds come as .atom or .rss.")
    return fmt, _whole_number("component", default=None)


def _whole_number(name: str, *, default: int | None) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise ValidationError(f"{name} must be a whole number.", field=name)
    return int(value)
