"""The public incident history, three months to a page as Statuspage pages it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa

from statuspage.core.errors import NotFound
from statuspage.core.times import in_zone, start_of_day
from statuspage.extensions import db
from statuspage.models import Incident, IncidentKind, IncidentStatus
from statuspage.services.public.catalogue import component_catalogue
from statuspage.services.public.incidents import fetch, told_publicly
from statuspage.services.public.types import HistoryMonth, HistoryPage

MONTHS_PER_HISTORY_PAGE = 3


def history_page(
    page: int, *, now: datetime, zone: str, component_id: int | None = None
) -> HistoryPage:
    """Public incidents and maintenance of three months (page 1: this month and the two before),
    of every public component or of one (NotFound for a component the public does not see).
    Maintenance still to come is not history: the status page lists it under maintenance."""
    this_month = _month_of(now, zone)
    page_count = history_page_count(now=now, zone=zone)
    if page < 1 or page > page_count:
        raise NotFound(f"There is no page {page} of the history (pages 1 to {page_count}).")
    newest = _add_months(this_month, -MONTHS_PER_HISTORY_PAGE * (page - 1))
    months = [_add_months(newest, -n) for n in range(MONTHS_PER_HISTORY_PAGE)]
    catalogue = component_catalogue()
    component = catalogue.get(component_id) if component_id is not None else None
    if component_id is not None and component is None:
        raise NotFound(f"There is no public component {component_id} to show the history of.")
    incidents = fetch(
        sa.select(Incident)
        .where(
            told_publicly(),
            sa.not_(
                sa.and_(
                    Incident.kind == IncidentKind.MAINTENANCE,
                    Incident.public_status == IncidentStatus.SCHEDULED,
                )
            ),
            Incident.started_at >= start_of_day(months[-1], zone),
            Incident.started_at < start_of_day(_add_months(newest, 1), zone),
        )
        .order_by(Incident.started_at.desc(), Incident.id.desc()),
        catalogue,
    )
    by_month = defaultdict(list)
    for incident in incidents:
        if component is None or any(c.id == component.id for c in incident.components):
            by_month[_month_of(incident.started_at, zone)].append(incident)
    return HistoryPage(
        page=page,
        component=component,
        months=tuple(HistoryMonth(month, tuple(by_month[month])) for month in months),
        page_count=page_count,
        expires_at=start_of_day(_add_months(this_month, 1), zone),
    )


def history_page_count(*, now: datetime, zone: str) -> int:
    """How many history pages there are: from this month back to the oldest incident's."""
    oldest = db.session.scalar(
        sa.select(Incident.started_at).where(told_publicly()).order_by(Incident.started_at).limit(1)
    )
    if oldest is None:
        return 1
    return max(1, history_page_of(oldest, now=now, zone=zone))


def _month_of(moment: datetime, zone: str) -> date:
    return in_zone(moment, zone).date().replace(day=1)


def history_page_of(moment: datetime, *, now: datetime, zone: str) -> int:
    """The history page listing what started at `moment` (a future start counts as page 1)."""
    months_ago = max(0, _months_between(_month_of(moment, zone), _month_of(now, zone)))
    return months_ago // MONTHS_PER_HISTORY_PAGE + 1


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month
