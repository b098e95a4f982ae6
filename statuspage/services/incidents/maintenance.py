"""Maintenance windows: planning one with a message per audience, and moving it on time,
`scheduled` -> `in_progress` at the start, -> `completed` at the end. (Changing a planned window,
cancelling it, and planning a series are in `windows`; reminders before the start in `reminders`.)

Each move publishes the new phase's template to every audience told about the window (the public
ones when nobody was told yet and the public can see it); the window's own impact on its
components (under maintenance) holds while it is underway and ends with it. Each move happens once: the windows are picked by their status under a row lock (FOR UPDATE SKIP LOCKED on
PostgreSQL; the incident's version column guards the write as well), so a second run or a second
scheduler finds nothing left to move.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from statuspage.core.errors import ValidationError
from statuspage.core.site import Site
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    Incident,
    IncidentKind,
    IncidentStatus,
    MessageTemplate,
    Update,
    UpdateState,
    User,
)
from statuspage.services.defaults import template_text
from statuspage.services.incidents import lifecycle, publishing, reminders
from statuspage.services.incidents.lifecycle import change_status
from statuspage.services.public.version import bump_publication
from statuspage.services.records import record_audit
from statuspage.services.templating import (
    RenderedMessage,
    message_context,
    render_deadline,
    render_message,
    template_for,
)

log = logging.getLogger(__name__)
UNFINISHED = (IncidentStatus.SCHEDULED, IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)


@dataclass(frozen=True)
class WindowMove:
    """One window moved to a new phase."""

    incident_id: int
    status: IncidentStatus


def plan_maintenance(
    *,
    title: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: Sequence[Component],
    messages: Mapping[Audience, str],
    site: Site,
    by: User,
    now: datetime,
) -> Incident:
    """Schedule a maintenance window and announce it to each chosen audience.

    Each audience gets its own text, or (when left blank) its template for a scheduled window.
    """
    if scheduled_for <= now:
        raise ValidationError("The window must start in the future.", field="scheduled_for")
    if not messages:
        raise ValidationError("Choose at least one audience to tell.", field="audiences")
    maintenance = lifecycle.schedule_maintenance(
        title=title,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        by=by,
        now=now,
        components=components,
    )
    status = IncidentStatus.SCHEDULED
    deadline = render_deadline()  # one wait for every audience's template
    for audience, text in messages.items():
        context = message_context(maintenance, audience=audience, site=site, status=status, now=now)
        template = template_for(audience, status)
        rendered = render_message(template, context, deadline=deadline) if template else None
        draft = publishing.add_draft(
            maintenance,
            audience,
            body=text.strip() or (rendered.body if rendered else ""),
            title=rendered.title if rendered else maintenance.title,
            status=status,
            by=by,
            now=now,
            template=template,
        )
        publishing.publish_update(draft, by=by, now=now)
    if any(c.is_public for c in components):
        bump_publication(now=now)
    reminders.arm_reminders(maintenance, messages.keys(), now=now)
    record_audit(
        by, "maintenance.schedule", "incident", maintenance.id, now=now, details={"title": title}
    )
    return maintenance


def move_maintenance_windows(*, now: datetime, site: Site) -> list[WindowMove]:
    """Start the windows whose start has come and complete those whose end has passed.

    A window whose whole span passed while no scheduler ran goes straight to completed.
    """
    moves = []
    starting = _lock_windows(
        Incident.status == IncidentStatus.SCHEDULED,
        Incident.scheduled_for <= now,
        Incident.scheduled_until > now,
    )
    for window in starting:
        publish_phase(window, IncidentStatus.IN_PROGRESS, now=now, site=site)
        moves.append(WindowMove(window.id, IncidentStatus.IN_PROGRESS))
    ending = _lock_windows(Incident.status.in_(UNFINISHED), Incident.scheduled_until <= now)
    for window in ending:
        publish_phase(window, IncidentStatus.COMPLETED, now=now, site=site)
        moves.append(WindowMove(window.id, IncidentStatus.COMPLETED))
    return moves


def _lock_windows(*conditions: sa.ColumnElement[bool]) -> list[Incident]:
    return list(
        db.session.scalars(
            sa.select(Incident)
            .where(Incident.kind == IncidentKind.MAINTENANCE, *conditions)
            .order_by(Incident.scheduled_for, Incident.id)
            .with_for_update(skip_locked=True)
        )
    )


def publish_phase(window: Incident, status: IncidentStatus, *, now: datetime, site: Site) -> None:
    """Tell every audience told of the window its new phase, from their templates."""
    audiences = audiences_to_tell(window)
    for audience in audiences:
        template = template_for(audience, status)
        message = _message(window, audience, template, status, site=site, now=now)
        draft = publishing.add_draft(
            window,
            audience,
            body=message.body,
            title=message.title,
            by=None,
            now=now,
            status=status,
            template=template,
        )
        # Publishing also moves the window's status, and tells what its impact now is.
        publishing.publish_update(draft, by=None, now=now)
    if not audiences:
        change_status(window, status, by=None, now=now)


def audiences_to_tell(window: Incident) -> list[Audience]:
    """Every audience already told about the window, public ones first.

    A window nobody was told about is announced to the public audiences if the public can see
    any of its components (or it names none); an internal one moves without a message.
    """
    told = sa.select(Update.audience_id).where(
        Update.incident_id == window.id, Update.state == UpdateState.PUBLISHED
    )
    order = (Audience.is_public.desc(), Audience.position, Audience.id)
    audiences = db.session.scalars(
        sa.select(Audience).where(Audience.id.in_(told)).order_by(*order)
    ).all()
    if audiences:
        return list(audiences)
    components = [link.component for link in window.components]
    if components and not any(component.is_public for component in components):
        return []
    return list(db.session.scalars(sa.select(Audience).where(Audience.is_public).order_by(*order)))


def _message(
    window: Incident,
    audience: Audience,
    template: MessageTemplate | None,
    status: IncidentStatus,
    *,
    site: Site,
    now: datetime,
) -> RenderedMessage:
    context = message_context(window, audience=audience, site=site, status=status, now=now)
    if template is not None:
        try:
            message = render_message(template, context)
        except ValidationError:
            log.warning(
                "maintenance template cannot be rendered; using the built-in text",
                extra={"audience": audience.slug, "status": str(status)},
            )
        else:
            if message.body:
                return message
    # A missing or broken template must not hold the window in its old phase.
    title, body = template_text(audience.slug, status)
    return render_message(MessageTemplate(title=title, body=body), context)
