"""What the public may see: public components, incidents as customers were told them, the rollup.

Everything here reads only what invariant 1 allows on a public surface: components (and groups) that
are public, and updates published to a public audience. An incident's public status and name come
from those updates, never from its working title or from internal updates. Every query is bounded
by a window (the 90 days of the bars, a month of history, the newest 25 or 50 entries) or by an
index, so rendering does not get slower as the history grows.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from statuspage.core.errors import NotFound
from statuspage.core.site import Site
from statuspage.core.times import in_zone, is_overdue, start_of_day
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
    Impact,
    Incident,
    IncidentComponent,
    IncidentKind,
    IncidentStatus,
    Promise,
    PromiseState,
    Update,
    UpdateState,
    Visibility,
)
from statuspage.services.publication import current_publication
from statuspage.services.templating import render_late_notice

OPEN_INCIDENT_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
)
ACTIVE_MAINTENANCE_STATUSES = (IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)
UPCOMING_MAINTENANCE_STATUSES = (IncidentStatus.SCHEDULED,)
UPTIME_DAYS = 90
MONTHS_PER_HISTORY_PAGE = 3
RECENT_DAYS = 7
FEED_INCIDENTS = 25
FEED_UPDATES = 50
API_INCIDENTS = 50
CALENDAR_PAST = timedelta(days=30)
# Loading in chunks keeps IN lists short on every backend (export reads every incident).
CHUNK = 500
_OUTAGES = {ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE}
T = TypeVar("T")


@dataclass(frozen=True)
class PublicComponent:
    id: int
    name: str
    description: str | None
    status: ComponentStatus
    position: int  # 1-based, within its group (or among the top-level rows)
    group_id: int | None
    showcase: bool
    only_show_if_degraded: bool
    start_date: date | None
    created_at: datetime
    updated_at: datetime

    @property
    def is_shown(self) -> bool:
        """Whether the page lists it (some are listed only while something is wrong)."""
        return not self.only_show_if_degraded or self.status is not ComponentStatus.OPERATIONAL


@dataclass(frozen=True)
class PublicGroup:
    id: int
    name: str
    description: str | None
    position: int
    status: ComponentStatus  # the worst of its public components
    created_at: datetime
    updated_at: datetime
    components: tuple[PublicComponent, ...]


@dataclass(frozen=True)
class ComponentCatalogue:
    """Public components in display order: ungrouped ones first, then each public group."""

    ungrouped: tuple[PublicComponent, ...]
    groups: tuple[PublicGroup, ...]

    @property
    def components(self) -> list[PublicComponent]:
        return [*self.ungrouped, *(c for group in self.groups for c in group.components)]

    def get(self, component_id: int) -> PublicComponent | None:
        return next((c for c in self.components if c.id == component_id), None)


@dataclass(frozen=True)
class ComponentChange:
    component_id: int
    name: str
    old_status: str
    new_status: str


@dataclass(frozen=True)
class PublicUpdate:
    id: int
    incident_id: int
    status: IncidentStatus
    label: str  # the status, or "Update" when it repeats the previous public update's status
    body: str  # the liaison's Markdown
    published_at: datetime
    affected_components: tuple[ComponentChange, ...]  # public components only
    deliver_notifications: bool


@dataclass(frozen=True)
class PublicIncident:
    """An incident or maintenance window as the public was told it."""

    id: int
    kind: IncidentKind
    name: str
    status: IncidentStatus
    impact: Impact
    created_at: datetime
    started_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    updates: tuple[PublicUpdate, ...]  # newest first
    components: tuple[PublicComponent, ...]
    next_update_at: datetime | None
    revision: int  # grows with every change to the incident (the calendar's SEQUENCE)

    @property
    def is_open(self) -> bool:
        return not self.status.is_closed

    @property
    def is_maintenance(self) -> bool:
        return self.kind is IncidentKind.MAINTENANCE

    def is_overdue(self, now: datetime) -> bool:
        """The promised next update is overdue and has not come: never show its time as future."""
        return self.next_update_at is not None and is_overdue(self.next_update_at, now)

    @property
    def first_published_at(self) -> datetime:
        return self.updates[-1].published_at

    @property
    def ended_at(self) -> datetime | None:
        """When it ended for the public: resolved, or a maintenance window's end once completed."""
        return self.resolved_at if self.status.is_closed else None

    @property
    def duration(self) -> timedelta | None:
        start = (
            self.scheduled_for if self.is_maintenance and self.scheduled_for else self.started_at
        )
        return self.ended_at - start if self.ended_at else None


@dataclass(frozen=True)
class StatusRollup:
    """Statuspage's page indicator (none, minor, major, critical) and its description."""

    indicator: str
    description: str


@dataclass(frozen=True)
class UptimeDay:
    day: date
    status: ComponentStatus | None  # the day's worst status; None before the component existed
    incidents: tuple[str, ...]  # public names of the day's incidents touching the component


@dataclass(frozen=True)
class ComponentUptime:
    component: PublicComponent
    days: tuple[UptimeDay, ...]  # oldest first, today last
    percent: float | None  # share of the window not in a partial or major outage


@dataclass(frozen=True)
class GroupUptime:
    group: PublicGroup | None
    components: tuple[ComponentUptime, ...]


@dataclass(frozen=True)
class DayOfIncidents:
    day: date
    incidents: tuple[PublicIncident, ...]


@dataclass(frozen=True)
class StatusPage:
    """Everything the public status page shows."""

    status: StatusRollup
    open_incidents: tuple[PublicIncident, ...]
    active_maintenance: tuple[PublicIncident, ...]
    upcoming_maintenance: tuple[PublicIncident, ...]
    groups: tuple[GroupUptime, ...]
    recent_days: tuple[DayOfIncidents, ...]  # today first
    updated_at: datetime
    # The page changes by itself at this time (a new day, a promise falling due, a window edge).
    expires_at: datetime | None


@dataclass(frozen=True)
class ComponentOutage:
    component: PublicComponent
    status: ComponentStatus  # the worst status the incident gave it
    duration: timedelta | None  # None while still affected


@dataclass(frozen=True)
class IncidentPage:
    incident: PublicIncident
    outages: tuple[ComponentOutage, ...]


@dataclass(frozen=True)
class HistoryMonth:
    month: date  # its first day
    incidents: tuple[PublicIncident, ...]  # newest first


@dataclass(frozen=True)
class HistoryPage:
    """Three months of history, newest first, as Statuspage pages it (page 1 ends this month)."""

    page: int
    months: tuple[HistoryMonth, ...]  # newest first, each shown even when empty
    page_count: int
    expires_at: datetime

    @property
    def newer_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def older_page(self) -> int | None:
        return self.page + 1 if self.page < self.page_count else None


@dataclass
class _Loaded:
    updates: dict[int, list[Update]] = field(default_factory=lambda: defaultdict(list))
    links: dict[int, list[IncidentComponent]] = field(default_factory=lambda: defaultdict(list))
    promises: dict[int, datetime] = field(default_factory=dict)


# Reading once per transaction ---------------------------------------------------------------
# One render (or one export of many surfaces) asks for the same catalogue, open incidents and
# feeds' rows many times. Answers are kept in the session until its transaction ends or it
# flushes a write, so nothing stale outlives the read that made it.

_MEMO = "statuspage.public_view"
_listening = False


def _per_transaction(function: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(function)
    def remembered(*args: Any, **kwargs: Any) -> T:
        memo = _memo()
        key = (
            function.__name__,
            tuple(a for a in args if not isinstance(a, ComponentCatalogue)),
            tuple(sorted(kwargs.items())),
        )
        if key not in memo:
            memo[key] = function(*args, **kwargs)
        return memo[key]

    return remembered


def _memo() -> dict[Hashable, Any]:
    global _listening
    if not _listening:
        for event in ("after_flush", "after_transaction_end"):
            sa.event.listen(Session, event, _forget)
        _listening = True
    return db.session.info.setdefault(_MEMO, {})


def _forget(session: Session, *_: object) -> None:
    session.info.pop(_MEMO, None)


# Components ----------------------------------------------------------------------------------


@_per_transaction
def component_catalogue() -> ComponentCatalogue:
    """Public components by public group in display order, with 1-based positions."""
    groups = db.session.scalars(
        sa.select(ComponentGroup)
        .where(ComponentGroup.visibility == Visibility.PUBLIC)
        .order_by(ComponentGroup.position, ComponentGroup.id)
    ).all()
    public_group_ids = {group.id for group in groups}
    components = db.session.scalars(
        sa.select(Component)
        .where(Component.visibility == Visibility.PUBLIC)
        .order_by(Component.position, Component.id)
    ).all()
    by_group: dict[int | None, list[Component]] = defaultdict(list)
    for component in components:
        if component.group_id is None or component.group_id in public_group_ids:
            by_group[component.group_id].append(component)
    ungrouped = tuple(_public_component(c, i) for i, c in enumerate(by_group[None], start=1))
    public_groups = []
    for group in groups:
        members = tuple(_public_component(c, i) for i, c in enumerate(by_group[group.id], start=1))
        if not members:
            continue
        public_groups.append(
            PublicGroup(
                id=group.id,
                name=group.name,
                description=group.description,
                position=len(ungrouped) + len(public_groups) + 1,
                status=max((c.status for c in members), key=lambda s: s.rank),
                created_at=group.created_at,
                updated_at=max(group.updated_at, *(c.updated_at for c in members)),
                components=members,
            )
        )
    return ComponentCatalogue(ungrouped, tuple(public_groups))


def _public_component(component: Component, position: int) -> PublicComponent:
    return PublicComponent(
        id=component.id,
        name=component.name,
        description=component.description,
        status=component.status,
        position=position,
        group_id=component.group_id,
        showcase=component.showcase,
        only_show_if_degraded=component.only_show_if_degraded,
        start_date=component.start_date,
        created_at=component.created_at,
        updated_at=component.updated_at,
    )


def public_component(component_id: int) -> PublicComponent:
    """The public component with this id, or NotFound (internal ones do not exist publicly)."""
    component = component_catalogue().get(component_id)
    if component is None:
        raise NotFound(f"There is no public component {component_id}.")
    return component


# Incidents -----------------------------------------------------------------------------------


@_per_transaction
def _public_audience_ids() -> list[int]:
    return list(db.session.scalars(sa.select(Audience.id).where(Audience.is_public)))


def _public() -> sa.ColumnElement[bool]:
    return Incident.public_status.is_not(None)


def _load(incidents: Sequence[Incident], catalogue: ComponentCatalogue) -> list[PublicIncident]:
    """Incidents as the public was told them, in the order given (four queries per chunk)."""
    audience_ids = _public_audience_ids()
    result = []
    for start in range(0, len(incidents), CHUNK):
        chunk = incidents[start : start + CHUNK]
        loaded = _load_related([i.id for i in chunk if i.public_status], audience_ids)
        result += [
            public
            for incident in chunk
            if (public := _public_incident(incident, loaded, catalogue)) is not None
        ]
    return result


def _load_related(ids: list[int], audience_ids: list[int]) -> _Loaded:
    loaded = _Loaded()
    if not ids:
        return loaded
    for update in db.session.scalars(
        sa.select(Update)
        .where(
            Update.incident_id.in_(ids),
            Update.audience_id.in_(audience_ids),
            Update.state == UpdateState.PUBLISHED,
        )
        .order_by(Update.published_at, Update.id)
    ):
        loaded.updates[update.incident_id].append(update)
    for link in db.session.scalars(
        sa.select(IncidentComponent).where(IncidentComponent.incident_id.in_(ids))
    ):
        loaded.links[link.incident_id].append(link)
    for incident_id, due_at in db.session.execute(
        sa.select(Promise.incident_id, sa.func.min(Promise.due_at))
        .where(
            Promise.incident_id.in_(ids),
            Promise.audience_id.in_(audience_ids),
            Promise.state == PromiseState.OPEN,
        )
        .group_by(Promise.incident_id)
    ):
        loaded.promises[incident_id] = due_at
    return loaded


def late_notices(
    incidents: Sequence[PublicIncident], *, site: Site, now: datetime
) -> dict[int, str]:
    """What the public reads instead of "Next update by" for each incident whose promise passed.

    The wording is the promising audience's late notice (cadence enforcement); one query, and
    only when something is late.
    """
    late = [incident.id for incident in incidents if incident.is_overdue(now)]
    if not late:
        return {}
    notices: dict[int, str] = {}
    for promise in db.session.scalars(
        sa.select(Promise)
        .where(
            Promise.incident_id.in_(late),
            Promise.audience_id.in_(_public_audience_ids()),
            Promise.state == PromiseState.OPEN,
        )
        .order_by(Promise.due_at)
    ):
        if promise.incident_id not in notices:
            incident = db.session.get(Incident, promise.incident_id)
            notices[promise.incident_id] = render_late_notice(
                promise.audience, incident, site=site, due_at=promise.due_at
            )
    return notices


def next_edge(incidents: Sequence[PublicIncident], *, now: datetime) -> datetime | None:
    """The next moment time alone changes what these incidents show (a promise falling due)."""
    return min(
        (
            i.next_update_at
            for i in incidents
            if i.next_update_at and not is_overdue(i.next_update_at, now)
        ),
        default=None,
    )


def _public_incident(
    incident: Incident, loaded: _Loaded, catalogue: ComponentCatalogue
) -> PublicIncident | None:
    updates = loaded.updates.get(incident.id)
    if not updates:
        return None
    public_ids = {c.id for c in catalogue.components}
    told: list[PublicUpdate] = []
    previous: IncidentStatus | None = None
    for update in updates:
        told.append(
            PublicUpdate(
                id=update.id,
                incident_id=incident.id,
                status=update.status,
                label="Update" if update.status is previous else update.status.label,
                body=update.body,
                published_at=update.published_at or update.updated_at,
                affected_components=tuple(
                    ComponentChange(
                        int(change["code"]),
                        change["name"],
                        change["old_status"],
                        change["new_status"],
                    )
                    for change in update.affected_components or ()
                    if str(change.get("code", "")).isdigit() and int(change["code"]) in public_ids
                ),
                deliver_notifications=update.deliver_notifications,
            )
        )
        previous = update.status
    newest = told[-1]
    status = newest.status
    monitoring_at = next(
        (u.published_at for u in told if u.status is IncidentStatus.MONITORING), None
    )
    linked = {link.component_id for link in loaded.links.get(incident.id, ())}
    return PublicIncident(
        id=incident.id,
        kind=incident.kind,
        name=updates[-1].title or incident.public_name,
        status=status,
        impact=incident.impact,
        created_at=incident.created_at,
        started_at=incident.started_at,
        updated_at=newest.published_at,
        monitoring_at=monitoring_at,
        resolved_at=newest.published_at if status.is_closed else None,
        scheduled_for=incident.scheduled_for,
        scheduled_until=incident.scheduled_until,
        updates=tuple(reversed(told)),
        components=tuple(c for c in catalogue.components if c.id in linked),
        next_update_at=None if status.is_closed else loaded.promises.get(incident.id),
        revision=incident.version,
    )


def _fetch(
    query: sa.Select[tuple[Incident]], catalogue: ComponentCatalogue
) -> list[PublicIncident]:
    return _load(db.session.scalars(query).all(), catalogue)


@_per_transaction
def open_incidents(catalogue: ComponentCatalogue) -> list[PublicIncident]:
    """Incidents the public was last told are open: most severe first, then newest first."""
    found = _fetch(
        sa.select(Incident).where(
            Incident.kind == IncidentKind.INCIDENT,
            Incident.public_status.in_(OPEN_INCIDENT_STATUSES),
        ),
        catalogue,
    )
    severity = [Impact.CRITICAL, Impact.MAJOR, Impact.MINOR, Impact.NONE]
    found.sort(key=lambda i: i.started_at, reverse=True)
    found.sort(key=lambda i: severity.index(i.impact))
    return found


@_per_transaction
def maintenance_in(
    statuses: Iterable[IncidentStatus], catalogue: ComponentCatalogue
) -> list[PublicIncident]:
    """Maintenance windows in these public statuses, soonest first."""
    return _fetch(
        sa.select(Incident)
        .where(
            Incident.kind == IncidentKind.MAINTENANCE,
            Incident.public_status.in_(list(statuses)),
        )
        .order_by(Incident.started_at, Incident.id),
        catalogue,
    )


@_per_transaction
def recent(
    kind: IncidentKind, catalogue: ComponentCatalogue, *, limit: int = API_INCIDENTS
) -> list[PublicIncident]:
    """The newest public incidents (or maintenance windows) by start, newest first."""
    return _fetch(
        sa.select(Incident)
        .where(Incident.kind == kind, _public())
        .order_by(Incident.started_at.desc(), Incident.id.desc())
        .limit(limit),
        catalogue,
    )


@_per_transaction
def recently_updated(
    catalogue: ComponentCatalogue, *, component_id: int | None = None, limit: int = FEED_INCIDENTS
) -> list[PublicIncident]:
    """Incidents and maintenance with the newest public updates, newest first (the history feed)."""
    query = sa.select(Incident).where(_public())
    if component_id is not None:
        query = query.where(_touches(component_id))
    return _fetch(
        query.order_by(Incident.public_updated_at.desc(), Incident.id.desc()).limit(limit),
        catalogue,
    )


@_per_transaction
def recent_updates(
    catalogue: ComponentCatalogue, *, component_id: int | None = None, limit: int = FEED_UPDATES
) -> list[tuple[PublicIncident, PublicUpdate]]:
    """The newest public updates, each with its incident, newest first (the updates feed)."""
    query = (
        sa.select(Update.id, Update.incident_id)
        .join(Audience, Audience.id == Update.audience_id)
        .join(Incident, Incident.id == Update.incident_id)
        .where(Audience.is_public, Update.state == UpdateState.PUBLISHED)
    )
    if component_id is not None:
        query = query.where(_touches(component_id))
    newest = db.session.execute(
        query.order_by(Update.published_at.desc(), Update.id.desc()).limit(limit)
    ).all()
    incident_ids = list(dict.fromkeys(incident_id for _, incident_id in newest))
    incidents = _fetch(sa.select(Incident).where(Incident.id.in_(incident_ids)), catalogue)
    by_update = {u.id: (i, u) for i in incidents for u in i.updates}
    return [by_update[update_id] for update_id, _ in newest if update_id in by_update]


def _touches(component_id: int) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        IncidentComponent.incident_id == Incident.id,
        IncidentComponent.component_id == component_id,
    )


def calendar_maintenance(catalogue: ComponentCatalogue, *, now: datetime) -> list[PublicIncident]:
    """Public maintenance windows that end in the future or ended in the last 30 days."""
    return _fetch(
        sa.select(Incident)
        .where(
            Incident.kind == IncidentKind.MAINTENANCE,
            _public(),
            Incident.scheduled_until >= now - CALENDAR_PAST,
        )
        .order_by(Incident.started_at, Incident.id),
        catalogue,
    )


def incident_page(incident_id: int, *, now: datetime) -> IncidentPage:
    """One public incident with its whole public timeline and how long each component suffered."""
    incident = db.session.get(Incident, incident_id)
    catalogue = component_catalogue()
    found = _load([incident], catalogue) if incident is not None else []
    if not found:
        raise NotFound(f"There is no public incident {incident_id}.")
    public = found[0]
    return IncidentPage(public, tuple(_outages(public, now=now)))


def _outages(
    incident: PublicIncident,
    *,
    now: datetime,
    changes: Sequence[ComponentStatusChange] | None = None,
) -> list[ComponentOutage]:
    """Per affected component: the worst status this incident gave it, and for how long."""
    if not incident.components:
        return []
    if changes is None:
        changes = _changes_during([incident], now=now)
    end = incident.ended_at or now
    changes = [c for c in changes if incident.started_at <= c.changed_at <= end]
    outages = []
    for component in incident.components:
        worst = ComponentStatus.OPERATIONAL
        total = timedelta()
        since: datetime | None = None
        for change in (c for c in changes if c.component_id == component.id):
            if change.status is ComponentStatus.OPERATIONAL:
                if since is not None:
                    total += change.changed_at - since
                    since = None
            elif change.incident_id == incident.id:
                worst = max(worst, change.status, key=lambda status: status.rank)
                since = since or change.changed_at
        if since is not None and incident.ended_at is not None:
            total += incident.ended_at - since
            since = None
        outages.append(ComponentOutage(component, worst, None if since else total))
    return outages


# The status page --------------------------------------------------------------------------------


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
        return StatusRollup("none", "Service Under Maintenance")
    return StatusRollup("none", "All Systems Operational")


@_per_transaction
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
        status=rollup(catalogue.components, incidents, active),
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
    resolved = _fetch(
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
    ids = [c.id for c in components]
    before = (
        sa.select(ComponentStatusChange.status)
        .where(
            ComponentStatusChange.component_id == Component.id,
            ComponentStatusChange.changed_at < window_start,
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
            ComponentStatusChange.changed_at >= window_start,
        )
        .order_by(ComponentStatusChange.changed_at, ComponentStatusChange.id)
    ):
        changes[component_id].append((changed_at, ComponentStatus(status)))
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


def _incidents_by_component_day(
    catalogue: ComponentCatalogue, *, window_start: datetime, now: datetime, zone: str
) -> dict[tuple[int, date], list[str]]:
    """Public names of incidents per (component, day) they touched within the window."""
    incidents = _fetch(
        sa.select(Incident)
        .where(
            Incident.kind == IncidentKind.INCIDENT,
            _public(),
            sa.or_(
                Incident.started_at >= window_start,
                Incident.public_updated_at >= window_start,
                Incident.public_status.in_(OPEN_INCIDENT_STATUSES),
            ),
        )
        .order_by(Incident.started_at, Incident.id),
        catalogue,
    )
    names: dict[tuple[int, date], list[str]] = defaultdict(list)
    for incident in incidents:
        first = in_zone(max(incident.started_at, window_start), zone).date()
        last = in_zone(incident.ended_at or now, zone).date()
        day = first
        while day <= last:
            for component in incident.components:
                names[(component.id, day)].append(incident.name)
            day += timedelta(days=1)
    return names


# History -----------------------------------------------------------------------------------------


def history_page(page: int, *, now: datetime, zone: str) -> HistoryPage:
    """Public incidents and maintenance of three months (page 1: this month and the two before)."""
    this_month = _month_of(now, zone)
    page_count = history_page_count(now=now, zone=zone)
    if page < 1 or page > page_count:
        raise NotFound(f"There is no page {page} of the history (pages 1 to {page_count}).")
    newest = _add_months(this_month, -MONTHS_PER_HISTORY_PAGE * (page - 1))
    months = [_add_months(newest, -n) for n in range(MONTHS_PER_HISTORY_PAGE)]
    catalogue = component_catalogue()
    incidents = _fetch(
        sa.select(Incident)
        .where(
            _public(),
            Incident.started_at >= start_of_day(months[-1], zone),
            Incident.started_at < start_of_day(_add_months(newest, 1), zone),
        )
        .order_by(Incident.started_at.desc(), Incident.id.desc()),
        catalogue,
    )
    by_month = defaultdict(list)
    for incident in incidents:
        by_month[_month_of(incident.started_at, zone)].append(incident)
    return HistoryPage(
        page=page,
        months=tuple(HistoryMonth(month, tuple(by_month[month])) for month in months),
        page_count=page_count,
        expires_at=start_of_day(_add_months(this_month, 1), zone),
    )


def history_page_count(*, now: datetime, zone: str) -> int:
    """How many history pages there are: from this month back to the oldest incident's."""
    oldest = db.session.scalar(
        sa.select(Incident.started_at).where(_public()).order_by(Incident.started_at).limit(1)
    )
    if oldest is None:
        return 1
    return max(1, _history_page_of(oldest, now=now, zone=zone))


# Export ---------------------------------------------------------------------------------------


def public_incident_ids(*, changed_since: datetime | None = None) -> list[int]:
    """Ids of every public incident and maintenance, or of those touched since a time."""
    query = sa.select(Incident.id).where(_public())
    if changed_since is not None:
        touched = sa.select(ComponentStatusChange.incident_id).where(
            ComponentStatusChange.changed_at >= changed_since
        )
        query = query.where(
            sa.or_(
                Incident.updated_at >= changed_since,
                Incident.public_updated_at >= changed_since,
                Incident.id.in_(touched),
            )
        )
    return list(db.session.scalars(query.order_by(Incident.id)))


def history_pages_of(ids: Sequence[int], *, now: datetime, zone: str) -> set[int]:
    """The history pages on which these incidents are listed."""
    starts = db.session.scalars(sa.select(Incident.started_at).where(Incident.id.in_(ids)))
    return {_history_page_of(start, now=now, zone=zone) for start in starts}


def components_of(ids: Sequence[int]) -> set[int]:
    """The components these incidents touch (their feeds change with them)."""
    return set(
        db.session.scalars(
            sa.select(IncidentComponent.component_id).where(IncidentComponent.incident_id.in_(ids))
        )
    )


def incident_pages(ids: Sequence[int], *, now: datetime) -> Iterable[IncidentPage]:
    """The incident pages of many incidents, loaded in chunks (for the static export)."""
    catalogue = component_catalogue()
    for start in range(0, len(ids), CHUNK):
        chunk = db.session.scalars(
            sa.select(Incident).where(Incident.id.in_(ids[start : start + CHUNK]))
        ).all()
        incidents = _load(chunk, catalogue)
        changes = _changes_during(incidents, now=now)
        for incident in incidents:
            yield IncidentPage(incident, tuple(_outages(incident, now=now, changes=changes)))


def _changes_during(
    incidents: Sequence[PublicIncident], *, now: datetime
) -> list[ComponentStatusChange]:
    """Status changes of the incidents' components from the first start to the last end."""
    component_ids = {c.id for incident in incidents for c in incident.components}
    if not component_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(ComponentStatusChange)
            .where(
                ComponentStatusChange.component_id.in_(component_ids),
                ComponentStatusChange.changed_at >= min(i.started_at for i in incidents),
                ComponentStatusChange.changed_at <= max(i.ended_at or now for i in incidents),
            )
            .order_by(ComponentStatusChange.changed_at, ComponentStatusChange.id)
        )
    )


# Time helpers --------------------------------------------------------------------------------


def _month_of(moment: datetime, zone: str) -> date:
    return in_zone(moment, zone).date().replace(day=1)


def _history_page_of(moment: datetime, *, now: datetime, zone: str) -> int:
    """The history page listing what started at `moment` (a future start counts as page 1)."""
    months_ago = max(0, _months_between(_month_of(moment, zone), _month_of(now, zone)))
    return months_ago // MONTHS_PER_HISTORY_PAGE + 1


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month
