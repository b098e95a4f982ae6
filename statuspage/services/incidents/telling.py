"""What a published update tells, and the public learning it.

Each update records the component impacts it announced (`told_statuses`) and, in Statuspage's
`affected_components` shape, what changed since its audience's previous update of the incident
(so the first update carries what was set when the incident was declared). An update to a public
audience is the only way the public learns anything: it copies the incident's status, severity
and impacts to their public values, logs each component whose public status moves as a result,
and freezes what subscribers will be sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import (
    ComponentStatus,
    ComponentStatusChange,
    IncidentComponent,
    IncidentStatus,
    Update,
    UpdateState,
)
from statuspage.services import components


def tells_impacts(status: IncidentStatus) -> bool:
    """Whether an update saying `status` announces impacts (not once closed, nor before a window
    starts: then every component is operational as far as the incident goes)."""
    return not status.is_closed and status is not IncidentStatus.SCHEDULED


def record_what_it_tells(update: Update) -> None:
    """Set the update's told statuses and its affected components (see the module docstring)."""
    incident = update.incident
    active = tells_impacts(update.status)
    told = {
        str(link.component.id): str(link.status if active else ComponentStatus.OPERATIONAL)
        for link in incident.components
    }
    before = _told_before(update)
    names = {link.component.id: link.component for link in incident.components}
    changed = [
        {
            "code": code,
            "name": names[int(code)].name,
            "old_status": before.get(code, str(ComponentStatus.OPERATIONAL)),
            "new_status": status,
        }
        for code, status in told.items()
        if status != before.get(code, str(ComponentStatus.OPERATIONAL))
        and (names[int(code)].is_public or not update.audience.is_public)
    ]
    update.told_statuses = told
    update.affected_components = changed or None


def _told_before(update: Update) -> dict[str, Any]:
    """What the audience's previous published update of the incident told ({} if none)."""
    previous = db.session.scalar(
        sa.select(Update.told_statuses)
        .where(
            Update.incident_id == update.incident_id,
            Update.audience_id == update.audience_id,
            Update.state == UpdateState.PUBLISHED,
            Update.id != update.id,
        )
        .order_by(Update.published_at.desc(), Update.id.desc())
        .limit(1)
    )
    return previous or {}


def make_public(update: Update, *, now: datetime) -> list[ComponentStatusChange]:
    """The public learns what the update tells: the incident's status, severity and impacts.

    Returns the logged changes of public component statuses it causes.
    """
    incident = update.incident
    incident.public_status = update.status
    incident.public_updated_at = now
    incident.public_severity = incident.severity
    active = tells_impacts(update.status)
    for link in incident.components:
        _tell_the_public(link, link.status if active else ComponentStatus.OPERATIONAL, now=now)
    db.session.flush()
    return components.refresh_public_statuses(
        [link.component.id for link in incident.components], now=now, incident=incident
    )


def _tell_the_public(link: IncidentComponent, status: ComponentStatus, *, now: datetime) -> None:
    link.public_status = status
    if status is ComponentStatus.OPERATIONAL:
        if link.public_since is not None and link.public_until is None:
            link.public_until = now
        return
    if link.public_since is None or link.public_until is not None:
        link.public_since, link.public_until = link.public_since or now, None
    worst = link.worst_public_status or ComponentStatus.OPERATIONAL
    link.worst_public_status = max(worst, status, key=lambda s: s.rank)
