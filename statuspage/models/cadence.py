"""Cadence: what each audience is owed per severity, the promises made, and the alerts they raise."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.clock import utcnow
from statuspage.extensions import db
from statuspage.models.audiences import Audience
from statuspage.models.enums import CadenceAlertKind, PromiseState, Severity


class CadencePolicy(db.Model):
    """For one audience at one severity: how often to update, and whether a second person reviews."""

    __tablename__ = "cadence_policy"
    __table_args__ = (sa.UniqueConstraint("audience_id", "severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audience_id: Mapped[int] = mapped_column(sa.ForeignKey("audience.id", ondelete="CASCADE"))
    severity: Mapped[Severity]
    update_interval: Mapped[timedelta]
    first_update_within: Mapped[timedelta]
    remind_before: Mapped[timedelta]
    escalate_after: Mapped[timedelta]
    requires_review: Mapped[bool] = mapped_column(default=False)

    audience: Mapped[Audience] = relationship()


class Promise(db.Model):
    """The next update to an audience is due by `due_at` (a first-update deadline or an update's)."""

    __tablename__ = "promise"
    __table_args__ = (
        sa.Index("ix_promise_state_due_at", "state", "due_at"),
        sa.Index("ix_promise_incident_audience", "incident_id", "audience_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incident.id", ondelete="CASCADE"))
    audience_id: Mapped[int] = mapped_column(sa.ForeignKey("audience.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    made_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The published update that made the promise; None for the first-update deadline.
    made_by_update_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("incident_update.id", ondelete="SET NULL")
    )
    state: Mapped[PromiseState] = mapped_column(default=PromiseState.OPEN)
    met_at: Mapped[datetime | None]
    met_by_update_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("incident_update.id", ondelete="SET NULL")
    )
    overdue_at: Mapped[datetime | None]

    audience: Mapped[Audience] = relationship()


class CadenceAlert(db.Model):
    """A reminder, overdue mark or escalation for one promise; the unique key makes it once-only."""

    __tablename__ = "cadence_alert"
    __table_args__ = (sa.UniqueConstraint("promise_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    promise_id: Mapped[int] = mapped_column(sa.ForeignKey("promise.id", ondelete="CASCADE"))
    kind: Mapped[CadenceAlertKind]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
