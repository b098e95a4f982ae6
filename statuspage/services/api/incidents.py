"""Incidents and maintenance written through the management API, by the console's own services.

An API update carries one body: it is the facts, and every audience the key's user may write to
gets it through its own template (compose.prepare_drafts, then compose.submit), so review,
promises, cadence, the timeline, the audit trail, the outbox and the public version all apply as
in the console. Audiences whose policy wants a second person are left waiting for one (`Written.
in_review`). Statuspage's impact is our severity, one for one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from statuspage.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from statuspage.core.site import Site
from statuspage.extensions import db
from statuspage.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    Severity,
    TimelineKind,
    Update,
    User,
)
from statuspage.models.enums import INCIDENT_STATUSES
from statuspage.permissions import Permission, has_permission, may_declare, may_write_to
from statuspage.services.configuration import list_audiences
from statuspage.services.incidents import (
    compose,
    edits,
    lifecycle,
    maintenance,
    publishing,
    windows,
)
from statuspage.services.public.version import bump_publication
from statuspage.services.records import actor_name, record_audit, record_event
from statuspage.services.validation import clean_text

SEVERITY_OF_IMPACT = {
    Impact.CRITICAL: Severity.SEV1,
    Impact.MAJOR: Severity.SEV2,
    Impact.MINOR: Severity.SEV3,
    Impact.NONE: Severity.SEV4,
}
# Without an impact_override, as Statuspage derives it: from the worst component status.
_IMPACT_OF_STATUS = {
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
}


@dataclass
class Written:
    """The incident, and what became of this request's update to each audience."""

    incident: Incident
    published: list[Update] = field(default_factory=list)
    in_review: list[Update] = field(default_factory=list)


def severity_for(
    impact: Impact | None, components: Mapping[Component, ComponentStatus]
) -> Severity:
    """The severity an impact names, or (none named) the one the components' statuses suggest."""
    if impact is None:
        worst = [_IMPACT_OF_STATUS[s] for s in components.values() if s in _IMPACT_OF_STATUS]
        order = [Impact.CRITICAL, Impact.MAJOR, Impact.MINOR]
        impact = min(worst, key=order.index) if worst else Impact.MINOR
    if impact is Impact.MAINTENANCE:
        raise ValidationError(
            "An incident's impact cannot be maintenance.", field="impact_override"
        )
    return SEVERITY_OF_IMPACT[impact]


def declare(
    *,
    name: str,
    status: IncidentStatus,
    body: str,
    impact: Impact | None,
    components: Mapping[Component, ComponentStatus],
    deliver_notifications: bool,
    anyone_may_declare: bool,
    by: User,
    site: Site,
    now: datetime,
) -> Written:
    """Declare an incident and tell every audience the key's user may write to."""
    if not may_declare(by, anyone_may=anyone_may_declare):
        raise PermissionDenied("Your role may not declare incidents.")
    if status not in INCIDENT_STATUSES or status is IncidentStatus.RESOLVED:
        raise ValidationError(f"A new incident cannot be {status}.", field="status")
    incident = edits.declare(
        title=name,
        severity=severity_for(impact, components),
        components=components,
        roster=(),
        public_title=None,
        by=by,
        now=now,
    )
    lifecycle.change_status(incident, status, by=by, now=now)
    db.session.flush()
    return tell_everyone(
        incident, status=status, body=body, changes={}, deliver=deliver_notifications,
        by=by, site=site, now=now,
    )  # fmt: skip


def update(
    incident: Incident,
    *,
    name: str | None,
    status: IncidentStatus | None,
    body: str | None,
    impact: Impact | None,
    components: Mapping[Component, ComponentStatus],
    deliver_notifications: bool,
    by: User,
    site: Site,
    now: datetime,
) -> Written:
    """Rename or re-rate it (commanders), and with a status, body or component change tell every
    audience (a window's phases move as the console moves them)."""
    if name is not None or impact is not None:
        if not has_permission(by, Permission.MANAGE_INCIDENTS):
            raise PermissionDenied("Your role may not rename an incident or change its impact.")
        edits.edit_details(
            incident, version=incident.version, loaded_at=now, title=name or incident.title,
            public_title=incident.public_title,
            severity=SEVERITY_OF_IMPACT.get(impact) if impact else incident.severity,
            by=by, now=now,
        )  # fmt: skip
        db.session.flush()
    if incident.is_maintenance and status is not None and status is not incident.status:
        _move_window(incident, status, by=by, site=site, now=now)
        status = None
    if status is None and not body and not components:
        return Written(incident)
    return tell_everyone(
        incident, status=status or incident.status, body=body or "", changes=components,
        deliver=deliver_notifications, by=by, site=site, now=now,
    )  # fmt: skip


def _move_window(
    window: Incident, status: IncidentStatus, *, by: User, site: Site, now: datetime
) -> None:
    if not has_permission(by, Permission.MANAGE_MAINTENANCE):
        raise PermissionDenied("Your role may not move maintenance windows.")
    if status is IncidentStatus.COMPLETED:
        windows.complete_window(window, site=site, by=by, now=now)
    elif status is IncidentStatus.CANCELLED:
        windows.cancel_window(window, site=site, by=by, now=now)
    elif status in (IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING):
        maintenance.publish_phase(window, status, now=now, site=site)
    else:
        raise InvalidTransition(f"A window cannot be moved back to {status}.")
    db.session.flush()


def tell_everyone(
    incident: Incident,
    *,
    status: IncidentStatus,
    body: str,
    changes: Mapping[Component, ComponentStatus],
    deliver: bool,
    by: User,
    site: Site,
    now: datetime,
) -> Written:
    """One update per audience the user may write to, from its template with the body as facts:
    published, or left for review where the audience's policy wants a second person."""
    drafts = compose.prepare_drafts(
        incident,
        status=status,
        facts=compose.Facts(public=body),
        component_changes=changes,
        user=by,
        site=site,
        now=now,
    )
    messages = [
        compose.Message(d.audience, d.title, d.body, d.next_update_due_at, d.template_id, deliver)
        for d in drafts
        if d.selected
    ]
    if not messages:
        raise PermissionDenied("Your role may not write to any audience of this incident.")
    outcome = compose.submit(
        incident,
        version=incident.version,
        loaded_at=now,
        status=status,
        messages=messages,
        component_changes=changes,
        action=compose.Action.PUBLISH,
        by=by,
        now=now,
    )
    return Written(incident, outcome.published, outcome.in_review)


@dataclass(frozen=True)
class AudienceMessage:
    """One audience's own text, as the API names it (by the audience's slug)."""

    slug: str
    body: str
    title: str | None = None
    next_update_due_at: datetime | None = None


def write_messages(
    incident: Incident,
    *,
    status: IncidentStatus,
    messages: Sequence[AudienceMessage],
    changes: Mapping[Component, ComponentStatus],
    action: compose.Action,
    deliver: bool,
    by: User,
    now: datetime,
) -> compose.Outcome:
    """Each audience its own text, as the console's compose sends it when every text is written
    out: published (or left for review where policy wants it), saved as drafts, or sent for
    review, together."""
    audiences = {audience.slug: audience for audience in list_audiences()}
    for message in messages:
        if message.slug not in audiences:
            raise ValidationError(f"There is no audience {message.slug[:40]!r}.", field="audiences")
    return compose.submit(
        incident,
        version=incident.version,
        loaded_at=now,
        status=status,
        messages=[
            compose.Message(
                audiences[m.slug],
                m.title or incident.public_name,
                m.body,
                m.next_update_due_at,
                deliver_notifications=deliver,
            )
            for m in messages
        ],
        component_changes=changes,
        action=action,
        by=by,
        now=now,
    )


def submit_draft(update: Update, *, by: User, now: datetime) -> Update:
    """Send a saved draft for a second person's review, its text unchanged (one already waiting
    stays as it is: compose.act_on_draft)."""
    return _act_unchanged(update, compose.Action.SUBMIT, by=by, now=now)


def schedule(
    *,
    name: str,
    body: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: list[Component],
    by: User,
    site: Site,
    now: datetime,
) -> Incident:
    """Plan a window and announce it to the public audiences (the body, else their template)."""
    if not has_permission(by, Permission.MANAGE_MAINTENANCE):
        raise PermissionDenied("Your role may not plan maintenance.")
    messages = {audience: body for audience in list_audiences() if audience.is_public}
    return maintenance.plan_maintenance(
        title=name,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        components=components,
        messages=messages,
        site=site,
        by=by,
        now=now,
    )


def correct_text(update: Update, body: str, *, by: User, now: datetime) -> Update:
    """Change the text a published update shows (Statuspage lets a typo be fixed after the fact):
    the page and the API show the new text, what subscribers were sent stays as sent."""
    if not update.is_published:
        raise InvalidTransition("Only a published update's text is edited here.")
    if not may_write_to(by, update.incident, update.audience):
        raise PermissionDenied(f"You may not write to {update.audience.name} on this incident.")
    before = update.body
    update.body = clean_text(body, field="body", max_length=publishing.BODY_LENGTH, multiline=True)
    update.updated_at = now
    record_event(
        update.incident,
        TimelineKind.UPDATE_EDITED,
        f"{actor_name(by)} corrected the text of the published {update.audience.name} update.",
        actor=by,
        now=now,
        data={"update_id": update.id},
    )
    record_audit(by, "update.correct", "update", update.id, now=now, details={"before": before})
    if update.audience.is_public:
        bump_publication(now=now)
    return update


def update_of(incident_id: int, update_id: int) -> Update:
    """The incident's update with this id, or NotFound (another incident's is not found here)."""
    update = publishing.get_update(update_id)
    if update.incident_id != incident_id:
        raise NotFound(f"Incident {incident_id} has no update {update_id}.")
    return update


def approve(update: Update, *, by: User, now: datetime) -> Update:
    """Publish an update waiting for review, as its second person (the console's "Publish" on the
    draft, its text unchanged): refused unless `by` may approve it."""
    if update.is_published:
        raise InvalidTransition("This update is already published.")
    return _act_unchanged(update, compose.Action.PUBLISH, by=by, now=now)


def _act_unchanged(update: Update, action: compose.Action, *, by: User, now: datetime) -> Update:
    return compose.act_on_draft(
        update, version=update.version, title=update.title, body=update.body,
        next_update_due_at=update.next_update_due_at, action=action, by=by, now=now,
    ) or update  # fmt: skip
