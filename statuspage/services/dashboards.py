"""What staff look at: the console's dashboard and incident page, the internal page, and the
internal feeds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.core.addresses import index_path
from statuspage.core.feeds import Entry, Feed, UpdateBlock, tag_uri, updates_html
from statuspage.core.markdown import markdown_to_html
from statuspage.core.site import Site, current_site
from statuspage.core.times import describe_duration, format_time
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    Incident,
    IncidentKind,
    Promise,
    PromiseState,
    RosterRole,
    Severity,
    TimelineEvent,
    Update,
    UpdateState,
    User,
)
from statuspage.models.enums import CLOSED_STATUSES
from statuspage.permissions import Permission, has_permission, may_add_note
from statuspage.services.accounts import list_users
from statuspage.services.cadence.figures import AudienceFigures, incident_figures
from statuspage.services.cadence.promises import open_promises
from statuspage.services.components import GroupListing, all_components, list_components
from statuspage.services.configuration import list_audiences
from statuspage.services.incidents.checkins import CheckIn, checkin_interval, checkins_of
from statuspage.services.incidents.edits import timeline
from statuspage.services.incidents.exposure import exposure
from statuspage.services.incidents.impacts import Standing, standing
from statuspage.services.incidents.lifecycle import get_incident
from statuspage.services.incidents.publishing import drafts_waiting, published_updates
from statuspage.services.public.version import NEVER

FEED_LENGTH = 50
RECENT_DAYS = 7  # the internal page lists incidents resolved this recently
LATEST_EVENTS = 8  # the incident page's glimpse of the timeline


@dataclass
class IncidentSummary:
    """An open incident or maintenance window with its promises and latest update per audience."""

    incident: Incident
    promises: list[Promise] = field(default_factory=list)
    latest: dict[int, Update] = field(default_factory=dict)  # audience id -> newest published
    waiting: int = 0  # drafts and updates in review


@dataclass
class Duty:
    incident: Incident
    roles: list[RosterRole]


@dataclass
class Dashboard:
    incidents: list[IncidentSummary]
    maintenance: list[IncidentSummary]
    in_review: list[Update]
    duties: list[Duty]


@dataclass(frozen=True)
class Briefing:
    """An open incident in four lines for executives: its impact, the customers affected and what
    they were told, the next update owed, and who leads."""

    impact: str
    customers: str
    next_update: Promise | None
    leads: str
    sla: list[str]  # the affected components' exposure against their availability targets


@dataclass
class InternalView:
    listings: list[GroupListing]
    standing: Standing
    audiences: list[Audience]
    incidents: list[IncidentSummary]
    maintenance: list[IncidentSummary]
    briefings: dict[int, Briefing]  # incident id -> its briefing
    recently_resolved: list[Incident]


@dataclass(frozen=True)
class IncidentConsole:
    """Everything the console's incident page shows of one incident, to one person."""

    incident: Incident
    components: list[Component]  # every component, for the form that changes them
    standing: Standing  # where each stands: now, publicly, held by which incidents
    people: list[User]  # active accounts, for the roster form
    updates: list[Update]  # published, newest first
    waiting: list[Update]  # drafts and updates in review
    events: list[TimelineEvent]  # the latest on the timeline, oldest first
    promises: list[Promise]  # still open, soonest first
    figures: list[AudienceFigures]
    checkins: list[CheckIn]  # each responder's last report and next one owed
    checkin_interval: timedelta | None  # how often they owe one (None: not at this severity)
    may_manage: bool
    may_write: bool
    may_note: bool


def incident_console(
    incident_id: int,
    *,
    user: User,
    now: datetime,
    checkin_intervals: Mapping[Severity, timedelta] | None = None,
) -> IncidentConsole:
    """One incident as its console page shows it to the user (NotFound if there is none)."""
    incident = get_incident(incident_id)
    return IncidentConsole(
        incident=incident,
        components=all_components(),
        standing=standing(),
        people=[person for person in list_users() if person.is_active],
        updates=published_updates(incident),
        waiting=drafts_waiting(incident),
        events=timeline(incident)[-LATEST_EVENTS:],
        promises=open_promises(incident),
        figures=incident_figures(incident, now=now),
        checkins=checkins_of(incident, intervals=checkin_intervals or {}),
        checkin_interval=checkin_interval(incident, checkin_intervals or {}),
        may_manage=has_permission(user, Permission.MANAGE_INCIDENTS),
        may_write=has_permission(user, Permission.WRITE_UPDATES),
        may_note=may_add_note(user, incident),
    )


def dashboard(user: User) -> Dashboard:
    """Open incidents and maintenance with every promise, updates awaiting review, my duties."""
    summaries = _open_summaries()
    in_review = [u for u in drafts_waiting() if u.state is UpdateState.IN_REVIEW]
    duties = [
        Duty(s.incident, [a.role for a in s.incident.roster if a.user_id == user.id])
        for s in summaries
        if any(a.user_id == user.id for a in s.incident.roster)
    ]
    return Dashboard(
        incidents=[s for s in summaries if not s.incident.is_maintenance],
        maintenance=[s for s in summaries if s.incident.is_maintenance],
        in_review=in_review,
        duties=duties,
    )


def internal_view(*, now: datetime) -> InternalView:
    """Everything public plus internal components, every audience's updates, roster, promises;
    a briefing per open incident, and the incidents resolved in the last RECENT_DAYS days."""
    summaries = _open_summaries()
    audiences = list_audiences()
    return InternalView(
        listings=list_components(include_internal=True),
        standing=standing(),
        audiences=audiences,
        incidents=[s for s in summaries if not s.incident.is_maintenance],
        maintenance=[s for s in summaries if s.incident.is_maintenance],
        briefings={s.incident.id: briefing(s, audiences, now=now) for s in summaries},
        recently_resolved=list(
            db.session.scalars(
                sa.select(Incident)
                .where(
                    Incident.kind == IncidentKind.INCIDENT,
                    Incident.resolved_at >= now - timedelta(days=RECENT_DAYS),
                    Incident.status.in_(CLOSED_STATUSES),
                )
                .order_by(Incident.resolved_at.desc())
            )
        ),
    )


def briefing(summary: IncidentSummary, audiences: list[Audience], *, now: datetime) -> Briefing:
    """The four lines an executive reads first about an open incident."""
    incident = summary.incident
    lasted = describe_duration(now - incident.started_at)
    if incident.is_maintenance:
        impact = f"Maintenance, {incident.status.label.lower()}"
    else:
        impact = f"{incident.severity} ({incident.impact.label.lower()}) for {lasted}"
    public = [link for link in incident.components if link.component.is_public]
    hit = ", ".join(f"{link.component.name} ({link.status.label.lower()})" for link in public)
    told = [summary.latest[a.id] for a in audiences if a.is_public and a.id in summary.latest]
    if told:
        last = max(told, key=lambda update: update.published_at or NEVER)
        said = (
            f"told “{last.status.label}” at {format_time(last.published_at, current_site().zone)}"
        )
    else:
        said = "not told yet"
    leads = [
        f"{role.label} {user.name}"
        for role in (RosterRole.COMMANDER, RosterRole.DEPUTY)
        for user in incident.holders(role)
    ]
    return Briefing(
        impact=impact,
        customers=f"{hit or 'No public component affected'}; customers {said}",
        next_update=summary.promises[0] if summary.promises else None,
        leads=", ".join(leads) or "Nobody is commander",
        sla=[
            item.describe()
            for item in exposure(
                [link.component for link in incident.components], now=now, zone=current_site().zone
            )
        ],
    )


def _open_summaries() -> list[IncidentSummary]:
    incidents = db.session.scalars(
        sa.select(Incident)
        .where(Incident.status.not_in(CLOSED_STATUSES))
        .options(selectinload(Incident.roster), selectinload(Incident.components))
        .order_by(
            sa.case((Incident.kind == IncidentKind.INCIDENT, 0), else_=1),
            Incident.severity,
            Incident.started_at.desc(),
        )
    ).all()
    summaries = {incident.id: IncidentSummary(incident) for incident in incidents}
    if not summaries:
        return []
    for promise in db.session.scalars(
        sa.select(Promise)
        .where(Promise.incident_id.in_(summaries), Promise.state == PromiseState.OPEN)
        .order_by(Promise.due_at)
    ):
        summaries[promise.incident_id].promises.append(promise)
    for update in db.session.scalars(
        sa.select(Update)
        .where(Update.incident_id.in_(summaries))
        .order_by(Update.published_at, Update.id)
    ):
        summary = summaries[update.incident_id]
        if update.state is UpdateState.PUBLISHED:
            summary.latest[update.audience_id] = update
        else:
            summary.waiting += 1
    return list(summaries.values())


def feed_updates(incident: Incident | None = None) -> list[Update]:
    """Published updates to every audience, newest first: all incidents', or one incident's."""
    query = sa.select(Update).where(Update.state == UpdateState.PUBLISHED)
    if incident is not None:
        query = query.where(Update.incident_id == incident.id)
    return list(
        db.session.scalars(
            query.order_by(Update.published_at.desc(), Update.id.desc()).limit(FEED_LENGTH)
        )
    )


def internal_feed(
    site: Site,
    *,
    self_url: str,
    page_url: str,
    incident_url: Callable[[int], str],
    incident: Incident | None = None,
) -> tuple[Feed, list[Entry]]:
    """The internal update stream (or one incident's history) as a feed with one entry per update.

    Each entry links to its incident in the console (incident_url gives the address of an id).
    """
    specific = f"/internal/incidents/{incident.id}" if incident else "/internal/updates"
    title = (
        f"{site.name} internal - {incident.title}" if incident else f"{site.name} internal updates"
    )
    feed = Feed(
        id=tag_uri(site.url, specific),
        title=title,
        page_url=page_url,
        self_url=self_url,
        description="Every audience's updates, for staff only.",
        author=site.name,
        author_uri=site.url + index_path(),
        empty_since=incident.created_at if incident else NEVER,
    )
    entries = [_internal_entry(update, site, incident_url) for update in feed_updates(incident)]
    return feed, entries


def _internal_entry(update: Update, site: Site, incident_url: Callable[[int], str]) -> Entry:
    at = update.published_at or update.created_at
    return Entry(
        id=tag_uri(site.url, f"InternalUpdate/{update.id}"),
        title=f"[{update.audience.name}] {update.incident.title}: {update.title}",
        url=incident_url(update.incident_id),
        published=at,
        updated=at,
        content_html=updates_html(
            [
                UpdateBlock(
                    at,
                    f"{update.status.label} · {update.audience.name}",
                    markdown_to_html(update.body),
                )
            ],
            site.zone,
        ),
    )
