"""Message templates: rendering an audience's template in a sandbox over plain data.

The context holds only strings, numbers and lists of plain dicts built for one audience, never
models, so a template cannot walk to another audience's text or to anything else in the app.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from statuspage.errors import ValidationError
from statuspage.extensions import db
from statuspage.models import (
    Audience,
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    MessageTemplate,
)
from statuspage.models.audiences import DEFAULT_LATE_NOTICE
from statuspage.rendering import format_datetime, format_time
from statuspage.site import Site

log = logging.getLogger(__name__)
_environment = SandboxedEnvironment(autoescape=False)


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    body: str


def template_for(audience: Audience, status: IncidentStatus) -> MessageTemplate | None:
    """The audience's template for this status or maintenance phase, if it has one."""
    return db.session.scalar(
        sa.select(MessageTemplate).where(
            MessageTemplate.audience_id == audience.id, MessageTemplate.status == status
        )
    )


def message_context(
    incident: Incident,
    *,
    site: Site,
    status: IncidentStatus | None = None,
    facts: str = "",
    components: list[Component] | None = None,
    next_update_at: datetime | None = None,
    component_statuses: Mapping[Component, ComponentStatus] | None = None,
) -> dict[str, Any]:
    """The documented variables a template may use, as plain data.

    `status` is the status the message announces, which may not be the incident's yet; likewise
    `component_statuses`, the components' statuses the message announces where they will change.
    """
    status = status or incident.status
    affected = components if components is not None else [c.component for c in incident.components]
    announced = component_statuses or {}
    zone = site.zone
    return {
        "page": {"name": site.name, "url": site.url},
        "incident": {
            "title": incident.public_name,
            "url": f"{site.url}/incidents/{incident.id}",
            "status": str(status),
            "status_label": status.label,
            "severity": str(incident.severity or ""),
            "impact": str(incident.impact),
            "started_at": format_datetime(incident.started_at, zone),
            "scheduled_for": _maybe(incident.scheduled_for, zone),
            "scheduled_until": _maybe(incident.scheduled_until, zone),
        },
        "components": [_component_data(c, announced.get(c, c.status)) for c in affected],
        "facts": facts.strip(),
        "next_update_at": format_time(next_update_at, zone) if next_update_at else "",
    }


def render_message(template: MessageTemplate, context: Mapping[str, Any]) -> RenderedMessage:
    """Render the template's title and body, or raise ValidationError saying what is wrong."""
    return RenderedMessage(
        title=_render(template.title, context, part="title").strip(),
        body=_render(template.body, context, part="body").strip(),
    )


def render_late_notice(
    audience: Audience, incident: Incident, *, site: Site, due_at: datetime
) -> str:
    """What the audience reads once the update promised by `due_at` is late (its late notice).

    A notice an admin broke is replaced by the built-in one: a public page must still answer.
    """
    context = message_context(incident, site=site, next_update_at=due_at)
    try:
        return _render(audience.late_notice, context, part="late notice").strip()
    except ValidationError:
        log.warning("late notice cannot be rendered", extra={"audience": audience.slug})
        return DEFAULT_LATE_NOTICE


def _render(source: str, context: Mapping[str, Any], *, part: str) -> str:
    try:
        return _environment.from_string(source).render(context)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        where = f" (line {line})" if line else ""
        raise ValidationError(
            f"The template's {part} cannot be rendered{where}: {error}", field=part
        ) from error


def _component_data(component: Component, status: ComponentStatus) -> dict[str, str]:
    return {"name": component.name, "status": str(status), "status_label": status.label}


def _maybe(moment: datetime | None, zone: str) -> str:
    return format_datetime(moment, zone) if moment else ""
