"""Integrations: creating and editing them (audited), their receiver secret, and their rules.

The secret is the last part of the receiver's URL and the generic kind's signing key. It is kept
sealed (core.sealing) and shown once, when the integration is made. Rules are written one a line,
`service=api, env=prod -> Public API` (labels matched, then a component's name or id); impacts
as `critical = major_outage` (the severity label's value, then the component status it means).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from statuspage.core.errors import NotFound, ValidationError
from statuspage.core.sealing import seal, unseal
from statuspage.extensions import db
from statuspage.models import (
    AlertRecord,
    Component,
    ComponentStatus,
    Integration,
    IntegrationKind,
    IntegrationMode,
    User,
)
from statuspage.services.records import record_audit
from statuspage.services.validation import clean_text

PURPOSE = b"statuspage alert receiver"
DEFAULT_IMPACTS = {
    "critical": str(ComponentStatus.MAJOR_OUTAGE),
    "warning": str(ComponentStatus.DEGRADED_PERFORMANCE),
}
DEFAULT_HOLDDOWN_SECONDS = 120
MAX_HOLDDOWN_SECONDS = 86_400
MAX_RULES = 100


@dataclass(frozen=True)
class Settings:
    """What an admin may change on an integration."""

    name: str
    mode: IntegrationMode
    component_label: str = "component"
    rules: str = ""
    impacts: str = ""
    holddown_seconds: int = DEFAULT_HOLDDOWN_SECONDS
    commander: User | None = None
    active: bool = True


def create_integration(
    kind: IntegrationKind, settings: Settings, *, key: str, by: User | None, now: datetime
) -> tuple[Integration, str]:
    """Make an integration; returns it and its secret (shown once: only sealed it is kept)."""
    secret = secrets.token_urlsafe(32)
    integration = Integration(
        kind=IntegrationKind(kind),
        sealed_secret=seal(secret, key=key, purpose=PURPOSE),
        created_at=now,
    )
    _apply(integration, settings, now=now)
    db.session.add(integration)
    db.session.flush()
    record_audit(by, "integration.create", "integration", integration.id, now=now,
                 details={"kind": str(kind), "name": integration.name, "mode": str(settings.mode)})  # fmt: skip
    return integration, secret


def edit_integration(
    integration: Integration, settings: Settings, *, by: User | None, now: datetime
) -> Integration:
    """Change an integration's name, mode, rules, impacts, hold-down, commander or activity."""
    _apply(integration, settings, now=now)
    db.session.flush()
    record_audit(by, "integration.edit", "integration", integration.id, now=now,
                 details={"name": integration.name, "mode": str(integration.mode),
                          "rules": integration.rules, "impacts": integration.impacts,
                          "holddown_seconds": integration.holddown_seconds,
                          "active": integration.active})  # fmt: skip
    return integration


def _apply(integration: Integration, settings: Settings, *, now: datetime) -> None:
    name = clean_text(settings.name, field="name", max_length=120)
    clash = db.session.scalar(
        sa.select(Integration.id).where(Integration.name == name, Integration.id != integration.id)
    )
    if clash:
        raise ValidationError(f"An integration named {name!r} already exists.", field="name")
    if not 0 <= settings.holddown_seconds <= MAX_HOLDDOWN_SECONDS:
        raise ValidationError(
            f"The hold-down is 0 to {MAX_HOLDDOWN_SECONDS} seconds.", field="holddown_seconds"
        )
    integration.name = name
    integration.mode = IntegrationMode(settings.mode)
    integration.component_label = clean_text(
        settings.component_label or "component", field="component_label", max_length=120
    )
    integration.rules = parse_rules(settings.rules)
    integration.impacts = (
        parse_impacts(settings.impacts) if settings.impacts.strip() else dict(DEFAULT_IMPACTS)
    )
    integration.holddown_seconds = settings.holddown_seconds
    integration.commander = settings.commander
    integration.active = settings.active
    integration.updated_at = now


def parse_rules(text: str) -> list[dict[str, Any]]:
    """Rules from their lines: `label=value, label=value -> component name or id`."""
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        matchers, arrow, target = line.partition("->")
        match = _pairs(matchers, f"Rule {number}")
        if not arrow or not match:
            raise ValidationError(
                f"Rule {number} must read like “service=api -> Public API”.", field="rules"
            )
        rules.append({"match": match, "component_id": _component(target.strip(), number).id})
    if len(rules) > MAX_RULES:
        raise ValidationError(f"At most {MAX_RULES} rules.", field="rules")
    return rules


def parse_impacts(text: str) -> dict[str, str]:
    """Severity -> component status, from lines `critical = major_outage`."""
    statuses = ", ".join(str(status) for status in ComponentStatus)
    impacts = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        severity, equals, status = (part.strip() for part in line.partition("="))
        if not equals or not severity or status not in set(ComponentStatus):
            raise ValidationError(
                f"“{line.strip()[:60]}”: write a severity, “=”, and one of {statuses}.",
                field="impacts",
            )
        impacts[severity] = status
    return impacts


def rules_text(integration: Integration) -> str:
    """The rules as the form shows them (components by name)."""
    names = {cid: name for cid, name in db.session.execute(sa.select(Component.id, Component.name))}
    return "\n".join(
        ", ".join(f"{k}={v}" for k, v in rule["match"].items())
        + f" -> {names.get(rule['component_id'], rule['component_id'])}"
        for rule in integration.rules
    )


def impacts_text(impacts: dict[str, str]) -> str:
    """Impacts as the form shows them."""
    return "\n".join(f"{severity} = {status}" for severity, status in impacts.items())


def _pairs(text: str, where: str) -> dict[str, str]:
    pairs = {}
    for item in text.split(","):
        label, equals, value = (part.strip() for part in item.partition("="))
        if not equals or not label or not value:
            raise ValidationError(
                f"{where}: “{item.strip()[:60]}” is not label=value.", field="rules"
            )
        pairs[label] = value
    return pairs


def _component(target: str, number: int) -> Component:
    found = db.session.scalar(
        sa.select(Component).where(
            sa.or_(
                Component.name == target,
                Component.id == (int(target) if target.isascii() and target.isdigit() else -1),
            )
        )
    )
    if found is None:
        raise ValidationError(
            f"Rule {number}: there is no component {target[:60]!r}.", field="rules"
        )
    return found


def receiving(integration_id: int, secret: str, *, key: str) -> Integration:
    """The active integration whose receiver this is; NotFound for any other id or secret alike."""
    integration = db.session.get(Integration, integration_id)
    known = unseal(integration.sealed_secret, key=key, purpose=PURPOSE) if integration else None
    if integration is None or not integration.active or known is None:
        raise NotFound("There is no active alert receiver at this address.")
    if not hmac.compare_digest(known.encode(), secret.encode()):
        raise NotFound("There is no active alert receiver at this address.")
    return integration


def secret_of(integration: Integration, *, key: str) -> str:
    """The integration's secret (the generic kind's signing key)."""
    return unseal(integration.sealed_secret, key=key, purpose=PURPOSE) or ""


def get_integration(integration_id: int) -> Integration:
    """The integration with this id, or NotFound."""
    integration = db.session.get(Integration, integration_id)
    if integration is None:
        raise NotFound(f"There is no integration {integration_id}.")
    return integration


def list_integrations() -> list[Integration]:
    """Every integration by name."""
    return list(db.session.scalars(sa.select(Integration).order_by(Integration.name)))


def recent_alerts(integration: Integration | None = None, limit: int = 50) -> list[AlertRecord]:
    """The alerts received last (of one integration, or of all)."""
    query = sa.select(AlertRecord).order_by(AlertRecord.received_at.desc(), AlertRecord.id.desc())
    if integration is not None:
        query = query.where(AlertRecord.integration_id == integration.id)
    return list(db.session.scalars(query.limit(limit)))
