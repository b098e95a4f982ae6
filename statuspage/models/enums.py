"""The domain's vocabulary: statuses, severities, roles and states, with their public names."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"

    @property
    def label(self) -> str:
        return str(_COMPONENT_LABELS[self])

    @property
    def symbol(self) -> str:
        """The shape beside the words on public pages (never the only sign: colour-blind readers)."""
        return _COMPONENT_SYMBOLS[self]

    @property
    def rank(self) -> int:
        """How bad the status is, for "worst of" rollups: operational 0 ... major outage 4."""
        return _COMPONENT_RANKS[self]


_COMPONENT_LABELS = {
    ComponentStatus.OPERATIONAL: _l("Operational"),
    ComponentStatus.DEGRADED_PERFORMANCE: _l("Degraded performance"),
    ComponentStatus.PARTIAL_OUTAGE: _l("Partial outage"),
    ComponentStatus.MAJOR_OUTAGE: _l("Major outage"),
    ComponentStatus.UNDER_MAINTENANCE: _l("Under maintenance"),
}
_COMPONENT_SYMBOLS = {
    ComponentStatus.OPERATIONAL: "✓",
    ComponentStatus.DEGRADED_PERFORMANCE: "▲",
    ComponentStatus.PARTIAL_OUTAGE: "◆",
    ComponentStatus.MAJOR_OUTAGE: "✕",
    ComponentStatus.UNDER_MAINTENANCE: "⚒",
}
_COMPONENT_RANKS = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class Severity(StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"

    @property
    def impact(self) -> Impact:
        """The Statuspage impact this severity is published as."""
        return _SEVERITY_IMPACTS[self]

    def is_worse_than(self, other: Severity) -> bool:
        return int(self.value[3:]) < int(other.value[3:])

    @property
    def description(self) -> str:
        """When to declare it, for whoever declares (the declare form says it)."""
        return _SEVERITY_DESCRIPTIONS[self]


_SEVERITY_DESCRIPTIONS = {
    Severity.SEV1: "critical: a core service is down for most customers, or data is at risk",
    Severity.SEV2: "major: a core service is down for some customers, or badly degraded",
    Severity.SEV3: "minor: a feature is degraded or slow; most customers can work around it",
    Severity.SEV4: "low: little or no customer impact, worth tracking",
}


class Impact(StrEnum):
    """Statuspage's public impact scale."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    MAINTENANCE = "maintenance"

    @property
    def label(self) -> str:
        return str(_IMPACT_LABELS[self])


_IMPACT_LABELS = {
    Impact.NONE: _l("No impact"),
    Impact.MINOR: _l("Minor impact"),
    Impact.MAJOR: _l("Major impact"),
    Impact.CRITICAL: _l("Critical impact"),
    Impact.MAINTENANCE: _l("Maintenance"),
}
_SEVERITY_IMPACTS = {
    Severity.SEV1: Impact.CRITICAL,
    Severity.SEV2: Impact.MAJOR,
    Severity.SEV3: Impact.MINOR,
    Severity.SEV4: Impact.NONE,
}


class IncidentKind(StrEnum):
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"


class IncidentStatus(StrEnum):
    """Statuses of incidents and, from `scheduled` on, of maintenance windows (as in Statuspage)."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"
    # A window called off before it finished: closed, and gone from upcoming and active.
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(_INCIDENT_STATUS_LABELS[self])

    @property
    def kind(self) -> IncidentKind:
        if self in MAINTENANCE_STATUSES:
            return IncidentKind.MAINTENANCE
        return IncidentKind.INCIDENT

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STATUSES


CLOSED_STATUSES = (IncidentStatus.RESOLVED, IncidentStatus.COMPLETED, IncidentStatus.CANCELLED)
INCIDENT_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
    IncidentStatus.RESOLVED,
)
MAINTENANCE_STATUSES = (
    IncidentStatus.SCHEDULED,
    IncidentStatus.IN_PROGRESS,
    IncidentStatus.VERIFYING,
    IncidentStatus.COMPLETED,
    IncidentStatus.CANCELLED,
)


_INCIDENT_STATUS_LABELS = {
    IncidentStatus.INVESTIGATING: _l("Investigating"),
    IncidentStatus.IDENTIFIED: _l("Identified"),
    IncidentStatus.MONITORING: _l("Monitoring"),
    IncidentStatus.RESOLVED: _l("Resolved"),
    IncidentStatus.SCHEDULED: _l("Scheduled"),
    IncidentStatus.IN_PROGRESS: _l("In progress"),
    IncidentStatus.VERIFYING: _l("Verifying"),
    IncidentStatus.COMPLETED: _l("Completed"),
    IncidentStatus.CANCELLED: _l("Cancelled"),
}


class Role(StrEnum):
    """What a user may do in the console; the permission table is in statuspage.permissions."""

    ADMIN = "admin"
    COMMANDER = "commander"
    LIAISON = "liaison"
    VIEWER = "viewer"


class RosterRole(StrEnum):
    """A person's duty on one incident (the seed's incident-response roles)."""

    COMMANDER = "commander"
    DEPUTY = "deputy"
    SCRIBE = "scribe"
    CUSTOMER_LIAISON = "customer_liaison"
    INTERNAL_LIAISON = "internal_liaison"
    EXPERT = "expert"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_single(self) -> bool:
        """Experts are many; every other duty is held by one person at a time."""
        return self is not RosterRole.EXPERT


class UpdateState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


class PromiseState(StrEnum):
    OPEN = "open"  # not met yet (it may already be past due)
    KEPT = "kept"  # met by an update at or before the due time
    MISSED = "missed"  # met late, or still unmet when the obligation ended
    CANCELLED = "cancelled"  # the obligation ended (incident resolved) before it fell due


class CadenceAlertKind(StrEnum):
    REMINDER = "reminder"  # to the liaison, before a promise falls due
    OVERDUE = "overdue"  # to the liaison, when it passes without an update
    ESCALATION = "escalation"  # to the commander and deputy, after the grace
    STALE = "stale"  # to the commander and deputy: monitoring for hours with no update
    CHECKIN = "checkin"  # to the deputy: a responder has not reported within the interval


class TimelineKind(StrEnum):
    DECLARED = "declared"
    STATUS_CHANGED = "status_changed"
    SEVERITY_CHANGED = "severity_changed"
    DETAILS_CHANGED = "details_changed"
    COMPONENT_CHANGED = "component_changed"
    ROLE_ASSIGNED = "role_assigned"
    ROLE_REMOVED = "role_removed"
    UPDATE_DRAFTED = "update_drafted"
    UPDATE_EDITED = "update_edited"
    UPDATE_DISCARDED = "update_discarded"
    UPDATE_SUBMITTED = "update_submitted"
    UPDATE_APPROVED = "update_approved"
    UPDATE_CHANGES_REQUESTED = "update_changes_requested"
    UPDATE_PUBLISHED = "update_published"
    PROMISE_MADE = "promise_made"
    REMINDER_SENT = "reminder_sent"
    PROMISE_MISSED = "promise_missed"
    ESCALATED = "escalated"
    NUDGED = "nudged"
    CHECKIN_MISSED = "checkin_missed"
    NOTE = "note"
    MILESTONE_SET = "milestone_set"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    ALERT_FIRED = "alert_fired"  # monitoring (an integration) raised or re-raised an alert
    ALERT_RESOLVED = "alert_resolved"


class MilestoneKind(StrEnum):
    """The incident-response steps, in the order they happen."""

    STARTED = "started"
    DETECTED = "detected"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class NoteType(StrEnum):
    """What a scribe's note records (kept in its timeline event's data)."""

    OBSERVATION = "observation"
    DECISION = "decision"
    ACTION_ITEM = "action_item"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class SubscriberKind(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    SLACK = "slack"  # a Slack incoming webhook
    TEAMS = "teams"  # a Microsoft Teams (or Power Automate) incoming webhook
    # An outbox channel only, never a subscriber: escalations to PagerDuty's Events API v2.
    PAGERDUTY = "pagerduty"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt, or refused for good
    CANCELLED = "cancelled"  # the subscriber left or was deactivated before it went out


class DeliveryKind(StrEnum):
    """What an outbox row carries; each kind is built into a message when it is sent."""

    INCIDENT_UPDATE = "incident_update"  # a published update, to a subscriber of its audience
    COMPONENT_UPDATE = "component_update"  # a component status change, to webhook subscribers
    CONFIRM_SUBSCRIPTION = "confirm_subscription"  # the double opt-in link
    MANAGE_SUBSCRIPTION = "manage_subscription"  # "you are already subscribed": the manage link
    MESSAGE = "message"  # stored subject and text to any address (reminders, escalations)


class IntegrationKind(StrEnum):
    """Where an integration's alerts come from: the payload its receiver reads."""

    ALERTMANAGER = "alertmanager"  # Prometheus Alertmanager's webhook, payload version 4
    GRAFANA = "grafana"  # Grafana (unified) alerting's webhook contact point
    GENERIC = "generic"  # our own JSON shape, signed like our outgoing webhooks

    @property
    def label(self) -> str:
        return {"alertmanager": "Prometheus Alertmanager", "grafana": "Grafana"}.get(
            self.value, "Generic JSON (signed)"
        )


class IntegrationMode(StrEnum):
    """What an integration does with a firing alert."""

    AUTOMATE = "automate"  # set the component's public status until the alert resolves
    DRAFT = "draft"  # open an incident (nothing public) and call its commander

    @property
    def label(self) -> str:
        return {"automate": "Automate the component's status", "draft": "Draft an incident"}[
            self.value
        ]
