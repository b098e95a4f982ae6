"""What happened and who did it: each incident's timeline and the console's audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.extensions import db
from statuspage.models.enums import TimelineKind
from statuspage.models.people import User


class TimelineEvent(db.Model):
    """One thing that happened to an incident: the scribe's record and the postmortem's source."""

    __tablename__ = "timeline_event"
    __table_args__ = (sa.Index("ix_timeline_event_incident_at", "incident_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incident.id", ondelete="CASCADE"))
    kind: Mapped[TimelineKind]
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    occurred_at: Mapped[datetime]
    message: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any] | None]

    actor: Mapped[User | None] = relationship()


class AuditEntry(db.Model):
    """One change made in the console: who, what, to which object, when."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(sa.String(80))
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[int | None]
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    details: Mapped[dict[str, Any] | None]

    actor: Mapped[User | None] = relationship()


class NoteAttachment(db.Model):
    """A screenshot attached to a timeline note: staff only, never on a public surface."""

    __tablename__ = "note_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("timeline_event.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(120))
    # Sniffed from the bytes (never the uploader's word), and the only type it is served as.
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime]

    event: Mapped[TimelineEvent] = relationship()
