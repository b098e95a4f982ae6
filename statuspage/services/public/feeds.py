"""Public feeds and the maintenance calendar, from what the public was told.

Two feed kinds: the history feed (one entry per incident or maintenance, in Statuspage's layout,
its updated time moving with each update) and the updates feed (one entry per published update,
for readers and chat bots that only notice new entries). Both can follow a single component.
Dates are in the page's zone, as Statuspage writes them (RFC 822 with the zone's offset).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext
from icalendar import Calendar, Event
from markupsafe import escape

from statuspage.core.addresses import feed_path, incident_path, index_path
from statuspage.core.feeds import (
    Entry,
    Feed,
    FeedFormat,
    UpdateBlock,
    build_feed,
    tag_uri,
    updates_html,
)
from statuspage.core.language import current_language
from statuspage.core.markdown import markdown_to_html
from statuspage.core.site import Site
from statuspage.core.times import describe_next_update, in_zone
from statuspage.models import IncidentStatus
from statuspage.services import public
from statuspage.services.public.types import PublicComponent, PublicIncident, PublicUpdate
from statuspage.services.public.version import NEVER


def _blocks(updates: Sequence[PublicUpdate]) -> list[UpdateBlock]:
    return [UpdateBlock(u.published_at, u.label, markdown_to_html(u.body)) for u in updates]


def _feed(
    site: Site, name: str, title: str, fmt: FeedFormat, component: PublicComponent | None
) -> Feed:
    query = f"?component={component.id}" if component else ""
    about = f" ({component.name})" if component else ""
    return Feed(
        id=tag_uri(site.url, f"/{name}{query}"),
        title=f"{site.name} - {title}{about}",
        page_url=site.url + index_path(),
        self_url=site.url + feed_path(name, fmt, component.id if component else None),
        description=gettext("%(feed)s of %(name)s", feed=title, name=site.name) + about,
        language=current_language(),
        author=site.name,
        author_uri=site.url + index_path(),
        empty_since=in_zone(component.created_at if component else NEVER, site.zone),
    )


def permalink(site: Site, incident_id: int) -> str:
    """The incident's stable public address."""
    return site.url + incident_path(incident_id)


@dataclass(frozen=True)
class HistoryFeed:
    content: bytes
    expires_at: datetime | None  # when an open incident's promised update falls due


def history_feed(
    site: Site, fmt: FeedFormat, *, now: datetime, component_id: int | None = None
) -> HistoryFeed:
    """The incident history feed: one entry per incident or maintenance, newest update first.

    An open incident's entry ends with its promise ("Next update by 14:30 UTC") or, once that
    has passed, the audience's late notice: after the updates, so a parser reading the first
    <strong> still finds the status.
    """
    component = public.public_component(component_id) if component_id else None
    incidents = public.recently_updated(public.component_catalogue(), component_id=component_id)
    late = public.late_notices(incidents, now=now)
    entries = [
        Entry(
            id=tag_uri(site.url, f"Incident/{incident.id}"),
            title=incident.name,
            url=permalink(site, incident.id),
            published=in_zone(incident.first_published_at, site.zone),
            updated=in_zone(max(incident.updated_at, _postmortem_at(incident)), site.zone),
            content_html=updates_html(
                _postmortem_block(incident) + _blocks(incident.updates), site.zone
            )
            + _promise_html(incident, late.get(incident.id), site),
            permalink_guid=True,
        )
        for incident in incidents
    ]
    content = build_feed(
        _feed(site, "history", gettext("Incident History"), fmt, component), entries, fmt
    )
    return HistoryFeed(content, public.next_edge(incidents, now=now))


def _postmortem_at(incident: PublicIncident) -> datetime:
    return max(
        (t for t in (incident.postmortem_published_at, incident.postmortem_updated_at) if t),
        default=incident.updated_at,
    )


def _postmortem_block(incident: PublicIncident) -> list[UpdateBlock]:
    """The published postmortem, first (the entry's newest news), as Statuspage labels it."""
    if incident.postmortem_body is None:
        return []
    body = markdown_to_html(incident.postmortem_body)
    return [UpdateBlock(_postmortem_at(incident), gettext("Postmortem"), body)]


def _promise_html(incident: PublicIncident, late_notice: str | None, site: Site) -> str:
    if late_notice is not None:
        return f"<p><em>{escape(late_notice)}</em></p>"
    if incident.next_update_at is None or incident.status.is_closed:
        return ""
    return f"<p><em>{escape(describe_next_update(incident.next_update_at, site.zone))}</em></p>"


def updates_feed(site: Site, fmt: FeedFormat, *, component_id: int | None = None) -> bytes:
    """The updates feed: one entry per published public update, newest first."""
    component = public.public_component(component_id) if component_id else None
    updates = public.recent_updates(public.component_catalogue(), component_id=component_id)
    entries = [
        Entry(
            id=tag_uri(site.url, f"IncidentUpdate/{update.id}"),
            title=f"{incident.name}: {update.label}",
            url=permalink(site, incident.id),
            published=in_zone(update.published_at, site.zone),
            updated=in_zone(update.published_at, site.zone),
            content_html=updates_html(_blocks([update]), site.zone),
        )
        for incident, update in updates
    ]
    return build_feed(_feed(site, "updates", gettext("Updates"), fmt, component), entries, fmt)


def maintenance_calendar(site: Site, *, now: datetime) -> bytes:
    """Upcoming and recent public maintenance as iCalendar: one event per window, times in UTC."""
    calendar = Calendar()
    calendar.add("prodid", "-//statuspage//maintenance calendar//EN")
    calendar.add("version", "2.0")
    # A subscribed feed is published, never a scheduling request (RFC 5546): cancellations are
    # events with STATUS:CANCELLED and a higher SEQUENCE, not METHOD:CANCEL.
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{site.name} maintenance")
    host = urlsplit(site.url).hostname
    for window in public.calendar_maintenance(public.component_catalogue(), now=now):
        calendar.add_component(_event(window, site, host))
    return calendar.to_ical()


def _event(window: PublicIncident, site: Site, host: str | None) -> Event:
    event = Event()
    # The UID never changes; SEQUENCE grows with each change so calendars replace the old copy.
    event.add("uid", f"maintenance-{window.id}@{host}")
    event.add("sequence", max(0, window.revision - 1))
    event.add("dtstamp", window.updated_at)
    event.add("last-modified", window.updated_at)
    event.add("dtstart", window.scheduled_for or window.started_at)
    event.add("dtend", window.scheduled_until or window.scheduled_for or window.started_at)
    event.add("summary", gettext("Maintenance: %(name)s", name=window.name))
    # A cancelled window stays in the feed, cancelled, so calendars that copied it drop it.
    cancelled = window.status is IncidentStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    names = ", ".join(c.name for c in window.components)
    lines = [gettext("Status: %(status)s", status=window.status.label)]
    if names:
        lines.append(gettext("Components: %(names)s", names=names))
    lines += ["", window.updates[0].body, "", permalink(site, window.id)]
    event.add("description", "\n".join(lines).strip())
    event.add("url", permalink(site, window.id))
    return event
