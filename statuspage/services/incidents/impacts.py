"""What status each component has, derived from the impacts incidents and windows give it.

A component's status is the status an admin set by hand if there is one, else the worst impact
among the open incidents and the maintenance windows underway that hold it, else operational.
Internally that reads each incident's impact as it is now; publicly, as the newest public update
of each incident told it, so nothing moves publicly before a publication. No copy is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentComponent,
    IncidentStatus,
)
from statuspage.models.enums import CLOSED_STATUSES


def effective_statuses(
    component_ids: Iterable[int] | None = None, *, public: bool
) -> dict[int, ComponentStatus]:
    """Each component's status (every component's, or these): see the module's docstring."""
    query = sa.select(Component.id, Component.manual_status)
    if component_ids is not None:
        query = query.where(Component.id.in_(list(component_ids)))
    manual = {cid: status for cid, status in db.session.execute(query)}
    statuses = {cid: status or ComponentStatus.OPERATIONAL for cid, status in manual.items()}
    derived = {cid for cid, status in manual.items() if status is None}
    for component_id, impact in db.session.execute(_open_impacts(derived, public=public)):
        if impact.rank > statuses[component_id].rank:
            statuses[component_id] = impact
    return statuses


def _open_impacts(component_ids: set[int], *, public: bool) -> sa.Select:
    """(component id, impact) of every open incident and window underway holding them."""
    if public:
        impact, status = IncidentComponent.public_status, Incident.public_status
    else:
        impact, status = IncidentComponent.status, Incident.status
    return (
        sa.select(IncidentComponent.component_id, impact)
        .join(Incident, Incident.id == IncidentComponent.incident_id)
        .where(
            IncidentComponent.component_id.in_(component_ids),
            status.is_not(None),
            status.not_in(CLOSED_STATUSES),
            # A window not started yet holds its components only in its plan.
            status != IncidentStatus.SCHEDULED,
            impact.is_not(None),
            impact != ComponentStatus.OPERATIONAL,
        )
    )


def holders_of(component_ids: Iterable[int]) -> dict[int, list[Incident]]:
    """The open incidents and windows giving each component an impact now (for the console)."""
    rows = db.session.execute(
        sa.select(IncidentComponent.component_id, Incident)
        .join(Incident, Incident.id == IncidentComponent.incident_id)
        .where(
            IncidentComponent.component_id.in_(list(component_ids)),
            Incident.status.not_in(CLOSED_STATUSES),
            Incident.status != IncidentStatus.SCHEDULED,
            IncidentComponent.status != ComponentStatus.OPERATIONAL,
        )
        .order_by(Incident.started_at, Incident.id)
    )
    holders: dict[int, list[Incident]] = {}
    for component_id, incident in rows:
        holders.setdefault(component_id, []).append(incident)
    return holders


@dataclass(frozen=True)
class Standing:
    """Where each component stands, for staff: now, as the public sees it, and who holds it."""

    now: dict[int, ComponentStatus]
    public: dict[int, ComponentStatus]
    manual: set[int]  # components whose status an admin set by hand
    holders: dict[int, list[Incident]]

    def is_pending(self, component_id: int) -> bool:
        """Whether the public still sees another status (until an update to it is published)."""
        return self.now[component_id] is not self.public[component_id]


def standing(component_ids: Iterable[int] | None = None) -> Standing:
    """Every component's standing (or these components')."""
    now = effective_statuses(component_ids, public=False)
    return Standing(
        now=now,
        public=effective_statuses(now, public=True),
        manual=set(
            db.session.scalars(
                sa.select(Component.id).where(
                    Component.id.in_(list(now)), Component.manual_status.is_not(None)
                )
            )
        ),
        holders=holders_of(now),
    )
