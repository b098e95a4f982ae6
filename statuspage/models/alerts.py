"""Monitoring alerts in: integrations (a receiver each, with its rules) and what each alert did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.extensions import db
from statuspage.models.components import Component
from statuspage.models.enums import ComponentStatus, IntegrationKind, IntegrationMode
from statuspage.models.incidents import Incident
from statuspage.models.people import User


class Integration(db.Model):
    """A monitoring system posting alerts to its own receiver URL, and how they are read."""

    __tablename__ = "integration"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[IntegrationKind]
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    mode: Mapped[IntegrationMode] = mapped_column(default=IntegrationMode.DRAFT)
    # The URL's secret (and the generic kind's signing key), encrypted (core.sealing): a copy
    # of the database alone cannot post alerts.
    sealed_secret: Mapped[str] = mapped_column(sa.Text)
    # The label naming the component (by name or id) when no rule matches.
    component_label: Mapped[str] = mapped_column(sa.String(120), default="component")
    # Rules tried first, in order: {"match": {label: value, ...}, "component_id": id}.
    rules: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # The severity label's value -> the component status it means.
    impacts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    holddown_seconds: Mapped[int] = mapped_column(default=120)
    # Who commands the incidents a draft-mode integration opens.
    commander_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    commander: Mapped[User | None] = relationship()


class AlertRecord(db.Model):
    """One alert (an integration's fingerprint): whether it fires, and exactly what it set, so that
    its resolution restores that and nothing a person changed since."""

    __tablename__ = "alert_record"
    __table_args__ = (sa.UniqueConstraint("integration_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(sa.ForeignKey("integration.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(sa.String(200))
    component_id: Mapped[int] = mapped_column(sa.ForeignKey("component.id", ondelete="CASCADE"))
    firing: Mapped[bool]
    summary: Mapped[str] = mapped_column(sa.Text)
    labels: Mapped[dict[str, Any]]
    # Automate mode: the status it set by hand, and the one by hand before (None: derived).
    status_set: Mapped[ComponentStatus | None]
    status_before: Mapped[ComponentStatus | None]
    # A resolution waits out the hold-down before it restores (a re-fire inside cancels it).
    restore_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # Draft mode: the incident it opened.
    incident_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("incident.id", ondelete="SET NULL")
    )
    first_fired_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None]

    integration: Mapped[Integration] = relationship()
    component: Mapped[Component] = relationship()
    incident: Mapped[Incident | None] = relationship()
