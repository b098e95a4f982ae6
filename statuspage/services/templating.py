"""Message templates: rendering an audience's template in a sandbox over plain data.

The context holds only strings, numbers and lists of plain dicts built for one audience, never
models, so a template cannot walk to another audience's text or to anything else in the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from statuspage.errors import ValidationError
from statuspage.models import Component, Incident, IncidentStatus, MessageTemplate
from statuspage.rendering import format_datetime, format_time
from statuspage.site import Site

_environment = SandboxedEnvironment(autoescape=False)


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    body: str


def message_context(
    incident: Incident,
    *,
    site: Site,
    status: IncidentStatus | None = None,
    facts: str = "",
    components: list[Component] | None = None,
    next_update_at: datetime | None = None,
) -> dict[str, Any]:
    """The documented variables a template may use, as plain data.

    `status` is the status the message announces, which may not be the incident's yet.
    """
    status = status or incident.status
    affected = components if components is not None else [c.component for c in incident.components]
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
        "components": [
            {"name": c.name, "status": str(c.status), "status_label": c.status.label}
            for c in affected
        ],
        "facts": facts.strip(),
        "next_update_at": format_time(next_update_at, zone) if next_update_at else "",
    }


def render_message(template: MessageTemplate, context: Mapping[str, Any]) -> RenderedMessage:
    """Render the template's title and body, or raise ValidationError saying what is wrong."""
    return RenderedMessage(
        title=_render(template.title, context, part="title").strip(),
        body=_render(template.body, context, part="body").strip(),
    )


def _render(source: str, context: Mapping[str, Any], *, part: str) -> str:
    try:
        return _environment.from_string(source).render(context)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        where = f" (line {line})" if line else ""
        raise ValidationError(
            f"The template's {part} cannot be rendered{where}: {error}", field=part
        ) from error


def _maybe(moment: datetime | None, zone: str) -> str:
    return format_datetime(moment, zone) if moment else ""
