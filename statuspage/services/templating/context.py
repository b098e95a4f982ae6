"""What a template may read: the documented variables, as plain data built for one audience.

The context holds only strings and lists of plain dicts, never models, so a template cannot walk to
another audience's text or to anything else in the app, and it crosses to the sandbox's process as
JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from statuspage.core.addresses import incident_path
from statuspage.core.site import Site
from statuspage.core.times import format_datetime, format_time
from statuspage.models import (
    Audience,
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    Severity,
)
from statuspage.services.incidents.exposure import exposure


@dataclass(frozen=True)
class TemplateVariable:
    name: str
    meaning: str
    example: str


# The documented variables, shown on the template edit page: keep in step with _context.
VARIABLES = (
    TemplateVariable("page.name", "The status page's name", "Acme Status"),
    TemplateVariable("page.url", "The public status page", "https://status.example.com"),
    TemplateVariable("incident.title", "The incident's public title", "Elevated API errors"),
    TemplateVariable("incident.url", "The incident's public permalink", "…/incidents/42"),
    TemplateVariable("incident.status", "The status this message announces", "identified"),
    TemplateVariable("incident.status_label", "The same, for people", "Identified"),
    TemplateVariable("incident.severity", "SEV1 … SEV4 (empty for maintenance)", "SEV2"),
    TemplateVariable("incident.impact", "Statuspage impact", "major"),
    TemplateVariable("incident.started_at", "When it started, in the page's zone", "Mar 4, 14:00"),
    TemplateVariable("incident.scheduled_for", "Maintenance start (empty otherwise)", ""),
    TemplateVariable("incident.scheduled_until", "Maintenance end (empty otherwise)", ""),
    TemplateVariable(
        "components", "Affected components: each has name, status, status_label", "[…]"
    ),
    TemplateVariable(
        "incident.working_title",
        "Staff audiences: the working title (public audiences: the public title)",
        "Search index corrupt after deploy",
    ),
    TemplateVariable("facts", "What the liaison wrote once for every audience", "A deploy …"),
    TemplateVariable(
        "internal_details",
        "Staff audiences only: what the liaison wrote for staff (empty for public audiences)",
        "Provider: Elastic; ticket 4411",
    ),
    TemplateVariable(
        "sla",
        "Staff audiences only: per affected component with an availability target: component, "
        "target, used_minutes, budget_minutes, text",
        "[…]",
    ),
    TemplateVariable("next_update_at", "The promised time of the next update", "14:30 UTC"),
)


def message_context(
    incident: Incident,
    *,
    audience: Audience,
    site: Site,
    status: IncidentStatus | None = None,
    facts: str = "",
    internal_details: str = "",
    components: Mapping[Component, ComponentStatus] | None = None,
    next_update_at: datetime | None = None,
    now: datetime | None = None,
    sla: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The documented variables a template for `audience` may use, as plain data.

    `sla` is sla_variables() of the same components and time, when the caller renders for many
    audiences at once and computes it once (by default it is computed here, for staff).

    A public audience's template gets the facts only; staff audiences' also the internal details
    and the working title.

    `status` is the status the message announces, and `components` the statuses it announces
    (by default the incident's affected components as they are); either may not be in force yet.
    A public audience's template never sees an internal-only component (invariant 1). Times are
    written as of `now` (with the year when it is another year's); by default as of the
    incident's last change.
    """
    affected = (
        components
        if components is not None
        else {link.component: link.status for link in incident.components}
    )
    if audience.is_public:
        affected = {c: state for c, state in affected.items() if c.is_public}
    context = _incident_context(
        incident,
        site,
        status=status or incident.status,
        severity=incident.severity,
        affected=affected,
        facts=facts,
        next_update_at=next_update_at,
        now=now,
    )
    if not audience.is_public:
        context["incident"]["working_title"] = incident.title
        context["internal_details"] = internal_details.strip()
        context["sla"] = (
            sla
            if sla is not None
            else sla_variables(affected, now=now or incident.updated_at, zone=site.zone)
        )
    return context


def sla_variables(
    components: Iterable[Component], *, now: datetime, zone: str
) -> list[dict[str, Any]]:
    """The `sla` variable: this month's downtime of each component against its target."""
    return [
        {
            "component": item.component.name,
            "target": item.target,
            "used_minutes": round(item.used.total_seconds() / 60),
            "budget_minutes": round(item.budget.total_seconds() / 60),
            "text": item.describe(),
        }
        for item in exposure(list(components), now=now, zone=zone)
    ]


def late_notice_context(
    audience: Audience, incident: Incident, *, site: Site, due_at: datetime
) -> dict[str, Any]:
    """What a late notice reads, written as of the due time.

    A public audience's notice reads what the public was told, not what staff know since.
    """
    if not audience.is_public:
        return message_context(
            incident, audience=audience, site=site, next_update_at=due_at, now=due_at
        )
    return _incident_context(
        incident,
        site,
        status=incident.public_status or incident.status,
        severity=incident.public_severity,
        affected={
            link.component: link.public_status
            for link in incident.components
            if link.component.is_public and link.public_status is not None
        },
        facts="",
        next_update_at=due_at,
        now=due_at,
    )


def _incident_context(
    incident: Incident,
    site: Site,
    *,
    status: IncidentStatus,
    severity: Severity | None,
    affected: Mapping[Component, ComponentStatus],
    facts: str,
    next_update_at: datetime | None,
    now: datetime | None,
) -> dict[str, Any]:
    zone = site.zone
    written_at = now or incident.updated_at
    if incident.is_maintenance:
        impact = Impact.MAINTENANCE
    else:
        impact = severity.impact if severity else Impact.NONE
    return _context(
        site,
        incident_id=incident.id,
        title=incident.public_name,
        status=status,
        severity=severity,
        impact=str(impact),
        started_at=format_datetime(incident.started_at, zone, now=written_at),
        scheduled_for=_maybe(incident.scheduled_for, zone, now=written_at),
        scheduled_until=_maybe(incident.scheduled_until, zone, now=written_at),
        components=[(component.name, state) for component, state in affected.items()],
        facts=facts,
        next_update_at=format_time(next_update_at, zone) if next_update_at else "",
    )


def sample_context(site: Site, status: IncidentStatus) -> dict[str, Any]:
    """A realistic incident (or maintenance) to try a template on before it is saved."""
    is_maintenance = status.kind.value == "maintenance"
    return _context(
        site,
        incident_id=42,
        title="Elevated error rates on the API",
        status=status,
        severity=None if is_maintenance else Severity.SEV2,
        impact="maintenance" if is_maintenance else "major",
        started_at="Mar 4, 14:00 UTC",
        scheduled_for="Mar 6, 02:00 UTC" if is_maintenance else "",
        scheduled_until="Mar 6, 04:00 UTC" if is_maintenance else "",
        components=[("API", "partial_outage"), ("Dashboard", "degraded_performance")],
        facts="A configuration change is being rolled back; errors are falling.",
        next_update_at="14:30 UTC",
    )


def _context(
    site: Site,
    *,
    incident_id: int,
    title: str,
    status: IncidentStatus,
    severity: Severity | None,
    impact: str,
    started_at: str,
    scheduled_for: str,
    scheduled_until: str,
    components: list[tuple[str, str]],
    facts: str,
    next_update_at: str,
) -> dict[str, Any]:
    return {
        "page": {"name": site.name, "url": site.url},
        "incident": {
            "title": title,
            "working_title": title,
            "url": site.url + incident_path(incident_id),
            "status": str(status),
            "status_label": status.label,
            "severity": str(severity or ""),
            "impact": impact,
            "started_at": started_at,
            "scheduled_for": scheduled_for,
            "scheduled_until": scheduled_until,
        },
        "components": [
            {"name": name, "status": str(state), "status_label": ComponentStatus(state).label}
            for name, state in components
        ],
        "facts": facts.strip(),
        "internal_details": "",
        "sla": [],
        "next_update_at": next_update_at,
    }


def _maybe(moment: datetime | None, zone: str, *, now: datetime) -> str:
    return format_datetime(moment, zone, now=now) if moment else ""
