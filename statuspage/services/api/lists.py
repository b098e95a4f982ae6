"""The management API's lists, a page at a time (Statuspage's `page` and `per_page`): incidents by
Statuspage's filters, components, groups, subscribers and message templates."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentComponent,
    IncidentKind,
    IncidentStatus,
    MessageTemplate,
    Subscriber,
)
from statuspage.models.enums import CLOSED_STATUSES


class Which(StrEnum):
    """Statuspage's incident lists."""

    ALL = "all"
    UNRESOLVED = "unresolved"  # open incidents
    SCHEDULED = "scheduled"  # every maintenance window, newest first
    UPCOMING = "upcoming"  # windows not started yet
    ACTIVE_MAINTENANCE = "active_maintenance"  # windows underway


_WHERE = {
    Which.ALL: (),
    Which.UNRESOLVED: (
        Incident.kind == IncidentKind.INCIDENT,
        Incident.status.not_in(CLOSED_STATUSES),
    ),
    Which.SCHEDULED: (Incident.kind == IncidentKind.MAINTENANCE,),
    Which.UPCOMING: (
        Incident.kind == IncidentKind.MAINTENANCE,
        Incident.status == IncidentStatus.SCHEDULED,
    ),
    Which.ACTIVE_MAINTENANCE: (
        Incident.kind == IncidentKind.MAINTENANCE,
        Incident.status.in_((IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)),
    ),
}


def _page(query: sa.Select, page: int, per_page: int) -> sa.Select:
    return query.limit(per_page).offset((page - 1) * per_page)


def incidents(which: Which, *, q: str = "", page: int = 1, per_page: int = 100) -> list[Incident]:
    """Incidents in the list, newest first, whose title has `q` (when given)."""
    query = sa.select(Incident).where(*_WHERE[which])
    if q:
        words = q.lower()
        query = query.where(
            sa.or_(
                sa.func.lower(Incident.title).contains(words, autoescape=True),
                sa.func.lower(Incident.public_title).contains(words, autoescape=True),
            )
        )
    order = Incident.scheduled_for if which is Which.UPCOMING else Incident.started_at.desc()
    query = query.options(
        selectinload(Incident.components).selectinload(IncidentComponent.component),
        selectinload(Incident.postmortem),
    ).order_by(order, Incident.id.desc())
    return list(db.session.scalars(_page(query, page, per_page)))


def components(*, page: int, per_page: int) -> list[Component]:
    """Every component (public and internal), in display order."""
    query = sa.select(Component).order_by(Component.position, Component.id)
    return list(db.session.scalars(_page(query, page, per_page)))


def groups(*, page: int, per_page: int) -> list[ComponentGroup]:
    query = sa.select(ComponentGroup).order_by(ComponentGroup.position, ComponentGroup.id)
    return list(db.session.scalars(_page(query, page, per_page)))


def subscribers(*, page: int, per_page: int) -> list[Subscriber]:
    """Every subscriber, oldest first (so pages stay put while people subscribe)."""
    query = (
        sa.select(Subscriber).options(selectinload(Subscriber.components)).order_by(Subscriber.id)
    )
    return list(db.session.scalars(_page(query, page, per_page)))


def templates(*, page: int, per_page: int) -> list[MessageTemplate]:
    query = sa.select(MessageTemplate).order_by(MessageTemplate.audience_id, MessageTemplate.id)
    return list(db.session.scalars(_page(query, page, per_page)))
