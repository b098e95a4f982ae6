"""The export's index of the public site: which incidents exist or changed, and what they touch
(their history pages and components' feeds), and their incident pages loaded in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import ComponentStatusChange, Incident, IncidentComponent
from statuspage.services.public.catalogue import component_catalogue
from statuspage.services.public.history import history_page_of
from statuspage.services.public.incidents import (
    CHUNK,
    load,
    outages,
    told_publicly,
)
from statuspage.services.public.types import IncidentPage


def public_incident_ids(*, changed_since: datetime | None = None) -> list[int]:
    """Ids of every public incident and maintenance, or of those touched since a time."""
    query = sa.select(Incident.id).where(told_publicly())
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
    return {history_page_of(start, now=now, zone=zone) for start in starts}


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
        for incident in load(chunk, catalogue):
            yield IncidentPage(incident, tuple(outages(incident, now=now)))
