"""What alerts do. Automate mode sets the component's status by hand (public at once, through
components.set_component_status, so the page, its version, the log and component webhooks follow)
and, when the alert resolves and the hold-down has passed, restores what was there before, but
only if the status is still the one the alert set: a person's change since is left alone. Draft
mode declares an incident (nothing public until someone publishes) with the component and the
integration's commander, who is emailed (incidents.mobilize). Each fingerprint is one AlertRecord:
a repeat of what it already said changes nothing, and a re-fire inside the hold-down cancels the
pending restore, so a flapping alert does not flap the public status. Everything is audited;
draft-mode alerts are on their incident's timeline too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from statuspage.core.errors import ValidationError
from statuspage.core.site import Site
from statuspage.extensions import db
from statuspage.models import (
    AlertRecord,
    Component,
    ComponentStatus,
    Integration,
    IntegrationMode,
    RosterRole,
    Severity,
    TimelineKind,
)
from statuspage.services import components
from statuspage.services.alerts.payloads import Alert
from statuspage.services.incidents import lifecycle
from statuspage.services.outbox import messages
from statuspage.services.records import record_audit, record_event

DEFAULT_SEVERITY = "warning"
# A drafted incident's severity from the impact; whoever takes command adjusts it.
_SEVERITIES = {ComponentStatus.MAJOR_OUTAGE: Severity.SEV2}


@dataclass
class Outcome:
    """What one body did: the fingerprints that changed something, and those that repeated."""

    changed: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)


def receive(integration: Integration, alerts: list[Alert], *, site: Site, now: datetime) -> Outcome:
    """Apply a body's alerts, all or none: an alert naming no component refuses the whole body."""
    known = _records(integration, [alert.fingerprint for alert in alerts])
    targets = {}
    for alert in alerts:
        record = known.get(alert.fingerprint)
        if alert.firing or record is None:
            targets[alert.fingerprint] = component_for(integration, alert.labels)
    outcome = Outcome()
    for alert in alerts:
        record = known.get(alert.fingerprint)
        if alert.firing:
            target = targets[alert.fingerprint]
            fired = _fire(integration, record, alert, target, site=site, now=now)
            known[alert.fingerprint] = fired or known.get(alert.fingerprint)
            done = fired is not None
        else:
            done = record is not None and _resolve(integration, record, site=site, now=now)
        (outcome.changed if done else outcome.repeated).append(alert.fingerprint)
    return outcome


def component_for(integration: Integration, labels: dict[str, str]) -> Component:
    """The component an alert is about: the first rule whose labels all match, else the
    integration's component label (a component's name or id); ValidationError if none."""
    for rule in integration.rules:
        if all(labels.get(label) == value for label, value in rule["match"].items()):
            found = db.session.get(Component, rule["component_id"])
            if found is not None:
                return found
    named = labels.get(integration.component_label, "")
    found = db.session.scalar(sa.select(Component).where(Component.name == named))
    if found is None and named.isascii() and named.isdigit() and len(named) < 10:
        found = db.session.get(Component, int(named))
    if found is None:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))[:300]
        raise ValidationError(
            f"No rule matches the alert ({shown}) and its {integration.component_label!r} label "
            "names no component (by name or id); nothing was changed."
        )
    return found


def impact_of(integration: Integration, labels: dict[str, str]) -> ComponentStatus:
    """The component status the alert's severity means (an unknown severity counts as warning)."""
    impacts = integration.impacts
    chosen = impacts.get(labels.get("severity", "")) or impacts.get(DEFAULT_SEVERITY)
    return ComponentStatus(chosen or ComponentStatus.DEGRADED_PERFORMANCE)


def _records(integration: Integration, fingerprints: list[str]) -> dict[str, AlertRecord]:
    # Locked (PostgreSQL): a restore by the scheduler or a second body about the same alerts
    # finishes first, and what it wrote is what this one reads.
    rows = db.session.scalars(
        sa.select(AlertRecord)
        .where(
            AlertRecord.integration_id == integration.id,
            AlertRecord.fingerprint.in_(set(fingerprints)),
        )
        .with_for_update()
    )
    return {record.fingerprint: record for record in rows}


def _fire(
    integration: Integration,
    record: AlertRecord | None,
    alert: Alert,
    component: Component,
    *,
    site: Site,
    now: datetime,
) -> AlertRecord | None:
    """Raise the alert; None when it was firing already (a repeat)."""
    if record is not None and record.firing:
        return None
    if record is None:
        record = AlertRecord(integration_id=integration.id, fingerprint=alert.fingerprint,
                             first_fired_at=now)  # fmt: skip
        db.session.add(record)
    if record.status_set is None:  # held down, it stays on the component it set
        record.component = component
    record.labels, record.summary = alert.labels, alert.summary
    record.firing, record.received_at, record.resolved_at = True, now, None
    status = impact_of(integration, alert.labels)
    details = {"integration": integration.name, "fingerprint": alert.fingerprint,
               "summary": alert.summary, "status": str(status)}  # fmt: skip
    if integration.mode is IntegrationMode.DRAFT:
        _draft(integration, record, component, status, now=now)
    elif record.restore_due_at is not None:
        record.restore_due_at = None  # back inside the hold-down: what it set stays
        details["held_down"] = True
    else:
        _raise_status(record, component, status, site=site, now=now)
    db.session.flush()
    record_audit(None, "alert.fire", "component", component.id, now=now, details=details)
    return record


def _draft(
    integration: Integration,
    record: AlertRecord,
    component: Component,
    status: ComponentStatus,
    *,
    now: datetime,
) -> None:
    incident = record.incident
    if incident is None or incident.status.is_closed:
        commander = integration.commander
        incident = lifecycle.declare_incident(
            title=f"{integration.name}: {record.summary}"[: lifecycle.TITLE_LENGTH],
            severity=_SEVERITIES.get(status, Severity.SEV3),
            by=None,
            now=now,
            components={component: status},
            roster=[(RosterRole.COMMANDER, commander)] if commander and commander.is_active else [],
        )
        record.incident = incident
    record_event(
        incident,
        TimelineKind.ALERT_FIRED,
        f"{integration.name} raised an alert on {component.name}: {record.summary}",
        actor=None,
        now=now,
        data={"fingerprint": record.fingerprint, "labels": record.labels},
    )


def _resolve(integration: Integration, record: AlertRecord, *, site: Site, now: datetime) -> bool:
    """Resolve the alert; False when it was not firing (a repeat)."""
    if not record.firing:
        return False
    record.firing, record.received_at, record.resolved_at = False, now, now
    if record.incident is not None:
        record_event(
            record.incident,
            TimelineKind.ALERT_RESOLVED,
            f"{integration.name} resolved its alert on {record.component.name}: {record.summary}",
            actor=None,
            now=now,
            data={"fingerprint": record.fingerprint},
        )
    details = {"integration": integration.name, "fingerprint": record.fingerprint}
    record_audit(None, "alert.resolve", "component", record.component_id, now=now, details=details)
    if record.status_set is not None:
        record.restore_due_at = now + timedelta(seconds=integration.holddown_seconds)
        if integration.holddown_seconds == 0:
            restore(record, site=site, now=now)
    return True


def _raise_status(
    record: AlertRecord,
    component: Component,
    status: ComponentStatus,
    *,
    site: Site,
    now: datetime,
) -> None:
    """Set the component's status, unless another of its alerts holds it at worse already.

    Every alert on one component keeps the status from before the first (status_before), which
    the last to end restores; the component shows the worst of those still active.
    """
    others = _others_active(record, component)
    record.status_set = status
    record.status_before = others[0].status_before if others else component.manual_status
    if not others or status.rank > max(other.status_set.rank for other in others):
        _set_status(component, status, site=site, now=now)


def _others_active(record: AlertRecord, component: Component) -> list[AlertRecord]:
    """The other alerts holding a status on the component (firing, or resolved and held down)."""
    return list(
        db.session.scalars(
            sa.select(AlertRecord).where(
                AlertRecord.component_id == component.id,
                AlertRecord.status_set.is_not(None),
                AlertRecord.id != record.id if record.id is not None else sa.true(),
            )
        )
    )


def restore(record: AlertRecord, *, site: Site, now: datetime) -> None:
    """Put back the status from before the alert (or the worst of the component's other alerts
    still active), unless a person has changed it since."""
    component = record.component
    put_back = component.manual_status is record.status_set
    others = [other for other in _others_active(record, component) if other.firing]
    if put_back and others:
        worst = max((other.status_set for other in others), key=lambda status: status.rank)
        _set_status(component, worst, site=site, now=now)
    elif put_back:
        _set_status(component, record.status_before, site=site, now=now)
    record_audit(None, "alert.restore" if put_back else "alert.leave", "component", component.id,
                 now=now, details={"fingerprint": record.fingerprint,
                                   "status_set": str(record.status_set),
                                   "now": str(component.manual_status)})  # fmt: skip
    record.status_set = record.status_before = record.restore_due_at = None


def restore_due(*, site: Site, now: datetime) -> int:
    """Restore every resolved alert whose hold-down has passed (the scheduler's job)."""
    due = db.session.scalars(
        sa.select(AlertRecord)
        .where(AlertRecord.restore_due_at <= now)
        .order_by(AlertRecord.id)
        .with_for_update(skip_locked=True)
    ).all()
    for record in due:
        restore(record, site=site, now=now)
    return len(due)


def _set_status(
    component: Component, status: ComponentStatus | None, *, site: Site, now: datetime
) -> None:
    change = components.set_component_status(component, status, now=now)
    if change is not None:
        messages.freeze_component_change(change, site=site)
