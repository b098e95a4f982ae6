"""Updates: one message of one incident to one audience, from draft through review to published."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.core.clock import utcnow
from statuspage.extensions import db
from statuspage.models.audiences import Audience, MessageTemplate
from statuspage.models.enums import IncidentStatus, UpdateState
from statuspage.models.incidents import Incident
from statuspage.models.people import User


class Update(db.Model):
    """A message to one audience. Once published it is never edited: a correction is a new update."""

    __tablename__ = "incident_update"
    __table_args__ = (
        sa.Index("ix_incident_update_incident_audience", "incident_id", "audience_id"),
        sa.Index("ix_incident_update_state_published_at", "state", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incident.id", ondelete="CASCADE"))
    audience_id: Mapped[int] = mapped_column(sa.ForeignKey("audience.id"))
    # The incident's status as of this update (an update that keeps the status repeats it).
    status: Mapped[IncidentStatus]
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    body: Mapped[str] = mapped_column(sa.Text)  # Markdown, rendered safe on output
    state: Mapped[UpdateState] = mapped_column(default=UpdateState.DRAFT)
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    template_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("message_template.id", ondelete="SET NULL")
    )
    # The promise: by when the next update to this audience is due. A draft's promise is an
    # interval (promise_seconds, from when it was written to the time chosen), counted again from
    # publication: approving it late keeps the whole interval.
    next_update_due_at: Mapped[datetime | None]
    promise_seconds: Mapped[int | None]
    # Statuspage's affected_components: [{code, name, old_status, new_status}] changed by this update.
    affected_components: Mapped[list[dict[str, Any]] | None]
    # The incident's component impacts as this update told them ({component id: status}), so the
    # next update to the audience reports what changed since; set when published.
    told_statuses: Mapped[dict[str, Any] | None]
    # What subscribers are sent about it (the webhook's incident object, the page's status, the
    # email's text), rendered when it was published: a retry sends the same content.
    message: Mapped[dict[str, Any] | None]
    deliver_notifications: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    incident: Mapped[Incident] = relationship()
    audience: Mapped[Audience] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    template: Mapped[MessageTemplate | None] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    def promise(self, due_at: datetime | None, *, now: datetime) -> None:
        """Promise the next update by `due_at`, as the interval from `now` it is."""
        self.next_update_due_at = due_at
        self.promise_seconds = None if due_at is None else int((due_at - now).total_seconds())

    @property
    def is_published(self) -> bool:
        return self.state is UpdateState.PUBLISHED

    def __repr__(self) -> str:
        return f"<Update {self.id} incident={self.incident_id} {self.state}>"
