"""Incidents and maintenance windows as the public was told them, and how long components suffered.

Everything here reads only what invariant 1 allows on a public surface: components (and groups) that
are public, and updates published to a public audience. An incident's public status and name come
from those updates, never from its working title or from internal updates. Every query is bounded
by a window (the 90 days of the bars, a month of history, the newest 25 or 50 entries) or by an
index, so rendering does not get slower as the history grows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext

from statuspage.core.errors import NotFound
from statuspage.core.times import is_overdue
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Impact,
    Incident,
    IncidentComponent,
    IncidentKind,
    IncidentStatus,
    Postmortem,
    Promise,
    PromiseState,
    Update,
    UpdateState,
)
from statuspage.models.audiences import DEFAULT_LATE_NOTICE
from statuspage.services.public.catalogue import component_catalogue
from statuspage.services.public.memo import per_transaction
from statuspage.services.public.types import (
    ComponentCatalogue,
    ComponentChange,
    ComponentOutage,
    IncidentPage,
    PublicImpact,
    PublicIncident,
    PublicUpdate,
)

OPEN_INCIDENT_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
)
ACTIVE_MAINTENANCE_STATUSES = (IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)
UPCOMING_MAINTENANCE_STATUSES = (IncidentStatus.SCHEDULED,)
FEED_INCIDENTS = 25
FEED_UPDATES = 50
API_INCIDENTS = 50
CALENDAR_PAST = timedelta(days=30)
# Loading in chunks keeps IN lists short on every backend (export reads every incident).
CHUNK = 500


@dataclass
class _Loaded:
    updates: dict[int, list[Update]] = field(default_factory=lambda: defaultdict(list))
    links: dict[int, list[IncidentComponent]] = field(default_factory=lambda: defaultdict(list))
    promises: dict[int, datetime] = field(default_factory=dict)
    postmortems: dict[int, Postmortem] = field(default_factory=dict)


@per_transaction
def _public_audience_ids() -> list[int]:
    return list(db.session.scalars(sa.select(Audience.id).where(Audience.is_public)))


def told_publicly() -> sa.ColumnElement[bool]:
    """Incidents something was published about to a public audience."""
    return Incident.public_status.is_not(None)


def load(incidents: Sequence[Incident], catalogue: ComponentCatalogue) -> list[PublicIncident]:
    """Incidents as the public was told them, in the order given (five queries per chunk)."""
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
    for postmortem in db.session.scalars(
        sa.select(Postmortem).where(
            Postmortem.incident_id.in_(ids), Postmortem.published_at.is_not(None)
        )
    ):
        loaded.postmortems[postmortem.incident_id] = postmortem
    return loaded


def late_notices(incidents: Sequence[PublicIncident], *, now: datetime) -> dict[int, str]:
    """What the public reads instead of "Next update by" for each incident whose promise passed.

    The wording is the promising audience's late notice, as the cadence tick rendered and kept it
    when the promise fell due (nothing an admin wrote is rendered on a public request); until
    that tick has run, the built-in notice. One query, and only when something is late.
    """
    late = [incident.id for incident in incidents if incident.is_overdue(now)]
    if not late:
        return {}
    notices: dict[int, str] = {}
    for incident_id, notice in db.session.execute(
        sa.select(Promise.incident_id, Promise.late_notice)
        .where(
            Promise.incident_id.in_(late),
            Promise.audience_id.in_(_public_audience_ids()),
            Promise.state == PromiseState.OPEN,
        )
        .order_by(Promise.due_at, Promise.id)
    ):
        notices.setdefault(incident_id, notice or gettext(DEFAULT_LATE_NOTICE))
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
    told = _public_updates(updates, public_ids)
    newest = told[-1]
    status = newest.status
    monitoring_at = next(
        (u.published_at for u in told if u.status is IncidentStatus.MONITORING), None
    )
    impacts = _public_impacts(loaded.links.get(incident.id, ()), public_ids)
    postmortem = loaded.postmortems.get(incident.id)
    linked = {impact.component_id for impact in impacts}
    return PublicIncident(
        id=incident.id,
        kind=incident.kind,
        name=updates[-1].title or incident.public_name,
        status=status,
        impact=incident.public_impact,
        created_at=incident.created_at,
        started_at=incident.started_at,
        updated_at=newest.published_at,
        monitoring_at=monitoring_at,
        resolved_at=newest.published_at if status.is_closed else None,
        scheduled_for=incident.scheduled_for,
        scheduled_until=incident.scheduled_until,
        updates=tuple(reversed(told)),
        components=tuple(c for c in catalogue.components if c.id in linked),
        impacts=impacts,
        next_update_at=None if status.is_closed else loaded.promises.get(incident.id),
        revision=incident.version,
        postmortem_body=postmortem.body if postmortem else None,
        postmortem_published_at=postmortem.published_at if postmortem else None,
        postmortem_updated_at=postmortem.updated_at if postmortem else None,
    )


def _public_updates(updates: Sequence[Update], public_ids: set[int]) -> list[PublicUpdate]:
    """The updates as published, oldest first; a repeated status is labelled "Update"."""
    told: list[PublicUpdate] = []
    previous: IncidentStatus | None = None
    for update in updates:
        told.append(
            PublicUpdate(
                id=update.id,
                incident_id=update.incident_id,
                status=update.status,
                label=gettext("Update") if update.status is previous else update.status.label,
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
    return told


def _public_impacts(
    links: Sequence[IncidentComponent], public_ids: set[int]
) -> tuple[PublicImpact, ...]:
    """The impacts on public components the public was told of."""
    return tuple(
        PublicImpact(
            link.component_id,
            link.public_status,
            link.worst_public_status or link.public_status,
            link.public_since,
            link.public_until,
        )
        for link in links
        if link.public_status is not None and link.component_id in public_ids
    )


def fetch(query: sa.Select[tuple[Incident]], catalogue: ComponentCatalogue) -> list[PublicIncident]:
    """The incidents the query selects, as the public was told them (the untold left out)."""
    return load(db.session.scalars(query).all(), catalogue)


@per_transaction
def open_incidents(catalogue: ComponentCatalogue) -> list[PublicIncident]:
    """Incidents the public was last told are open: most severe first, then newest first."""
    found = fetch(
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


@per_transaction
def maintenance_in(
    statuses: Iterable[IncidentStatus], catalogue: ComponentCatalogue
) -> list[PublicIncident]:
    """Maintenance windows in these public statuses, soonest first."""
    return fetch(
        sa.select(Incident)
        .where(
            Incident.kind == IncidentKind.MAINTENANCE,
            Incident.public_status.in_(list(statuses)),
        )
        .order_by(Incident.started_at, Incident.id),
        catalogue,
    )


@per_transaction
def recent(
    kind: IncidentKind, catalogue: ComponentCatalogue, *, limit: int = API_INCIDENTS
) -> list[PublicIncident]:
    """The newest public incidents (or maintenance windows) by start, newest first."""
    return fetch(
        sa.select(Incident)
        .where(Incident.kind == kind, told_publicly())
        .order_by(Incident.started_at.desc(), Incident.id.desc())
        .limit(limit),
        catalogue,
    )


@per_transaction
def recently_updated(
    catalogue: ComponentCatalogue, *, component_id: int | None = None, limit: int = FEED_INCIDENTS
) -> list[PublicIncident]:
    """Incidents and maintenance with the newest public updates, newest first (the history feed)."""
    query = sa.select(Incident).where(told_publicly())
    if component_id is not None:
        query = query.where(_touches(component_id))
    return fetch(
        query.order_by(Incident.public_updated_at.desc(), Incident.id.desc()).limit(limit),
        catalogue,
    )


@per_transaction
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
    incidents = fetch(sa.select(Incident).where(Incident.id.in_(incident_ids)), catalogue)
    by_update = {u.id: (i, u) for i in incidents for u in i.updates}
    return [by_update[update_id] for update_id, _ in newest if update_id in by_update]


def _touches(component_id: int) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        IncidentComponent.incident_id == Incident.id,
        IncidentComponent.component_id == component_id,
    )


def calendar_maintenance(catalogue: ComponentCatalogue, *, now: datetime) -> list[PublicIncident]:
    """Public maintenance windows that end in the future or ended in the last 30 days."""
    return fetch(
        sa.select(Incident)
        .where(
            Incident.kind == IncidentKind.MAINTENANCE,
            told_publicly(),
            Incident.scheduled_until >= now - CALENDAR_PAST,
        )
        .order_by(Incident.started_at, Incident.id),
        catalogue,
    )


def incident_page(incident_id: int, *, now: datetime) -> IncidentPage:
    """One public incident with its whole public timeline and how long each component suffered."""
    incident = db.session.get(Incident, incident_id)
    catalogue = component_catalogue()
    found = load([incident], catalogue) if incident is not None else []
    if not found:
        raise NotFound(f"There is no public incident {incident_id}.")
    public = found[0]
    return IncidentPage(public, tuple(outages(public, now=now)))


def outages(incident: PublicIncident, *, now: datetime) -> list[ComponentOutage]:
    """Per affected component: the worst impact this incident gave it, and for how long (its own
    impact, whatever other incidents did to the component meanwhile)."""
    components = {c.id: c for c in incident.components}
    found = []
    for impact in incident.impacts:
        duration: timedelta | None = timedelta()
        if impact.since is not None:
            end = impact.until or incident.ended_at
            duration = end - impact.since if end is not None else None
        found.append(ComponentOutage(components[impact.component_id], impact.worst, duration))
    return found
