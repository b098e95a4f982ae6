"""Each public surface rendered to bytes: pages, feeds, JSON documents and the calendar.

These run inside an app context (templates, database) but never look at the request, so the same
bytes serve every reader: the cache stores them, the export writes them to files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app

from statuspage.core import addresses
from statuspage.core.feeds import CONTENT_TYPES, FeedFormat
from statuspage.core.site import Site, current_site
from statuspage.publicsite.urls import Links
from statuspage.services import public
from statuspage.services.branding.settings import current_brand
from statuspage.services.public import api as api_documents
from statuspage.services.public import feeds
from statuspage.services.public.types import IncidentPage

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
CALENDAR = "text/calendar; charset=utf-8"

_API: dict[str, Callable[..., dict[str, Any]]] = {
    "summary": api_documents.summary,
    "status": api_documents.status,
    "components": api_documents.components,
    "incidents": api_documents.incidents,
    "incidents/unresolved": api_documents.unresolved_incidents,
    "scheduled-maintenances": api_documents.scheduled_maintenances,
    "scheduled-maintenances/upcoming": api_documents.upcoming_maintenances,
    "scheduled-maintenances/active": api_documents.active_maintenances,
}


@dataclass(frozen=True)
class Body:
    """A rendered surface: its bytes, their type, and when time alone will change them."""

    content: bytes
    content_type: str
    expires_at: datetime | None = None
    # Widgets on other sites read the JSON documents, so they are open to every origin.
    is_shared_across_origins: bool = False


def site() -> Site:
    """The site every surface is rendered for: the running app's."""
    return current_site()


def _page(template: str, links: Links, expires_at: datetime | None, **context: Any) -> Body:
    # Straight from the Jinja environment, without Flask's context processors: nothing about the
    # reader (session, signed-in user) can reach a page every reader shares.
    html = current_app.jinja_env.get_template(template).render(
        links=links, site=site(), brand=current_brand(), **context
    )
    return Body(html.encode(), HTML, expires_at)


def index(links: Links, *, now: datetime) -> Body:
    """The status page."""
    page = public.status_page(now=now, zone=site().zone)
    shown = [*page.open_incidents, *page.active_maintenance, *page.upcoming_maintenance]
    late = public.late_notices(shown, now=now)
    return _page("public/index.html", links, page.expires_at, page=page, late_notices=late)


def webhook_documentation(links: Links) -> Body:
    """What webhook subscribers are sent, and how they check it came from here."""
    return _page("public/webhooks.html", links, None)


def incident(incident_id: int, links: Links, *, now: datetime) -> Body:
    """One incident's permalink page (NotFound unless it is public)."""
    page = public.incident_page(incident_id, now=now)
    return incident_body(page, links, now=now)


def incident_body(page: IncidentPage, links: Links, *, now: datetime) -> Body:
    # Re-rendered when the promised next update falls due, to say it is late.
    expires_at = public.next_edge([page.incident], now=now)
    late = public.late_notices([page.incident], now=now)
    permalink = site().url + addresses.incident_path(page.incident.id)
    return _page(
        "public/incident.html",
        links,
        expires_at,
        page=page,
        late_notices=late,
        permalink=permalink,
    )


def history(page: int, links: Links, *, now: datetime, component_id: int | None = None) -> Body:
    """Three months of the incident history, of every component or one (NotFound if not public)."""
    months = public.history_page(page, now=now, zone=site().zone, component_id=component_id)
    catalogue = public.component_catalogue()
    return _page(
        "public/history.html", links, months.expires_at, history=months, catalogue=catalogue
    )


def history_feed(fmt: FeedFormat, component_id: int | None, *, now: datetime) -> Body:
    """The incident history as Atom or RSS."""
    feed = feeds.history_feed(site(), fmt, component_id=component_id, now=now)
    return Body(feed.content, CONTENT_TYPES[fmt], feed.expires_at)


def updates_feed(fmt: FeedFormat, component_id: int | None) -> Body:
    """Every public update as Atom or RSS."""
    content = feeds.updates_feed(site(), fmt, component_id=component_id)
    return Body(content, CONTENT_TYPES[fmt])


def calendar(*, now: datetime) -> Body:
    """Maintenance windows as iCalendar."""
    content = feeds.maintenance_calendar(site(), now=now)
    return Body(content, CALENDAR, expires_at=None)


def api(document: str, *, now: datetime) -> Body:
    """One Statuspage API v2 document."""
    written = _API[document](site(), now=now)
    content = json.dumps(written.document, ensure_ascii=False, separators=(",", ":"))
    return Body(content.encode(), JSON, written.expires_at, is_shared_across_origins=True)


@dataclass(frozen=True)
class Surface:
    path: str  # the app path, query included
    render: Callable[[Links], Body]


def every_surface(*, now: datetime, incident_ids: list[int] | None = None) -> Iterator[Surface]:
    """Every public address with how to render it (pass incident_ids to limit incident pages)."""
    yield Surface(addresses.index_path(), lambda links: index(links, now=now))
    for page in range(1, public.history_page_count(now=now, zone=site().zone) + 1):
        yield Surface(
            addresses.history_path(page), lambda links, p=page: history(p, links, now=now)
        )
    component_ids = [None, *(c.id for c in public.component_catalogue().components)]
    for fmt in addresses.FEED_FORMATS:
        for component_id in component_ids:
            yield Surface(
                addresses.feed_path("history", fmt, component_id),
                lambda _, f=fmt, c=component_id: history_feed(f, c, now=now),
            )
            yield Surface(
                addresses.feed_path("updates", fmt, component_id),
                lambda _, f=fmt, c=component_id: updates_feed(f, c),
            )
    for document in addresses.API_DOCUMENTS:
        yield Surface(addresses.api_path(document), lambda _, d=document: api(d, now=now))
    yield Surface(addresses.calendar_path(), lambda _: calendar(now=now))
    yield Surface(addresses.webhook_documentation_path(), webhook_documentation)
    ids = public.public_incident_ids() if incident_ids is None else incident_ids
    for page in public.incident_pages(ids, now=now):
        yield Surface(
            addresses.incident_path(page.incident.id),
            lambda links, p=page: incident_body(p, links, now=now),
        )
