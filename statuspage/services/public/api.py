"""The Statuspage public API v2 documents (summary, status, components, incidents, maintenance).

Shapes, keys and enums follow /api/v2 of the hosted Statuspage so existing clients work unchanged;
ids are strings, timestamps ISO 8601 with milliseconds in the page's zone. Our own additions:
`next_update_at` on every incident and maintenance (the public audience's promise).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from statuspage.core.addresses import incident_path
from statuspage.core.site import Site
from statuspage.core.times import api_timestamp
from statuspage.models import IncidentKind, IncidentStatus
from statuspage.services import public
from statuspage.services.public.incidents import (
    ACTIVE_MAINTENANCE_STATUSES,
    UPCOMING_MAINTENANCE_STATUSES,
)
from statuspage.services.public.types import (
    ComponentCatalogue,
    PublicComponent,
    PublicGroup,
    PublicIncident,
    PublicUpdate,
)

Document = dict[str, Any]
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def page_id(site: Site) -> str:
    """A stable 12-character lowercase id for the page, derived from its public URL."""
    number = int.from_bytes(hashlib.sha256(site.url.encode()).digest()[:8], "big")
    return "".join(_ALPHABET[(number // 36**n) % 36] for n in range(12))


def group_id(group_id: int) -> str:
    """Groups share the components' list, so their ids carry a prefix to stay distinct."""
    return f"group-{group_id}"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Written:
    """A document, and the next moment time alone changes it (a promise falling due)."""

    document: Document
    expires_at: datetime | None


class _Writer:
    def __init__(self, site: Site, updated_at: datetime, now: datetime) -> None:
        self.site = site
        self.page_id = page_id(site)
        self.updated_at = updated_at
        self.now = now
        self.shown: list[PublicIncident] = []

    def done(self, document: Document) -> Written:
        return Written(document, public.next_edge(self.shown, now=self.now))

    def time(self, moment: datetime | None) -> str | None:
        return api_timestamp(moment, self.site.zone)

    def page(self) -> Document:
        return {
            "id": self.page_id,
            "name": self.site.name,
            "url": self.site.url,
            "time_zone": self.site.zone,
            "updated_at": self.time(self.updated_at),
        }

    def component(self, component: PublicComponent) -> Document:
        return {
            "id": str(component.id),
            "name": component.name,
            "status": str(component.status),
            "created_at": self.time(component.created_at),
            "updated_at": self.time(component.updated_at),
            "position": component.position,
            "description": component.description,
            "showcase": component.showcase,
            "start_date": _day(component.start_date),
            "group_id": group_id(component.group_id) if component.group_id else None,
            "page_id": self.page_id,
            "group": False,
            "only_show_if_degraded": component.only_show_if_degraded,
        }

    def group(self, group: PublicGroup) -> Document:
        return {
            "id": group_id(group.id),
            "name": group.name,
            "status": str(group.status),
            "created_at": self.time(group.created_at),
            "updated_at": self.time(group.updated_at),
            "position": group.position,
            "description": group.description,
            "showcase": False,
            "start_date": None,
            "group_id": None,
            "page_id": self.page_id,
            "group": True,
            "only_show_if_degraded": False,
            "components": [str(c.id) for c in group.components],
        }

    def components(self, catalogue: ComponentCatalogue) -> list[Document]:
        rows = [self.component(c) for c in catalogue.ungrouped]
        for group in catalogue.groups:
            rows.append(self.group(group))
            rows += [self.component(c) for c in group.components]
        return rows

    def update(self, update: PublicUpdate) -> Document:
        at = self.time(update.published_at)
        changes = [
            {
                "code": str(change.component_id),
                "name": change.name,
                "old_status": change.old_status,
                "new_status": change.new_status,
            }
            for change in update.affected_components
        ]
        return {
            "id": str(update.id),
            "status": str(update.status),
            "body": update.body,
            "incident_id": str(update.incident_id),
            "created_at": at,
            "updated_at": at,
            "display_at": at,
            "affected_components": changes or None,
            "deliver_notifications": update.deliver_notifications,
            "custom_tweet": None,
            "tweet_id": None,
        }

    def incident(self, incident: PublicIncident) -> Document:
        self.shown.append(incident)
        document = {
            "id": str(incident.id),
            "name": incident.name,
            "status": str(incident.status),
            "created_at": self.time(incident.first_published_at),
            "updated_at": self.time(incident.updated_at),
            "monitoring_at": self.time(incident.monitoring_at),
            "resolved_at": self.time(incident.resolved_at),
            "impact": str(incident.impact),
            "shortlink": self.site.url + incident_path(incident.id),
            "started_at": self.time(incident.started_at),
            "page_id": self.page_id,
            "incident_updates": [self.update(u) for u in incident.updates],
            "components": [self.component(c) for c in incident.components],
            "reminder_intervals": None,
            "postmortem_body": incident.postmortem_body,
            "postmortem_body_last_updated_at": self.time(incident.postmortem_updated_at),
            "postmortem_published_at": self.time(incident.postmortem_published_at),
            # Our extensions: the public audience's promised next update, and whether it is late
            # (then next_update_at is in the past, and the flag says so).
            "next_update_at": self.time(incident.next_update_at),
            "update_overdue": incident.is_overdue(self.now),
        }
        if incident.kind is IncidentKind.MAINTENANCE:
            document.update(
                scheduled_for=self.time(incident.scheduled_for),
                scheduled_until=self.time(incident.scheduled_until),
                scheduled_remind_prior=False,
                scheduled_reminded_at=None,
            )
        return document

    def incidents(self, incidents: Sequence[PublicIncident]) -> list[Document]:
        return [self.incident(i) for i in incidents]


def _writer(site: Site, now: datetime) -> _Writer:
    return _Writer(site, public.page_updated_at(), now)


def summary(site: Site, *, now: datetime) -> Written:
    """summary.json: page, rollup, every component, unresolved incidents, coming and current work."""
    writer = _writer(site, now)
    catalogue = public.component_catalogue()
    incidents = public.open_incidents(catalogue)
    active = public.maintenance_in(ACTIVE_MAINTENANCE_STATUSES, catalogue)
    upcoming = public.maintenance_in(UPCOMING_MAINTENANCE_STATUSES, catalogue)
    status = public.page_status()
    return writer.done(
        {
            "page": writer.page(),
            "components": writer.components(catalogue),
            "incidents": writer.incidents(incidents),
            "scheduled_maintenances": writer.incidents(active + upcoming),
            "status": {"indicator": status.indicator, "description": status.description},
        }
    )


def status(site: Site, *, now: datetime) -> Written:
    """status.json: the page and its rollup."""
    writer = _writer(site, now)
    rolled = public.page_status()
    return writer.done(
        {
            "page": writer.page(),
            "status": {"indicator": rolled.indicator, "description": rolled.description},
        }
    )


def components(site: Site, *, now: datetime) -> Written:
    """components.json: the page and every public component and group."""
    writer = _writer(site, now)
    return writer.done(
        {
            "page": writer.page(),
            "components": writer.components(public.component_catalogue()),
        }
    )


def incidents(site: Site, *, now: datetime) -> Written:
    """incidents.json: the 50 newest public incidents, open or resolved."""
    writer = _writer(site, now)
    catalogue = public.component_catalogue()
    return writer.done(
        {
            "page": writer.page(),
            "incidents": writer.incidents(public.recent(IncidentKind.INCIDENT, catalogue)),
        }
    )


def unresolved_incidents(site: Site, *, now: datetime) -> Written:
    """incidents/unresolved.json: incidents in investigating, identified or monitoring."""
    writer = _writer(site, now)
    found = public.open_incidents(public.component_catalogue())
    return writer.done({"page": writer.page(), "incidents": writer.incidents(found)})


def scheduled_maintenances(site: Site, *, now: datetime) -> Written:
    """scheduled-maintenances.json: the 50 newest maintenance windows in any of Statuspage's
    states. A cancelled window is left out, as Statuspage's API knows no such state (clients
    check the four); the page, the feeds and the calendar show it cancelled."""
    writer = _writer(site, now)
    catalogue = public.component_catalogue()
    found = [
        window
        for window in public.recent(IncidentKind.MAINTENANCE, catalogue)
        if window.status is not IncidentStatus.CANCELLED
    ]
    return writer.done({"page": writer.page(), "scheduled_maintenances": writer.incidents(found)})


def upcoming_maintenances(site: Site, *, now: datetime) -> Written:
    """scheduled-maintenances/upcoming.json: windows still scheduled."""
    writer = _writer(site, now)
    catalogue = public.component_catalogue()
    found = public.maintenance_in(UPCOMING_MAINTENANCE_STATUSES, catalogue)
    return writer.done({"page": writer.page(), "scheduled_maintenances": writer.incidents(found)})


def active_maintenances(site: Site, *, now: datetime) -> Written:
    """scheduled-maintenances/active.json: windows in progress or being verified."""
    writer = _writer(site, now)
    catalogue = public.component_catalogue()
    found = public.maintenance_in(ACTIVE_MAINTENANCE_STATUSES, catalogue)
    return writer.done({"page": writer.page(), "scheduled_maintenances": writer.incidents(found)})
