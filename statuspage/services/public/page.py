"""The public status page: the rollup, open incidents and maintenance, 90 days of uptime bars per
component, and the last seven days of resolved incidents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from statuspage.core.times import in_zone, start_of_day
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentStatus,
    ComponentStatusChange,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
)
from statuspage.services.public.catalogue import component_catalogue
from statuspage.services.public.incidents import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    UPCOMING_MAINTENANCE_STATUSES,
    fetch,
    maintenance_in,
    open_incidents,
    told_publicly,
)
from statuspage.services.public.memo import per_transaction
from statuspage.services.public.types import (
    ComponentCatalogue,
    ComponentUptime,
    DayIncident,
    DayOfIncidents,
    GroupUptime,
    PublicComponent,
    PublicIncident,
    StatusPage,
    StatusRollup,
    UptimeDay,
)
from statuspage.services.public.version import current_publication

UPTIME_DAYS = 90
# The rollup's words on the page, in its language; the JSON API keeps Statuspage's English ones.
ROLLUP_WORDS = {
    "Major Service Outage": _l("Major Service Outage"),
    "Partial System Outage": _l("Partial System Outage"),
    "Partially Degraded Service": _l("Partially Degraded Service"),
    "Minor Service Outage": _l("Minor Service Outage"),
    "Service Under Maintenance": _l("Service Under Maintenance"),
    "All Systems Operational": _l("All Systems Operational"),
}
RECENT_DAYS = 7
_OUTAGES = {ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE}


def rollup(
    components: Sequence[PublicComponent],
    incidents: Sequence[PublicIncident],
    active_maintenance: Sequence[PublicIncident] = (),
) -> StatusRollup:
    """The page indicator: the worse of the components' statuses and the open incidents' impact."""
    statuses = {c.status for c in components}
    impacts = {i.impact for i in incidents}
    if ComponentStatus.MAJOR_OUTAGE in statuses or Impact.CRITICAL in impacts:
        return StatusRollup("critical", "Major Service Outage")
    if ComponentStatus.PARTIAL_OUTAGE in statuses or Impact.MAJOR in impacts:
        return StatusRollup("major", "Partial System Outage")
    if ComponentStatus.DEGRADED_PERFORMANCE in statuses:
        return StatusRollup("minor", "Partially Degraded Service")
    if Impact.MINOR in impacts or Impact.NONE in impacts:
        return StatusRollup("minor", "Minor Service Outage")
    if ComponentStatus.UNDER_MAINTENANCE in statuses or active_maintenance:
        return StatusRollup("maintenance", "Service Under Maintenance")
    return StatusRollup("none", "All Systems Operational")


def rollup_words(description: str) -> str:
    """The rollup's description as the page says it, in the page's language."""
    return str(ROLLUP_WORDS[description])


@per_transaction
def page_status() -> StatusRollup:
    """The page's indicator and description as the public sees them now."""
    catalogue = component_catalogue()
    active = maintenance_in(ACTIVE_MAINTENANCE_STATUSES, catalogue)
    return rollup(catalogue.components, open_incidents(catalogue), active)


@per_transaction
def page_updated_at() -> datetime:
    """When anything public last changed (the publication's time)."""
    return current_publication().changed_at


def status_page(*, now: datetime, zone: str) -> StatusPage:
    """The public status page: rollup, open incidents, maintenance, components with bars, 7 days."""
    catalogue = component_catalogue()
    incidents = open_incidents(catalogue)
    active = maintenance_in(ACTIVE_MAINTENANCE_STATUSES, catalogue)
    upcoming = maintenance_in(UPCOMING_MAINTENANCE_STATUSES, catalogue)
    today = in_zone(now, zone).date()
    uptime = component_uptime(catalogue, today=today, now=now, zone=zone)
    shown = {c.id for c in catalogue.components if c.is_shown}
    groups = [
        GroupUptime(
            None,
            tuple(u for u in uptime if u.component.id in shown and u.component.group_id is None),
        )
    ] + [
        GroupUptime(
            group,
            tuple(
                u for u in uptime if u.component.id in shown and u.component.group_id == group.id
            ),
        )
        for group in catalogue.groups
    ]
    edges = [start_of_day(today + timedelta(days=1), zone)]
    edges += [i.next_update_at for i in incidents if i.next_update_at]
    edges += [m.scheduled_for for m in upcoming if m.scheduled_for]
    edges += [m.scheduled_until for m in active + upcoming if m.scheduled_until]
    return StatusPage(
        status=page_status(),
        open_incidents=tuple(incidents),
        active_maintenance=tuple(active),
        upcoming_maintenance=tuple(upcoming),
        groups=tuple(g for g in groups if g.components),
        recent_days=tuple(_recent_days(catalogue, today=today, zone=zone)),
        updated_at=page_updated_at(),
        expires_at=min((edge for edge in edges if edge > now), default=None),
    )


def _recent_days(catalogue: ComponentCatalogue, *, today: date, zone: str) -> list[DayOfIncidents]:
    """Incidents the public was told are resolved in the last 7 days, by day of resolution."""
    since = start_of_day(today - timedelta(days=RECENT_DAYS - 1), zone)
    resolved = fetch(
        sa.select(Incident)
        .where(
            Incident.kind == IncidentKind.INCIDENT,
            Incident.public_status == IncidentStatus.RESOLVED,
            Incident.public_updated_at >= since,
        )
        .order_by(Incident.public_updated_at.desc(), Incident.id.desc()),
        catalogue,
    )
    by_day: dict[date, list[PublicIncident]] = defaultdict(list)
    for incident in resolved:
        if incident.resolved_at:
            by_day[in_zone(incident.resolved_at, zone).date()].append(incident)
    days = [today - timedelta(days=n) for n in range(RECENT_DAYS)]
    return [DayOfIncidents(day, tuple(by_day.get(day, ()))) for day in days]


def component_uptime(
    catalogue: ComponentCatalogue, *, today: date, now: datetime, zone: str
) -> list[ComponentUptime]:
    """Each public component's worst status per day over the last 90 days, and its uptime."""
    components = catalogue.components
    if not components:
        return []
    days = [today - timedelta(days=n) for n in range(UPTIME_DAYS - 1, -1, -1)]
    window_start = start_of_day(days[0], zone)
    initial, changes = _status_history([c.id for c in components], since=window_start)
    names = _incidents_by_component_day(catalogue, window_start=window_start, now=now, zone=zone)
    edges = [start_of_day(day, zone) for day in days] + [now]
    result = []
    for component in components:
        status = ComponentStatus(initial[component.id]) if initial.get(component.id) else None
        timeline = changes.get(component.id, [])
        bars = []
        down = timedelta()
        known = timedelta()
        position = 0
        for index, day in enumerate(days):
            start, end = edges[index], edges[index + 1]
            worst = status
            cursor = start
            while position < len(timeline) and timeline[position][0] < end:
                at, new_status = timeline[position]
                if status is not None:
                    known += at - cursor
                    down += at - cursor if status in _OUTAGES else timedelta()
                cursor, status = at, new_status
                worst = status if worst is None or status.rank > worst.rank else worst
                position += 1
            if status is not None:
                known += end - cursor
                down += end - cursor if status in _OUTAGES else timedelta()
            bars.append(UptimeDay(day, worst, tuple(names.get((component.id, day), ()))))
        percent = 100 * (1 - down / known) if known else None
        result.append(ComponentUptime(component, tuple(bars), percent))
    return result


def _status_history(
    ids: list[int], *, since: datetime
) -> tuple[dict[int, str | None], dict[int, list[tuple[datetime, ComponentStatus]]]]:
    """Each component's status as the window opens, and its changes within it, oldest first."""
    before = (
        sa.select(ComponentStatusChange.status)
        .where(
            ComponentStatusChange.component_id == Component.id,
            ComponentStatusChange.changed_at < since,
        )
        .order_by(ComponentStatusChange.changed_at.desc(), ComponentStatusChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    initial = dict(
        db.session.execute(sa.select(Component.id, before).where(Component.id.in_(ids))).all()
    )
    changes: dict[int, list[tuple[datetime, ComponentStatus]]] = defaultdict(list)
    for component_id, changed_at, status in db.session.execute(
        sa.select(
            ComponentStatusChange.component_id,
            ComponentStatusChange.changed_at,
            ComponentStatusChange.status,
        )
        .where(
            ComponentStatusChange.component_id.in_(ids),
            ComponentStatusChange.changed_at >= since,
        )
        .order_by(ComponentStatusChange.changed_at, ComponentStatusChange.id)
    ):
        changes[component_id].append((changed_at, ComponentStatus(status)))
    return initial, changes


def _incidents_by_component_day(
    catalogue: ComponentCatalogue, *, window_start: datetime, now: datetime, zone: str
) -> dict[tuple[int, date], list[DayIncident]]:
    """The public incidents per (component, day) they touched within the window."""
    incidents = fetch(
        sa.select(Incident)
        .where(
            Incident.kind == IncidentKind.INCIDENT,
            told_publicly(),
            sa.or_(
                Incident.started_at >= window_start,
                Incident.public_updated_at >= window_start,
                Incident.public_status.in_(OPEN_INCIDENT_STATUSES),
            ),
        )
        .order_by(Incident.started_at, Incident.id),
        catalogue,
    )
    names: dict[tuple[int, date], list[DayIncident]] = defaultdict(list)
    for incident in incidents:
        first = in_zone(max(incident.started_at, window_start), zone).date()
        last = in_zone(incident.ended_at or now, zone).date()
        day = first
        while day <= last:
            for component in incident.components:
                names[(component.id, day)].append(DayIncident(incident.id, incident.name))
            day += timedelta(days=1)
    return names
