"""What every installation starts with: audiences, built-in templates, late notices, cadence.

ensure_defaults() only adds what is missing, so it is safe to run on every deploy; anything an
admin has changed is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.extensions import db
from statuspage.models import (
    Audience,
    CadencePolicy,
    IncidentStatus,
    MessageTemplate,
    RosterRole,
    Severity,
)
from statuspage.models.audiences import DEFAULT_LATE_NOTICE
from statuspage.models.enums import MAINTENANCE_STATUSES

# Staff may be told more plainly than customers that an update is late, and since when.
INTERNAL_LATE_NOTICE = (
    "The update due by {{ next_update_at }} is late; the incident team has been told."
)


@dataclass(frozen=True)
class AudienceDefault:
    slug: str
    name: str
    description: str
    is_public: bool
    liaison_role: RosterRole

    @property
    def late_notice(self) -> str:
        return DEFAULT_LATE_NOTICE if self.is_public else INTERNAL_LATE_NOTICE


AUDIENCES = (
    AudienceDefault(
        "customers",
        "Customers",
        "Everyone who uses the service: the public page, feeds, API and subscribers.",
        True,
        RosterRole.CUSTOMER_LIAISON,
    ),
    AudienceDefault(
        "staff", "All staff", "Everyone in the company.", False, RosterRole.INTERNAL_LIAISON
    ),
    AudienceDefault(
        "executives",
        "Executives",
        "Leadership: impact, exposure and decisions needed.",
        False,
        RosterRole.INTERNAL_LIAISON,
    ),
    AudienceDefault(
        "support",
        "Support",
        "The support team: what to tell customers who ask.",
        False,
        RosterRole.INTERNAL_LIAISON,
    ),
    AudienceDefault(
        "sales",
        "Sales",
        "Account teams: demos and renewals at risk.",
        False,
        RosterRole.INTERNAL_LIAISON,
    ),
    AudienceDefault(
        "legal", "Legal", "Legal: SLA and disclosure exposure.", False, RosterRole.INTERNAL_LIAISON
    ),
)

# Statuspage's canned texts for customers, so the page reads the way readers expect.
CUSTOMER_TEXT = {
    IncidentStatus.INVESTIGATING: "We are currently investigating this issue.",
    IncidentStatus.IDENTIFIED: "The issue has been identified and a fix is being implemented.",
    IncidentStatus.MONITORING: "A fix has been implemented and we are monitoring the results.",
    IncidentStatus.RESOLVED: "This incident has been resolved.",
    IncidentStatus.SCHEDULED: "Maintenance is scheduled from {{ incident.scheduled_for }} to "
    "{{ incident.scheduled_until }}.",
    IncidentStatus.IN_PROGRESS: "Scheduled maintenance is currently in progress. We will provide "
    "updates as necessary.",
    IncidentStatus.VERIFYING: "Verification is currently underway for the maintenance items.",
    IncidentStatus.COMPLETED: "The scheduled maintenance has been completed.",
    IncidentStatus.CANCELLED: "The scheduled maintenance has been cancelled.",
}

_FACTS = "{% if facts %}\n\n{{ facts }}{% endif %}"
_AFFECTED = (
    "{% if components %}\n\nAffected: {% for c in components %}{{ c.name }} "
    "({{ c.status_label | lower }}){% if not loop.last %}, {% endif %}{% endfor %}.{% endif %}"
)
_INTERNAL_HEAD = (
    "**{{ incident.severity }} · {{ incident.status_label }}** since {{ incident.started_at }}"
)
_DETAILS = "{% if internal_details %}\n\n**Internal:** {{ internal_details }}{% endif %}"


def template_text(audience_slug: str, status: IncidentStatus) -> tuple[str, str]:
    """The built-in (title, body) for an audience and status."""
    if audience_slug == "customers":
        return "{{ incident.title }}", CUSTOMER_TEXT[status] + _FACTS
    if status in MAINTENANCE_STATUSES:
        return (
            "[Maintenance · {{ incident.status_label }}] {{ incident.title }}",
            CUSTOMER_TEXT[status] + _AFFECTED + _FACTS,
        )
    if audience_slug == "executives":
        return (
            "[{{ incident.severity }} · {{ incident.status_label }}] {{ incident.working_title }}",
            _INTERNAL_HEAD
            + _AFFECTED
            + "{% if facts %}\n\n**Where we are:** {{ facts }}{% endif %}"
            + _DETAILS,
        )
    if audience_slug == "support":
        return (
            "[{{ incident.status_label }}] {{ incident.title }}: what to tell customers",
            _INTERNAL_HEAD + _AFFECTED + _FACTS + _DETAILS + "\n\nPoint customers to "
            "{{ incident.url }} and tag tickets with the incident number.",
        )
    return (
        "[{{ incident.severity }} · {{ incident.status_label }}] {{ incident.working_title }}",
        _INTERNAL_HEAD + _AFFECTED + _FACTS + _DETAILS,
    )


@dataclass(frozen=True)
class Cadence:
    every: int  # minutes between updates
    first: int  # minutes from declaration to the first update
    remind: int  # minutes before the due time to remind the liaison
    grace: int  # minutes after the due time before escalating to the commander
    review: bool = False


CADENCES = {
    # audience: {severity: Cadence}
    "customers": {
        Severity.SEV1: Cadence(30, 15, 10, 5, review=True),
        Severity.SEV2: Cadence(60, 30, 10, 10, review=True),
        Severity.SEV3: Cadence(120, 60, 15, 15),
        Severity.SEV4: Cadence(240, 120, 15, 30),
    },
    "staff": {
        Severity.SEV1: Cadence(15, 10, 5, 5),
        Severity.SEV2: Cadence(30, 15, 10, 10),
        Severity.SEV3: Cadence(60, 30, 10, 15),
    },
    "executives": {
        Severity.SEV1: Cadence(30, 15, 10, 5),
        Severity.SEV2: Cadence(60, 30, 10, 10),
    },
    "support": {
        Severity.SEV1: Cadence(30, 15, 10, 5),
        Severity.SEV2: Cadence(60, 20, 10, 10),
        Severity.SEV3: Cadence(120, 60, 15, 15),
    },
    "sales": {Severity.SEV1: Cadence(60, 30, 10, 15)},
    "legal": {Severity.SEV1: Cadence(60, 30, 10, 15)},
}


def ensure_defaults(*, now: datetime) -> None:
    """Add the built-in audiences, templates and cadence policies that are not there yet."""
    existing = {a.slug: a for a in db.session.scalars(sa.select(Audience))}
    for position, default in enumerate(AUDIENCES, start=1):
        if default.slug in existing:
            continue
        audience = Audience(
            slug=default.slug,
            name=default.name,
            description=default.description,
            is_public=default.is_public,
            liaison_role=default.liaison_role,
            late_notice=default.late_notice,
            position=position,
            created_at=now,
        )
        db.session.add(audience)
        db.session.flush()
        _add_templates(audience, now=now)
        _add_policies(audience)
    db.session.flush()


def _add_templates(audience: Audience, *, now: datetime) -> None:
    for status in IncidentStatus:
        title, body = template_text(audience.slug, status)
        db.session.add(
            MessageTemplate(
                audience_id=audience.id, status=status, title=title, body=body, updated_at=now
            )
        )


def _add_policies(audience: Audience) -> None:
    for severity, cadence in CADENCES.get(audience.slug, {}).items():
        db.session.add(
            CadencePolicy(
                audience_id=audience.id,
                severity=severity,
                update_interval=timedelta(minutes=cadence.every),
                first_update_within=timedelta(minutes=cadence.first),
                remind_before=timedelta(minutes=cadence.remind),
                escalate_after=timedelta(minutes=cadence.grace),
                requires_review=cadence.review,
            )
        )
