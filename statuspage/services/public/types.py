"""What the public view hands the surfaces: public components and groups, incidents as the public
was told them, the status page, uptime bars, history pages. Plain frozen values, never models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from statuspage.core.times import is_overdue
from statuspage.models import ComponentStatus, Impact, IncidentKind, IncidentStatus


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
class PublicImpact:
    """The impact an incident gave one public component, as the public was told it."""

    component_id: int
    status: ComponentStatus  # as the newest public update told it
    worst: ComponentStatus  # the worst it was told
    since: datetime | None  # when the public first heard of it (None: never anything but fine)
    until: datetime | None  # when it ended for the public (None while it lasts)


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
    impacts: tuple[PublicImpact, ...]  # one per component in `components`
    next_update_at: datetime | None
    revision: int  # grows with every change to the incident (the calendar's SEQUENCE)
    # The postmortem exactly as an admin published it (None until then, and once unpublished).
    postmortem_body: str | None = None
    postmortem_published_at: datetime | None = None
    postmortem_updated_at: datetime | None = None

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
        """When it ended for the public: resolved, or a maintenance window's end once completed
        (a cancelled window never ran: it has no end, nor a duration)."""
        if self.status is IncidentStatus.CANCELLED:
            return None
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
class DayIncident:
    """An incident as a day of the uptime bars lists it: its page and its public name."""

    id: int
    name: str


@dataclass(frozen=True)
class UptimeDay:
    day: date
    status: ComponentStatus | None  # the day's worst status; None before the component existed
    incidents: tuple[DayIncident, ...]  # the day's public incidents touching the component


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
    component: PublicComponent | None = None  # the one component it is the history of

    @property
    def newer_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def older_page(self) -> int | None:
        return self.page + 1 if self.page < self.page_count else None
