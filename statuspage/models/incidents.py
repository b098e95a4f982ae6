"""Incidents and maintenance windows, the components they touch, and who is on the roster."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models.components import Component
from statuspage.models.enums import (
    ComponentStatus,
    Impact,
    IncidentKind,
    IncidentStatus,
    MilestoneKind,
    RosterRole,
    Severity,
    SubscriberKind,
)
from statuspage.models.people import User


class Incident(db.Model):
    """An incident, or (kind=maintenance) a scheduled maintenance window, as in Statuspage's API."""

    __tablename__ = "incident"
    __table_args__ = (
        sa.Index("ix_incident_kind_status", "kind", "status"),
        sa.Index("ix_incident_started_at", "started_at"),
        sa.Index("ix_incident_kind_public_status", "kind", "public_status"),
        sa.Index("ix_incident_public_updated_at", "public_updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[IncidentKind] = mapped_column(default=IncidentKind.INCIDENT)
    # The working title seen by staff; the public name may differ (see public_name).
    title: Mapped[str] = mapped_column(sa.String(200))
    public_title: Mapped[str | None] = mapped_column(sa.String(200))
    severity: Mapped[Severity | None]
    status: Mapped[IncidentStatus]
    declared_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime]
    monitoring_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    scheduled_for: Mapped[datetime | None]
    scheduled_until: Mapped[datetime | None]
    # What the public audience was last told: the status of, and the time of, the newest update
    # published to a public audience (None until there is one). Public surfaces read only these,
    # never `status`, which internal updates move too (invariant 1).
    public_status: Mapped[IncidentStatus | None]
    public_updated_at: Mapped[datetime | None]
    # The severity as of that update: the public impact moves with a publication, not an edit.
    public_severity: Mapped[Severity | None]
    # The incident's Slack or Teams channel: its cadence alerts are posted there too.
    chat_hook_kind: Mapped[SubscriberKind | None]
    chat_hook_url: Mapped[str | None] = mapped_column(sa.String(2048))
    # The worst severity it has had: review rules follow it, so that lowering the severity for a
    # moment cannot skip the second person (publishing.requires_review).
    peak_severity: Mapped[Severity | None]
    # Optimistic concurrency: a save based on an older version is refused, never merged silently.
    version: Mapped[int] = mapped_column(default=1)

    components: Mapped[list[IncidentComponent]] = relationship(
        back_populates="incident", cascade="all, delete-orphan"
    )
    roster: Mapped[list[RosterAssignment]] = relationship(
        back_populates="incident", cascade="all, delete-orphan"
    )
    declared_by: Mapped[User | None] = relationship()
    postmortem: Mapped[Postmortem | None] = relationship(
        back_populates="incident", cascade="all, delete-orphan"
    )

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def is_maintenance(self) -> bool:
        return self.kind is IncidentKind.MAINTENANCE

    @property
    def is_open(self) -> bool:
        return not self.status.is_closed

    @property
    def impact(self) -> Impact:
        if self.is_maintenance:
            return Impact.MAINTENANCE
        return self.severity.impact if self.severity else Impact.NONE

    @property
    def public_impact(self) -> Impact:
        """The impact the public was told of (as of the newest public update)."""
        if self.is_maintenance:
            return Impact.MAINTENANCE
        return self.public_severity.impact if self.public_severity else Impact.NONE

    @property
    def is_public(self) -> bool:
        """Whether anything about it was ever published to a public audience."""
        return self.public_status is not None

    @property
    def public_name(self) -> str:
        return self.public_title or self.title

    @validates("severity")
    def _remember_peak(self, key: str, severity: Severity | str | None) -> Severity | None:
        severity = Severity(severity) if severity is not None else None
        if severity is not None and (
            self.peak_severity is None or severity.is_worse_than(self.peak_severity)
        ):
            self.peak_severity = severity
        return severity

    def holders(self, role: RosterRole) -> list[User]:
        return [assignment.user for assignment in self.roster if assignment.role is role]

    def __repr__(self) -> str:
        return f"<Incident {self.id} {self.kind} {self.status}>"


class IncidentComponent(db.Model):
    """A component the incident affects, and the impact the incident itself gives it.

    `status` is the impact now (responders change it at once); `public_status` the impact as the
    newest public update told it (None until one did), with when the public first heard of a
    non-operational impact, when it ended, and the worst it was. A component's own status is
    derived from these rows across incidents (services.components.effective_statuses).
    """

    __tablename__ = "incident_component"

    incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        sa.ForeignKey("component.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[ComponentStatus]
    public_status: Mapped[ComponentStatus | None]
    worst_public_status: Mapped[ComponentStatus | None]
    public_since: Mapped[datetime | None]
    public_until: Mapped[datetime | None]

    incident: Mapped[Incident] = relationship(back_populates="components")
    component: Mapped[Component] = relationship()


class RosterAssignment(db.Model):
    """A person holding a duty on an incident: commander, deputy, scribe, a liaison or an expert."""

    __tablename__ = "roster_assignment"
    __table_args__ = (sa.UniqueConstraint("incident_id", "role", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incident.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[RosterRole]
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="roster")
    user: Mapped[User] = relationship()


class MaintenanceReminder(db.Model):
    """A reminder owed to one audience before a window starts, `hours_before` its start.

    Armed when the window is planned or moved (only for offsets still ahead), keyed by the start it
    reminds of, so a moved window owes reminders for its new start and the old ones no longer
    match; the scheduler sends each once (`sent_at`, under a row lock).
    """

    __tablename__ = "maintenance_reminder"
    __table_args__ = (
        sa.UniqueConstraint(
            "incident_id",
            "audience_id",
            "hours_before",
            "starts_at",
            name="uq_maintenance_reminder",
        ),
        sa.Index("ix_maintenance_reminder_due", "sent_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incident.id", ondelete="CASCADE"))
    audience_id: Mapped[int] = mapped_column(sa.ForeignKey("audience.id", ondelete="CASCADE"))
    hours_before: Mapped[int]
    starts_at: Mapped[datetime]
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class IncidentMilestone(db.Model):
    """A milestone of an incident set (or backdated) by hand; unset ones take their defaults
    from the incident (services.incidents.milestones)."""

    __tablename__ = "incident_milestone"

    incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[MilestoneKind] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    set_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    set_at: Mapped[datetime]


class Postmortem(db.Model):
    """The incident's postmortem as the team wrote it: Markdown, public once an admin publishes it.

    Its own row, not incident columns, so that editing it never collides with the incident's
    optimistic version (a responder's status change and a postmortem edit are independent).
    """

    __tablename__ = "postmortem"

    incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    incident: Mapped[Incident] = relationship(back_populates="postmortem")
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
