"""A realistic public page for the public-surface tests: groups, an open incident with a promise, a
resolved one, maintenance, and everything that must never show (internal components, internal
audiences' updates, customer drafts), each carrying a canary phrase the leak test looks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from statuspage.extensions import db
from statuspage.models import ComponentStatus, IncidentStatus, Role, Severity, Visibility
from statuspage.services.incidents import publishing, writeup
from tests.factories import (
    make_component,
    make_draft,
    make_group,
    make_incident,
    make_maintenance,
    make_published,
    make_user,
)

S = ComponentStatus
INTERNAL_COMPONENT = "Ledger Reconciler Zeta"
INTERNAL_GROUP = "Vault Backoffice Omega"
STAFF_CANARY = "canary-staff-7731 the primary lost quorum"
DRAFT_CANARY = "canary-draft-4410 not yet approved wording"
REVIEW_CANARY = "canary-review-5521 waiting for a second pair of eyes"
HIDDEN_INCIDENT_CANARY = "canary-hidden-9902 incident nobody outside was told about"
CANARIES = (
    INTERNAL_COMPONENT,
    INTERNAL_GROUP,
    STAFF_CANARY,
    DRAFT_CANARY,
    REVIEW_CANARY,
    HIDDEN_INCIDENT_CANARY,
)


@dataclass
class World:
    """Ids of what was made (the objects themselves belong to the session that made them)."""

    now: datetime
    open_incident: int
    resolved_incident: int
    hidden_incident: int
    maintenance: dict[IncidentStatus, int]
    public_components: list[int]


# Published on the resolved incident: headings, a list and a table, for the validity checks.
POSTMORTEM = """## Summary

A slow query made dashboard pages load slowly.

## Action items

| Action | Owner |
| --- | --- |
| Add an index | Platform team |

- Alert on page load time
"""


def build_world(*, now: datetime) -> World:
    """Create and commit the page; times are relative to `now`."""
    platform = make_group("Platform")
    api = make_component("API", group=platform)
    dashboard = make_component("Dashboard", group=platform)
    widget = make_component("Status widget")
    hidden_group = make_group(INTERNAL_GROUP, visibility=Visibility.INTERNAL)
    make_component("Deploy pipeline", group=hidden_group)
    ledger = make_component(INTERNAL_COMPONENT, group=platform, visibility=Visibility.INTERNAL)

    resolved = make_incident(
        title="Dashboard slow",
        severity=Severity.SEV3,
        affected={dashboard: S.DEGRADED_PERFORMANCE},
        now=now - timedelta(days=2),
    )
    make_published(resolved, body="Dashboard pages load slowly.", now=now - timedelta(days=2))
    liaison = make_user(Role.LIAISON)
    resolving = make_draft(
        resolved, by=liaison, status=IncidentStatus.RESOLVED, now=now - timedelta(days=2, hours=-1)
    )
    publishing.publish_update(
        resolving,
        by=liaison,
        now=now - timedelta(days=2, hours=-1),
        component_changes={dashboard: S.OPERATIONAL},
    )
    admin = make_user(Role.ADMIN)
    later = now - timedelta(days=1)
    writeup.save_postmortem(resolved, POSTMORTEM, by=admin, now=later)
    writeup.publish_postmortem(resolved, by=admin, now=later)

    incident = make_incident(
        title="Elevated API errors",
        severity=Severity.SEV2,
        affected={api: S.PARTIAL_OUTAGE, ledger: S.MAJOR_OUTAGE},
        now=now - timedelta(minutes=30),
    )
    make_published(
        incident, body="We are investigating API errors.", now=now - timedelta(minutes=25)
    )
    make_published(incident, "staff", body=STAFF_CANARY, now=now - timedelta(minutes=24))
    make_published(incident, "executives", body=STAFF_CANARY, now=now - timedelta(minutes=24))
    changed = make_draft(
        incident, by=liaison, status=IncidentStatus.IDENTIFIED, now=now - timedelta(minutes=10)
    )
    publishing.publish_update(
        changed,
        by=make_user(Role.COMMANDER),
        now=now - timedelta(minutes=10),
        component_changes={ledger: S.PARTIAL_OUTAGE, api: S.MAJOR_OUTAGE},
    )
    make_draft(incident, body=DRAFT_CANARY, now=now - timedelta(minutes=5))
    in_review = make_draft(incident, body=REVIEW_CANARY, now=now - timedelta(minutes=5))
    publishing.submit_for_review(in_review, by=None, now=now - timedelta(minutes=4))

    hidden = make_incident(
        title=HIDDEN_INCIDENT_CANARY,
        severity=Severity.SEV1,
        affected={ledger: S.MAJOR_OUTAGE},
        now=now - timedelta(hours=3),
    )
    make_published(hidden, "staff", body=HIDDEN_INCIDENT_CANARY, now=now - timedelta(hours=3))

    maintenance = {}
    for offset, status in (
        (timedelta(days=3), IncidentStatus.SCHEDULED),
        (timedelta(minutes=-20), IncidentStatus.IN_PROGRESS),
        (timedelta(minutes=-50), IncidentStatus.VERIFYING),
        (timedelta(days=-5), IncidentStatus.COMPLETED),
        (timedelta(days=2), IncidentStatus.CANCELLED),
    ):
        window = make_maintenance(
            title=f"Database upgrade ({status.label})",
            starts=now + offset,
            affected=[api, ledger],
            now=now - timedelta(days=7),
        )
        make_published(window, status=IncidentStatus.SCHEDULED, now=now - timedelta(days=6))
        make_published(window, "staff", body=STAFF_CANARY, now=now - timedelta(days=6))
        if status is IncidentStatus.CANCELLED:  # called off before the news of the open incident
            make_published(window, status=status, now=now - timedelta(minutes=30))
        elif status is not IncidentStatus.SCHEDULED:
            make_published(window, status=status, now=min(now, now + offset + timedelta(minutes=1)))
        maintenance[status] = window.id
    db.session.commit()
    return World(
        now, incident.id, resolved.id, hidden.id, maintenance, [api.id, dashboard.id, widget.id]
    )
