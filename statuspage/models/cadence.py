"""Cadence: what each audience is owed per severity, the promises made, and the alerts they raise."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.core.clock import utcnow
from statuspage.core.times import is_overdue
from statuspage.extensions import db
from statuspage.models.audiences import Audience
from statuspage.models.enums import CadenceAlertKind, PromiseState, RosterRole, Severity
from statuspage.models.incidents import Incident
from statuspage.models.people import User


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
    # Escalations under this policy also trigger a PagerDuty event with this key (None: not).
    pagerduty_routing_key: Mapped[str | None] = mapped_column(sa.String(64))

    audience: Mapped[Audience] = relationship()


class Promise(db.Model):
    """The next update to an audience is due by `due_at` (a first-update deadline or an update's)."""

    __tablename__ = "promise"
    __table_args__ = (
        sa.Index("ix_promise_state_due_at", "state", "due_at"),
        sa.Index("ix_promise_state_remind_at", "state", "remind_at"),
        sa.Index("ix_promise_state_escalate_at", "state", "escalate_at"),
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
    # When the scheduler raised each of its alerts: its reminder, its overdue mark (it passed its
    # due time still open), its escalation. The tick only looks at promises still missing one.
    reminded_at: Mapped[datetime | None]
    overdue_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    # When the obligation ended without an update (the incident was resolved).
    ended_at: Mapped[datetime | None]
    # What the audience reads in place of "Next update by" from the overdue mark on: its late
    # notice, rendered once by the tick that marked it (None before; surfaces then show the
    # built-in notice), so no request renders what an admin wrote.
    late_notice: Mapped[str | None] = mapped_column(sa.Text)
    # When to remind the liaison and when to escalate, fixed from the policy when the promise is
    # made (None: no policy, so only the overdue mark). Stored so the tick compares plain columns.
    remind_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]

    incident: Mapped[Incident] = relationship()
    audience: Mapped[Audience] = relationship()

    @property
    def is_open(self) -> bool:
        return self.state is PromiseState.OPEN

    def is_overdue(self, now: datetime) -> bool:
        """Still waiting for its update, and overdue (core.times.is_overdue: from the due instant)."""
        return self.is_open and is_overdue(self.due_at, now)


class CadenceAlert(db.Model):
    """A reminder, overdue mark, escalation or stale nudge, recorded once by its unique key.

    Promise alerts are keyed by (promise, kind); a stale nudge has no promise and is keyed by
    (incident, kind, the moment the incident went quiet); a missed check-in by (incident, the
    responder who owes it, when it was due). The scheduler inserts with ON CONFLICT DO NOTHING, so
    a second run or a second scheduler cannot raise the same alert again.
    """

    __tablename__ = "cadence_alert"
    __table_args__ = (
        sa.UniqueConstraint("promise_id", "kind"),
        sa.Index(
            "uq_cadence_alert_incident_nudge",
            "incident_id",
            "kind",
            "about_at",
            unique=True,
            sqlite_where=sa.text("promise_id IS NULL AND about_user_id IS NULL"),
            postgresql_where=sa.text("promise_id IS NULL AND about_user_id IS NULL"),
        ),
        sa.Index(
            "uq_cadence_alert_checkin",
            "incident_id",
            "about_user_id",
            "about_at",
            unique=True,
            sqlite_where=sa.text("about_user_id IS NOT NULL"),
            postgresql_where=sa.text("about_user_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    audience_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("audience.id", ondelete="CASCADE")
    )
    promise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("promise.id", ondelete="CASCADE"))
    kind: Mapped[CadenceAlertKind]
    # What the alert is about: the promise's due time, when a stale incident went quiet, or when
    # a responder's check-in was due.
    about_at: Mapped[datetime]
    # The responder whose check-in is missing (None for every other kind).
    about_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship()
    audience: Mapped[Audience | None] = relationship()
    promise: Mapped[Promise | None] = relationship()
    about_user: Mapped[User | None] = relationship(foreign_keys=[about_user_id])
    recipients: Mapped[list[CadenceAlertRecipient]] = relationship(
        back_populates="alert", cascade="all, delete-orphan"
    )


class CadenceAlertRecipient(db.Model):
    """One person told about one alert: what the console banner shows and what gets emailed."""

    __tablename__ = "cadence_alert_recipient"
    __table_args__ = (sa.UniqueConstraint("alert_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("cadence_alert.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # The duty that made them a recipient; None for an admin told because nobody holds one.
    duty: Mapped[RosterRole | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    alert: Mapped[CadenceAlert] = relationship(back_populates="recipients")
    user: Mapped[User] = relationship()
