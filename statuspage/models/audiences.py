"""Audiences (who a message is for) and their message templates."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.core.clock import utcnow
from statuspage.core.language import N_
from statuspage.extensions import db
from statuspage.models.enums import IncidentStatus, RosterRole

# What an audience reads once a promised update is late, until the update comes (public pages
# show the built-in one in the page's language until the tick has rendered the audience's own).
DEFAULT_LATE_NOTICE = N_("Our next update is running late; we will post one as soon as we can.")
# Hours before a maintenance window starts when its subscribers are reminded (as Statuspage does).
DEFAULT_REMINDERS = "72,24,1"


class Audience(db.Model):
    """Customers (public) or an internal group such as executives; each has its own liaison duty."""

    __tablename__ = "audience"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # Only updates to a public audience may ever reach a public surface (invariant 1).
    is_public: Mapped[bool] = mapped_column(default=False)
    # The roster duty that writes to this audience: customer_liaison or internal_liaison.
    liaison_role: Mapped[RosterRole] = mapped_column(default=RosterRole.INTERNAL_LIAISON)
    position: Mapped[int] = mapped_column(default=1)
    # Shown in place of "Next update by ..." once that time has passed without an update; a
    # sandboxed template over the same variables as the message templates.
    late_notice: Mapped[str] = mapped_column(
        sa.Text, default=DEFAULT_LATE_NOTICE, server_default=DEFAULT_LATE_NOTICE
    )
    # How many hours before a maintenance window starts its subscribers are reminded ("72,24,1").
    # On the audience, beside its other duties: customers want days of notice, an internal team
    # an hour, and each audience's subscribers are the ones who hear.
    maintenance_reminders: Mapped[str] = mapped_column(
        sa.String(100), default=DEFAULT_REMINDERS, server_default=DEFAULT_REMINDERS
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    templates: Mapped[list[MessageTemplate]] = relationship(
        back_populates="audience", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Audience {self.slug}>"


class MessageTemplate(db.Model):
    """What an audience is told for one incident status or maintenance phase (sandboxed Jinja)."""

    __tablename__ = "message_template"
    __table_args__ = (sa.UniqueConstraint("audience_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audience_id: Mapped[int] = mapped_column(sa.ForeignKey("audience.id", ondelete="CASCADE"))
    status: Mapped[IncidentStatus]
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    audience: Mapped[Audience] = relationship(back_populates="templates")
